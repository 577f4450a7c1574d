#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl --strict on imasnap's kernel sources (the
# module, the lib/ core it links, the uapi header), then scripts/kernel-doc.sh
# on the same files.  checkpatch.pl and the files it reads next to it
# (spelling.txt, const_structs.checkpatch) come from Debian's linux-source-6.1
# tarball, unpacked once into the cache.
#
#   scripts/checkpatch.sh [file...]     default: every kernel source
# Exit: 0 when neither checkpatch nor kernel-doc reports anything, 1 otherwise
# (both always run, so one run shows every report).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) || {
	echo "checkpatch.sh: /usr/src/linux-source-6.1.tar.xz is missing; run scripts/deps.sh" >&2
	exit 2; }
key=$(stat -c %s-%Y "$tarball")
dir=$CACHE/checkpatch/$key
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	tmp=$(mktemp -d)
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mkdir -p "$CACHE/checkpatch"
	rm -rf "$dir"
	mv "$tmp" "$dir"
fi

cd "$top"
if [ $# -eq 0 ]; then
	set -- include/uapi/linux/imasnap.h lib/*.[ch] module/*.[ch] tests/kunit/*.[ch]
fi
out=$("$dir/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
	--terse -f "$@" 2>&1 | grep -v '^total: ') || true
rc=0
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "checkpatch.sh: $(printf '%s\n' "$out" | wc -l) report(s) on $# file(s)" >&2
	rc=1
else
	echo "checkpatch.sh: $# files, 0 errors, 0 warnings, 0 checks"
fi
"$top/scripts/kernel-doc.sh" "$@" || rc=1
exit $rc
