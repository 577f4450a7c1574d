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
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "kunit: $tarball is missing; run scripts/deps.sh" >&2; exit 2; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$CACHE/kunit/linux-source-$ver
key=$(cat "$top/tests/kunit/.kunitconfig" | sha256sum | cut -c1-12)
build=$CACHE/kunit/build-uml-$ver-$key

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
exec python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$top/tests/kunit/.kunitconfig" \
	--build_dir="$build" --jobs="$(nproc)" --timeout=600 "$@"
