#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: build a UML KUnit kernel from Debian's linux-source-6.1 with
# imasnap's lib/ and module units and the suites in tests/kunit/ placed into
# the tree as drivers/misc/imasnap/, and run them with kunit.py.
#
# The unpacked tree and the build folder live in the cache, keyed by the
# source package version and the kunitconfig: a first build takes minutes,
# a rebuild after a change to imasnap seconds.  Exit code: kunit.py's.
#
#   run.sh --tpm   the same suites in an x86_64 kernel under QEMU (TCG) with
#                  a swtpm TPM 2.0 on a TIS device, plus imasnap_tpm: the
#                  module's tpm.c against that real chip.
#
#   run.sh --source 7.2   the UML run from Debian's linux-source-7.2 (sid's,
#                  through scripts/kernels.sh source), built by the host's gcc
set -euo pipefail
tpm= series=6.1
while [ $# -gt 0 ]; do
	case $1 in
	--tpm) tpm=1; shift ;;
	--source) series=$2; shift 2 ;;
	*) break ;;
	esac
done
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
tarball=$("$top/scripts/kernels.sh" source "$series")
[ -f "$tarball" ] || { echo "kunit: $tarball is missing" >&2; exit 2; }
# The version of the source package, from the tarball's folder or dpkg.
case $tarball in
/usr/src/*) ver=$(dpkg-query -W -f='${Version}' "linux-source-$series") ;;
*) ver=${tarball%/usr/src/*}; ver=${ver##*/linux-source-"$series"_} ;;
esac
src=$CACHE/kunit/linux-source-$ver
kunitconfig=$top/tests/kunit/.kunitconfig
[ -n "$tpm" ] && kunitconfig=$top/tests/kunit/x86_64.kunitconfig
key=$(cat "$kunitconfig" "$top/tests/kunit/qemu_x86_64_tpm.py" | sha256sum | cut -c1-12)
build=$CACHE/kunit/build-uml-$ver-$key
[ -n "$tpm" ] && build=$CACHE/kunit/build-x86_64-$ver-$key

if [ ! -f "$src/.imasnap-unpacked" ]; then
	echo "kunit: unpacking linux-source $ver into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.imasnap-unpacked"
fi

# Copy a file only when it changed, so make rebuilds only what did.
put() {
	mkdir -p "$(dirname "$2")"
	cmp -s "$1" "$2" || cp "$1" "$2"
}
dst=$src/drivers/misc/imasnap
for f in "$top"/lib/*.[ch]; do put "$f" "$dst/lib/$(basename "$f")"; done
for f in "$top"/module/*.[ch]; do put "$f" "$dst/module/$(basename "$f")"; done
put "$top/include/uapi/linux/imasnap.h" "$dst/include/uapi/linux/imasnap.h"
for f in "$top"/tests/kunit/*.[ch]; do put "$f" "$dst/tests/$(basename "$f")"; done
put "$top/tests/kunit/Kconfig" "$dst/Kconfig"
put "$top/tests/kunit/Kbuild.tree" "$dst/Makefile"
"$top/tests/kunit/gen-fixtures.sh" "$top/tests/data" > "$dst/tests/fixtures.c.new"
put "$dst/tests/fixtures.c.new" "$dst/tests/fixtures.c"
rm -f "$dst/tests/fixtures.c.new"
grep -q 'drivers/misc/imasnap/Kconfig' "$src/drivers/misc/Kconfig" ||
	echo 'source "drivers/misc/imasnap/Kconfig"' >> "$src/drivers/misc/Kconfig"
grep -q 'imasnap/' "$src/drivers/misc/Makefile" ||
	echo 'obj-y += imasnap/' >> "$src/drivers/misc/Makefile"

mkdir -p "$build"
cd "$src"
if [ -z "$tpm" ]; then
	exec python3 tools/testing/kunit/kunit.py run \
		--kunitconfig="$kunitconfig" \
		--build_dir="$build" --jobs="$(nproc)" --timeout=600 "$@"
fi

# A software TPM for the guest: swtpm on a socket, QEMU's tpm-tis in front.
tpmdir=$(mktemp -d)
swtpm_pid=
trap 'if [ -n "$swtpm_pid" ]; then kill "$swtpm_pid" 2>/dev/null || true; fi; rm -rf "$tpmdir"' EXIT
swtpm_setup --tpm2 --tpmstate "$tpmdir" --pcr-banks sha1,sha256 \
	--config /etc/swtpm_setup.conf > "$tpmdir/setup.log" 2>&1 || { cat "$tpmdir/setup.log"; exit 1; }
swtpm socket --tpm2 --tpmstate dir="$tpmdir" --ctrl type=unixio,path="$tpmdir/sock" \
	--flags startup-clear --terminate &
swtpm_pid=$!
for _ in $(seq 50); do [ -S "$tpmdir/sock" ] && break; sleep 0.1; done
cp "$top/tests/kunit/qemu_x86_64_tpm.py" "$build/qemu_x86_64_tpm.py"
# tpm_tis.force: probe the TIS registers at 0xfed40000 without ACPI, which
# this small config does not bring up (it has no PCI).
rc=0
python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$kunitconfig" --arch=x86_64 \
	--qemu_config="$build/qemu_x86_64_tpm.py" \
	--qemu_args="-chardev socket,id=chrtpm,path=$tpmdir/sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0" \
	--kernel_args=tpm_tis.force=1 --kernel_args=tpm_tis.interrupts=0 \
	--build_dir="$build" --jobs="$(nproc)" --timeout=900 "$@" || rc=$?
echo "kunit: kunit.py exited $rc"
exit $rc
