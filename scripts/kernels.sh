#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels imasnap is built and tested on: Debian's own binary packages,
# unpacked with `dpkg -x` into the cache, never installed as the host's kernel.
#
#   name          packages from         flavour      module built with
#   bookworm      bookworm              amd64        the host (gcc-12), linux-headers-amd64
#   bookworm-bpo  bookworm-backports    amd64        a debootstrap chroot of bookworm with
#                                                    backports (gcc-12): 6.12's headers
#                                                    depend on its image, which must not
#                                                    be installed on the host
#   trixie-cloud  trixie                cloud-amd64  a debootstrap chroot of trixie (gcc-14)
#   sid           sid                   amd64        a debootstrap chroot of sid (gcc-16)
#   sid-cloud     sid                   cloud-amd64  the same chroot of sid
#
# Each kernel is pinned to the version apt offers when it is first prepared
# (bookworm: the ABI of the installed linux-headers-amd64, as scripts/deps.sh
# pins it) and kept in the cache under that version:
#
#   $CACHE/kernel/<release>/          the image package, unpacked
#   $CACHE/kernels/<name>.env         what `env` prints, written by `prepare`
#   $CACHE/chroot/<suite>-<key>.tar   a chroot with the suite's compiler, sparse,
#                                     dkms and the pinned kernels' headers; key:
#                                     the header packages in it
#   $CACHE/chroot/<suite>/            that tarball, unpacked (rebuilt from it
#                                     when missing)
#
# Commands:
#   kernels.sh names                  the names above, one per line
#   kernels.sh prepare NAME...        fetch and unpack what NAME needs (idempotent)
#   kernels.sh env NAME               name=, release=, image=, headers=, chroot=
#   kernels.sh build NAME OUTDIR [MAKE-ARGS...]
#                                     build imasnap.ko for NAME from this tree into
#                                     OUTDIR (OUTDIR/build.log has the output)
#   kernels.sh exec NAME CMD...       run CMD where NAME's module is built: on the
#                                     host, or in its chroot with /proc mounted
#   kernels.sh source SERIES          the path of Debian's linux-source-SERIES
#                                     tarball (6.1 or 7.2), fetched if need be
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
MIRROR=${IMASNAP_MIRROR:-http://deb.debian.org/debian}
export DEBIAN_FRONTEND=noninteractive

die() { echo "kernels.sh: $*" >&2; exit 2; }

# suite_of NAME / flavour_of NAME / chroot_suite_of NAME (empty: the host)
suite_of() {
	case $1 in
	bookworm) echo bookworm ;;
	bookworm-bpo) echo bookworm-backports ;;
	trixie-cloud) echo trixie ;;
	sid | sid-cloud) echo sid ;;
	*) return 1 ;;
	esac
}
flavour_of() {
	case $1 in
	*-cloud) echo cloud-amd64 ;;
	*) echo amd64 ;;
	esac
}
chroot_suite_of() {
	case $1 in
	bookworm-bpo) echo bookworm-bpo ;;
	trixie-cloud) echo trixie ;;
	sid | sid-cloud) echo sid ;;
	esac
}
NAMES=(bookworm bookworm-bpo trixie-cloud sid sid-cloud)
known() {
	local n
	for n in "${NAMES[@]}"; do [ "$n" = "$1" ] && return 0; done
	return 1
}
need_known() {
	known "$1" || die "unknown kernel '$1' (known: ${NAMES[*]})"
}

# --- chroots -----------------------------------------------------------------

# in_chroot DIR CMD...
. "$top/scripts/chroot.sh"

# dl_dir DIR: DIR, empty, for `apt-get download` run as root (apt fetches
# as _apt): owned by the _apt of the system whose apt runs (HOST or the
# chroot's path), mode 0700, so no other user can put a package in it.
dl_dir() {
	local dir=$1 passwd=${2:-}/etc/passwd uid
	rm -rf "$dir" && mkdir -p "$dir"
	uid=$(awk -F: '$1 == "_apt" { print $3 }' "$passwd")
	[ -n "$uid" ] && chown "$uid" "$dir"
	chmod 0700 "$dir"
}

