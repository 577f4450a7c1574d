#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's scripts/kernel-doc on imasnap's kernel sources (the
# module, the lib/ core it links, the uapi header): every /** comment must
# name exactly the parameters or members of what follows it, and say what a
# function returns.  W=1 runs kernel-doc on the module's .c files only and
# without these checks; the headers, the uapi one first, need it most.
#
# kernel-doc comes from Debian's linux-source-6.1 tarball, unpacked once into
# the cache.  Its -v is what later kernels call -Wall (return values, short
# descriptions, contents before sections; it also prints "info:" lines,
# dropped here).  It warns about a parameter documented but not declared
# only for functions; the unpacked copy gets the check for struct and union
# members that v6.8 restored ("kernel-doc: restore warning for Excess
# struct/union"), so a documented member the struct does not have fails too.
#
#   scripts/kernel-doc.sh [file...]     default: every kernel source
# Exit: 0 when kernel-doc warns about nothing, 1 otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) || {
	echo "kernel-doc.sh: /usr/src/linux-source-6.1.tar.xz is missing; run scripts/deps.sh" >&2
	exit 2; }
# The suffix names the local change below: a new one unpacks afresh.
key=$(stat -c %s-%Y "$tarball")-excess
dir=$CACHE/kernel-doc/$key
if [ ! -x "$dir/scripts/kernel-doc" ]; then
	tmp=$(mktemp -d)
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
		'*/scripts/kernel-doc'
	# In check_sections(), after the "Excess function parameter" warning.
	perl -0pi -e 's/("description in \x27\$decl_name\x27\\n"\);\n\t\t\t\})\n/$1 elsif (\$decl_type eq "struct" || \$decl_type eq "union") {\n\t\t\t\temit_warning("\${file}:\$.",\n\t\t\t\t\t"Excess \$decl_type member " .\n\t\t\t\t\t"\x27\$sects[\$sx]\x27 " .\n\t\t\t\t\t"description in \x27\$decl_name\x27\\n");\n\t\t\t}\n/ or die "kernel-doc.sh: check_sections() not found\n"' \
		"$tmp/scripts/kernel-doc"
	mkdir -p "$CACHE/kernel-doc"
	rm -rf "$dir"
	mv "$tmp" "$dir"
fi

cd "$top"
if [ $# -eq 0 ]; then
	set -- include/uapi/linux/imasnap.h lib/*.[ch] module/*.[ch] tests/kunit/*.[ch]
fi
rc=0
out=$(perl "$dir/scripts/kernel-doc" -none -v "$@" 2>&1) || rc=$?
out=$(printf '%s\n' "$out" | grep -Ev ': info: Scanning doc for |^[0-9]+ (warnings|errors)$' || true)
if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
	[ -z "$out" ] || printf '%s\n' "$out"
	n=$(printf '%s\n' "$out" | grep -c ': warning: ' || true)
	echo "kernel-doc.sh: $n warning(s) on $# file(s)$([ "$rc" -eq 0 ] || echo ", kernel-doc exited $rc")" >&2
	exit 1
fi
echo "kernel-doc.sh: $# files, 0 warnings"
