#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything imasnap's build, tests and demo need on Debian 12 (bookworm).
# Idempotent: a second run installs nothing and exits 0.
#
#   scripts/deps.sh            packages + Debian's stock kernel image unpacked in the cache
#   scripts/deps.sh --print    print the pinned kernel ABI (e.g. 6.1.0-35-amd64) and exit
#
# The stock kernel image is never installed as the host's kernel: it is fetched with
# `apt-get download` and unpacked with `dpkg -x` into $IMASNAP_CACHE/kernel/<abi>/.
# Its ABI is the one of the headers apt installs (linux-headers-amd64), so the module
# built against the headers loads into the kernel booted under QEMU.
set -euo pipefail

CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

PKGS=(
	build-essential pkg-config git cpio xz-utils ca-certificates
	linux-headers-amd64 linux-source-6.1 sparse
	flex bison bc libelf-dev libssl-dev python3
	qemu-system-x86 swtpm swtpm-tools busybox-static
	libtss2-dev libjson-c-dev libcmocka-dev libfuse3-dev fuse3 openssl xxd clang libclang-rt-14-dev systemd
	dpkg-dev patch gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	debootstrap dkms ima-evm-utils time
	debhelper dh-dkms lintian
)

# kexec/build.sh builds kexec-tools from Debian's source package.
SRC_LIST=/etc/apt/sources.list.d/imasnap-src.sources

missing_pkgs() {
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null |
			grep -qx installed || echo "$p"
	done
}

# The ABI of the newest installed linux-headers-6.1.0-*-amd64, which
# bookworm's linux-headers-amd64 depends on, e.g. 6.1.0-35-amd64.  Bookworm's
# kernel is 6.1 for good; the headers of other kernels (scripts/kernels.sh
# adds bookworm-backports' 6.12) do not move this pin.
headers_abi() {
	dpkg-query -W -f='${Package} ${db:Status-Status}\n' 'linux-headers-6.1.0-*-amd64' 2>/dev/null |
		awk '$2 == "installed" { sub(/^linux-headers-/, "", $1); print $1 }' | sort -V | tail -n1
}

if [ "${1:-}" = "--print" ]; then
	abi=$(headers_abi)
	[ -n "$abi" ] || { echo "deps.sh: linux-headers-amd64 is not installed" >&2; exit 1; }
	echo "$abi"
	exit 0
fi

need_update=
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
   ! grep -qs '^deb-src ' /etc/apt/sources.list; then
	$SUDO tee "$SRC_LIST" > /dev/null <<'SRC'
# Added by imasnap's scripts/deps.sh: kexec/build.sh needs kexec-tools' source.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi
todo=$(missing_pkgs)
if [ -n "$todo" ] || [ -n "$need_update" ]; then
	$SUDO "${APT[@]}" update
fi
if [ -n "$todo" ]; then
	echo "deps.sh: installing:" $todo
	# shellcheck disable=SC2086
	$SUDO "${APT[@]}" install --no-install-recommends $todo
fi

abi=$(headers_abi)
[ -n "$abi" ] || { echo "deps.sh: cannot tell the kernel ABI from linux-headers-amd64" >&2; exit 1; }
[ -d "/usr/src/linux-headers-$abi" ] || {
	echo "deps.sh: /usr/src/linux-headers-$abi is missing" >&2; exit 1; }

kdir=$CACHE/kernel/$abi
if [ ! -f "$kdir/boot/vmlinuz-$abi" ]; then
	$SUDO mkdir -p "$CACHE/kernel"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download run by root fetches as the _apt user: the folder is
	# then _apt's own (0700), so no other user can put a package there.
	if [ -z "$SUDO" ]; then chown _apt "$tmp"; fi
	chmod 0700 "$tmp"
	# The image of exactly the installed headers' version.
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$abi")
	(cd "$tmp" && "${APT[@]}" download "linux-image-$abi-unsigned=$ver") || {
		$SUDO "${APT[@]}" update
		(cd "$tmp" && "${APT[@]}" download "linux-image-$abi-unsigned=$ver")
	}
	$SUDO rm -rf "$kdir.new"
	$SUDO mkdir -p "$kdir.new"
	$SUDO dpkg -x "$tmp"/linux-image-"$abi"-unsigned_*.deb "$kdir.new"
	$SUDO rm -rf "$kdir"
	$SUDO mv "$kdir.new" "$kdir"
	echo "deps.sh: unpacked linux-image-$abi-unsigned into $kdir"
fi
# A ready marker for scripts that want the pinned kernel without asking apt.
echo "$abi" | $SUDO tee "$CACHE/kernel/ABI" >/dev/null
echo "deps.sh: ok (kernel $abi, cache $CACHE)"