# pin_abi DIR SUITE FLAVOUR: the ABI the chroot's linux-headers-FLAVOUR
# depends on, e.g. 6.12.57+deb12-amd64; in bookworm-bpo, backports' version
# of it (bookworm's is the candidate).
pin_abi() {
	local dir=$1 suite=$2 f=$3 ver
	if [ "$suite" = bookworm-bpo ]; then
		ver=$(in_chroot "$dir" apt-cache madison "linux-headers-$f" |
			awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $2); print $2; exit }')
		[ -n "$ver" ] || return 0
		in_chroot "$dir" apt-cache show "linux-headers-$f=$ver" | sed -n 's/^Depends: //p' | head -n1 |
			grep -o "linux-headers-[0-9][^ ,]*-$f" | head -n1 | sed 's/^linux-headers-//'
		return 0
	fi
	in_chroot "$dir" apt-cache depends "linux-headers-$f" |
		sed -n "s/^ *Depends: linux-headers-\([0-9][^ ]*-$f\)\$/\1/p" | head -n1
}

# The build tools every chroot has besides the headers (in the tarball's key).
CHROOT_TOOLS=(make sparse dkms kmod xz-utils binutils)

# The chroot of SUITE with FLAVOURS' headers: from its tarball, or made by
# debootstrap and then tarred.  Prints the chroot's path.  The pins are
# recorded in DIR/.imasnap-pins ("<flavour> <abi>" lines).
chroot_ready() {
	local suite=$1 dir=$CACHE/chroot/$1 tar key f abi pkgs=()
	shift
	mkdir -p "$CACHE/chroot"
	if [ ! -f "$dir/.imasnap-ready" ]; then
		tar=$(ls -t "$CACHE/chroot/$suite"-*.tar 2>/dev/null | head -n1 || true)
		rm -rf "$dir" "$dir.new"
		if [ -n "$tar" ]; then
			echo "kernels.sh: unpacking the $suite chroot from $tar" >&2
			mkdir -p "$dir.new" && tar -xf "$tar" -C "$dir.new"
		else
			echo "kernels.sh: debootstrap of ${suite%-bpo} (minbase) into $dir" >&2
			debootstrap --variant=minbase --force-check-gpg \
				--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
				"${suite%-bpo}" "$dir.new" "$MIRROR" > "$CACHE/chroot/$suite.debootstrap.log" 2>&1 || {
				tail -n 20 "$CACHE/chroot/$suite.debootstrap.log" >&2
				die "debootstrap of ${suite%-bpo} failed"
			}
			# bookworm-bpo: bookworm with backports (NotAutomatic: only
			# what is asked for by a name only backports has comes from it).
			if [ "$suite" = bookworm-bpo ]; then
				bookworm_sources "$dir.new" "$MIRROR" "$SECURITY" bookworm-backports
			fi
		fi
		mv "$dir.new" "$dir"
		touch "$dir/.imasnap-ready"
	fi
	# Pin each flavour once: the version apt offers now, kept from then on.
	touch "$dir/.imasnap-pins"
	for f in "$@"; do
		grep -q "^$f " "$dir/.imasnap-pins" && continue
		in_chroot "$dir" "${APT[@]}" update >&2
		abi=$(pin_abi "$dir" "$suite" "$f")
		[ -n "$abi" ] || die "the $suite chroot's apt offers no linux-headers-$f"
		echo "$f $abi" >> "$dir/.imasnap-pins"
	done
	while read -r f abi; do pkgs+=("linux-headers-$abi"); done < "$dir/.imasnap-pins"
	key=$(printf '%s\n' "${pkgs[@]}" "${CHROOT_TOOLS[@]}" | sort | sha256sum | cut -c1-12)
	if [ ! -f "$CACHE/chroot/$suite-$key.tar" ]; then
		echo "kernels.sh: installing ${pkgs[*]} and the build tools into the $suite chroot" >&2
		# An install cut short left dpkg half done: finish it first.
		in_chroot "$dir" dpkg --configure -a >&2
		in_chroot "$dir" "${APT[@]}" install --no-install-recommends \
			"${CHROOT_TOOLS[@]}" "${pkgs[@]}" >&2
		in_chroot "$dir" apt-get clean
		rm -f "$CACHE/chroot/$suite"-*.tar
		tar -cf "$CACHE/chroot/$suite-$key.tar.new" -C "$dir" .
		mv "$CACHE/chroot/$suite-$key.tar.new" "$CACHE/chroot/$suite-$key.tar"
	fi
	echo "$dir"
}

