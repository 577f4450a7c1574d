#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kexec-tools with imasnap's patch series: Debian 12's source package
# (apt-get source, deb-src entry by scripts/deps.sh), Debian's own patches
# applied by dpkg-source, then kexec/series with `patch -p1 --fuzz=0` (a
# patch that does not apply exactly fails the build), then a static binary
# for the QEMU initramfs.  Cached outside the clone, keyed by the source
# version and the series' content; prints the binary's path.
#
#   kexec/build.sh            build (or reuse) and print the path of kexec
#   kexec/build.sh arm64      the same for arm64 with the cross compiler (a
#                             compile test: nothing here runs it)
#   kexec/build.sh source     only fetch the source package and print its
#                             .dsc (scripts/deb.sh builds kexec-tools-imasnap)
set -euo pipefail
arch=${1:-x86_64}
case $arch in
x86_64) host= ; conf=(LDFLAGS=-static) ;;
arm64) host=aarch64-linux-gnu ; conf=(--host=$host) ;;
source) ;;
*) echo "kexec/build.sh: x86_64, arm64 or source, not $arch" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
dl=$CACHE/kexec/download
ver=$(apt-cache showsrc kexec-tools 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
[ -n "$ver" ] || { echo "kexec/build.sh: no kexec-tools source package (deb-src); run scripts/deps.sh" >&2; exit 2; }
key=$( (cat "$top/kexec/series"; cd "$top/kexec/patches" && cat $(cat ../series)) | sha256sum | cut -c1-12)
out=$CACHE/kexec/build-$arch-${ver//[:+~]/_}-$key
# One build at a time (make -j, a second checkout): the next one finds it.
mkdir -p "$CACHE/kexec"
exec 9> "$CACHE/kexec/build.lock"
flock 9
if [ -x "$out/kexec" ]; then
	echo "$out/kexec"
	exit 0
fi

mkdir -p "$dl"
chmod 0777 "$dl"	# apt-get source runs as _apt when root
dsc=$(ls "$dl"/kexec-tools_"${ver#*:}".dsc 2>/dev/null || true)
if [ -z "$dsc" ]; then
	(cd "$dl" && apt-get -o DPkg::Lock::Timeout=600 -q source --download-only "kexec-tools=$ver" >&2)
	dsc=$(ls "$dl"/kexec-tools_"${ver#*:}".dsc)
fi
if [ "$arch" = source ]; then
	echo "$dsc"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-source --no-check -x "$dsc" "$tmp/src" > /dev/null
cd "$tmp/src"
while read -r p; do
	[ -n "$p" ] || continue
	echo "kexec/build.sh: applying $p" >&2
	patch -p1 --fuzz=0 --no-backup-if-mismatch -s < "$top/kexec/patches/$p" || {
		echo "kexec/build.sh: $p does not apply to kexec-tools $ver" >&2; exit 1; }
done < "$top/kexec/series"
./configure --without-xen --without-lzma --without-zlib "${conf[@]}" > "$tmp/configure.log" 2>&1 || {
	cat "$tmp/configure.log" >&2; exit 1; }
make -j"$(nproc)" > "$tmp/make.log" 2>&1 || { tail -n 40 "$tmp/make.log" >&2; exit 1; }
# The series must not add a compiler warning (those upstream already has stay).
if grep -E 'warning:' "$tmp/make.log" | grep -E 'imasnap|kexec/kexec\.c|kexec-bzImage64|kexec-arm64' >&2; then
	echo "kexec/build.sh: the series adds compiler warnings ($arch)" >&2
	exit 1
fi
mkdir -p "$out.new"
cp build/sbin/kexec "$out.new/kexec"
rm -rf "$out"
mv "$out.new" "$out"
echo "$out/kexec"