# --- prepare -------------------------------------------------------------------

# unpack_image RELEASE DEB...: the image packages into $CACHE/kernel/RELEASE/
unpack_image() {
	local rel=$1 kdir=$CACHE/kernel/$1 d
	shift
	rm -rf "$kdir.new" && mkdir -p "$kdir.new"
	for d in "$@"; do dpkg -x "$d" "$kdir.new"; done
	rm -rf "$kdir" && mv "$kdir.new" "$kdir"
	echo "kernels.sh: unpacked $(basename -a "$@" | tr '\n' ' ')into $kdir" >&2
}

# image_of RELEASE: the path of the unpacked kernel image
image_of() {
	local kdir=$CACHE/kernel/$1 f
	for f in "$kdir/boot/vmlinuz-$1" "$kdir/usr/lib/modules/$1/vmlinuz" "$kdir/lib/modules/$1/vmlinuz"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

prepare() {
	local name=$1 suite flavour csuite rel dir dl headers chroot='' hver
	need_known "$name"
	suite=$(suite_of "$name") flavour=$(flavour_of "$name") csuite=$(chroot_suite_of "$name")
	dl=$CACHE/download/$name
	case $name in
	bookworm)
		"$top/scripts/deps.sh" >&2
		rel=$(cat "$CACHE/kernel/ABI")
		headers=/usr/src/linux-headers-$rel
		hver=$(dpkg-query -W -f='${Version}' "linux-headers-$rel")
		;;
	*)
		local flavours=$flavour
		# One chroot per suite holds the headers of all its kernels.
		[ "$csuite" = sid ] && flavours="amd64 cloud-amd64"
		# shellcheck disable=SC2086
		dir=$(chroot_ready "$csuite" $flavours)
		chroot=$dir
		rel=$(sed -n "s/^$flavour //p" "$dir/.imasnap-pins")
		headers=/usr/src/linux-headers-$rel
		hver=$(in_chroot "$dir" dpkg-query -W -f='${Version}' "linux-headers-$rel")
		if ! image_of "$rel" > /dev/null; then
			local pkg=linux-image-$rel-unsigned
			# sid ships the image alone as linux-binary-<abi>.
			in_chroot "$dir" apt-cache show "$pkg" > /dev/null 2>&1 || pkg=linux-binary-$rel
			dl_dir "$dir/tmp/imasnap-dl" "$dir"
			in_chroot "$dir" sh -c "cd /tmp/imasnap-dl && apt-get -q download $pkg=$hver" >&2 ||
				die "the $suite chroot's apt cannot fetch $pkg=$hver, the version of its headers"
			unpack_image "$rel" "$dir"/tmp/imasnap-dl/*.deb
			rm -rf "$dir/tmp/imasnap-dl"
		fi
		;;
	esac
	local image
	image=$(image_of "$rel") || die "no kernel image in $CACHE/kernel/$rel"
	mkdir -p "$CACHE/kernels"
	echo "$rel" > "$CACHE/kernels/$name.release"
	cat > "$CACHE/kernels/$name.env.new" <<-EOF
	name=$name
	suite=$suite
	release=$rel
	version=$hver
	image=$image
	headers=$headers
	chroot=$chroot
	EOF
	mv "$CACHE/kernels/$name.env.new" "$CACHE/kernels/$name.env"
	echo "kernels.sh: $name is $rel ($image)" >&2
}

env_of() {
	need_known "$1"
	[ -f "$CACHE/kernels/$1.env" ] || die "kernel $1 is not prepared: run scripts/kernels.sh prepare $1"
	cat "$CACHE/kernels/$1.env"
}

# load NAME sets k_release, k_headers and k_chroot (and k_name, k_suite, k_image).
k_release='' k_headers='' k_chroot=''
load() {
	local line
	while IFS= read -r line; do
		case $line in
		name=* | suite=* | release=* | version=* | image=* | headers=* | chroot=*)
			eval "k_${line%%=*}=\${line#*=}" ;;
		esac
	done < <(env_of "$1")
}

# --- build --------------------------------------------------------------------

# The sources of the module, as Kbuild names them.
SOURCES=(Kbuild include lib module)

build() {
	local name=$1 out=$2 stage rel inside n_c n_check
	shift 2
	load "$name"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	if [ -n "$k_chroot" ]; then
		stage=$k_chroot/build/imasnap-$name inside=/build/imasnap-$name
	else
		stage=$out/src inside=$stage
	fi
	rm -rf "$stage" && mkdir -p "$stage"
	(cd "$top" && tar -cf - --exclude='*.o' --exclude='.*.cmd' --exclude='*.mod*' \
		--exclude='*.ko' "${SOURCES[@]}") | tar -xf - -C "$stage"
	# Without the caller's make flags: under `make -s` kbuild prints no
	# "CC [M]" and "CHECK" lines, which the sparse count below reads.
	local make_cmd=(env -u MAKEFLAGS -u MFLAGS make -C "$k_headers" M="$inside" "$@")
	# 7.2's Makefile runs scripts/checker-valid.sh, which Debian's
	# linux-kbuild-7.2 lacks, and then turns sparse off; KBUILD_CHECKSRC on
	# the command line keeps it on (the CHECK count below proves it ran).
	local common
	common=$(sed -n 's/^include //p' "$k_chroot$k_headers/Makefile" | head -n1)
	if printf '%s\n' "$@" | grep -qx 'C=2' &&
	   grep -qs 'checker-valid.sh' "$k_chroot${common:-$k_headers/Makefile}" &&
	   [ ! -e "$k_chroot$k_headers/scripts/checker-valid.sh" ]; then
		make_cmd+=(KBUILD_CHECKSRC=2)
		echo "kernels.sh: $name: $k_headers/scripts/checker-valid.sh is missing (Debian's kbuild" \
			"package): sparse forced on with KBUILD_CHECKSRC=2" >&2
	fi
	make_cmd+=(modules)
	if [ -n "$k_chroot" ]; then
		in_chroot "$k_chroot" "${make_cmd[@]}" > "$out/build.log" 2>&1 || {
			tail -n 40 "$out/build.log" >&2; die "the module does not build for $name ($k_release)"; }
	else
		"${make_cmd[@]}" > "$out/build.log" 2>&1 || {
			tail -n 40 "$out/build.log" >&2; die "the module does not build for $name ($k_release)"; }
	fi
	# A copy without debug info for the QEMU guests, stripped by the binutils
	# of the toolchain that built it.
	if [ -n "$k_chroot" ]; then
		in_chroot "$k_chroot" strip --strip-debug -o "$inside/imasnap.stripped.ko" "$inside/imasnap.ko"
	else
		strip --strip-debug -o "$stage/imasnap.stripped.ko" "$stage/imasnap.ko"
	fi
	cp "$stage/imasnap.ko" "$stage/imasnap.stripped.ko" "$out/"
	rel=$(modinfo -F vermagic "$out/imasnap.ko" | cut -d' ' -f1)
	[ "$rel" = "$k_release" ] || die "imasnap.ko for $name has vermagic $rel, not $k_release"
	# With C=2, sparse must have checked every file the compiler did: Debian's
	# 7.2 kbuild lacks scripts/checker-valid.sh, and kbuild skips sparse then.
	if printf '%s\n' "$@" | grep -qx 'C=2'; then
		n_c=$(grep -cE '^  CC \[M\]  (.*/)?(lib|module)/[^/]+\.o$' "$out/build.log" || true)
		n_check=$(grep -cE '^  CHECK   (.*/)?(lib|module)/[^/]+\.c$' "$out/build.log" || true)
		[ "$n_c" -gt 0 ] && [ "$n_check" = "$n_c" ] ||
			die "sparse checked $n_check of the $n_c files compiled for $name (see $out/build.log)"
	fi
	echo "$k_release" > "$out/release"
}

# --- kernel sources -------------------------------------------------------------

# source_of SERIES: the path of Debian's linux-source-SERIES tarball:
# bookworm's 6.1 from the host's apt (scripts/deps.sh installs it), 7.2 from
# sid, downloaded by the sid chroot's apt and unpacked into
# $CACHE/source/linux-source-<version>/, pinned there like the kernels.
source_of() {
	local series=$1 dir ver deb
	case $series in
	6.1)
		[ -f /usr/src/linux-source-6.1.tar.xz ] || "$top/scripts/deps.sh" >&2
		echo /usr/src/linux-source-6.1.tar.xz
		return 0
		;;
	7.2) ;;
	*) die "no linux-source for $series (6.1 or 7.2)" ;;
	esac
	mkdir -p "$CACHE/source"
	# Only a folder whose unpacking finished has the marker.
	dir=$(ls -d "$CACHE/source/linux-source-$series"_*/.imasnap-ready 2>/dev/null | tail -n1 || true)
	dir=${dir%/.imasnap-ready}
	if [ -z "$dir" ] || [ ! -f "$dir/usr/src/linux-source-$series.tar.xz" ]; then
		dir=$(chroot_ready sid amd64 cloud-amd64)
		dl_dir "$dir/tmp/imasnap-src" "$dir"
		in_chroot "$dir" sh -c "cd /tmp/imasnap-src && apt-get -q download linux-source-$series" >&2
		deb=$(ls "$dir"/tmp/imasnap-src/linux-source-"$series"_*.deb)
		ver=$(dpkg-deb -f "$deb" Version)
		rm -rf "$CACHE/source/linux-source-${series}_$ver"
		mkdir -p "$CACHE/source/linux-source-${series}_$ver.new"
		dpkg -x "$deb" "$CACHE/source/linux-source-${series}_$ver.new"
		touch "$CACHE/source/linux-source-${series}_$ver.new/.imasnap-ready"
		mv "$CACHE/source/linux-source-${series}_$ver.new" "$CACHE/source/linux-source-${series}_$ver"
		rm -rf "$dir/tmp/imasnap-src"
		dir=$CACHE/source/linux-source-${series}_$ver
		echo "kernels.sh: linux-source-$series $ver unpacked into $dir" >&2
	fi
	echo "$dir/usr/src/linux-source-$series.tar.xz"
}

cmd=${1:-}
# Fetching, chroots and DKMS need root: as another user, run again with sudo.
case $cmd in
prepare | source | exec | build)
	if [ "$(id -u)" -ne 0 ]; then
		exec sudo --preserve-env=IMASNAP_CACHE,IMASNAP_MIRROR "$0" "$@"
	fi
	;;
esac
# One fetch at a time: chroots, the host's apt and the downloads are shared.
case $cmd in
prepare | source)
	mkdir -p "$CACHE"
	exec 9> "$CACHE/kernels.lock"
	flock 9
	;;
esac
[ -n "$cmd" ] || die "usage: kernels.sh names | prepare NAME... | env NAME | build NAME OUTDIR [MAKE-ARGS...] | exec NAME CMD... | source SERIES"
shift
case $cmd in
names) printf '%s\n' "${NAMES[@]}" ;;
prepare)
	[ $# -gt 0 ] || die "prepare: which kernels? (${NAMES[*]})"
	for n in "$@"; do need_known "$n"; done
	for n in "$@"; do prepare "$n"; done
	;;
env) [ $# -eq 1 ] || die "env NAME"; env_of "$1" ;;
source) [ $# -eq 1 ] || die "source SERIES"; source_of "$1" ;;
build) [ $# -ge 2 ] || die "build NAME OUTDIR [MAKE-ARGS...]"; build "$@" ;;
exec)
	[ $# -ge 2 ] || die "exec NAME CMD..."
	load "$1"
	shift
	if [ -n "$k_chroot" ]; then in_chroot "$k_chroot" "$@"; else "$@"; fi
	;;
*) die "unknown command '$cmd'" ;;
esac
