#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the fixtures in tests/data/<case>/ from real boots: Debian's
# stock kernel (the ABI scripts/deps.sh pinned) in QEMU with swtpm, one boot
# per case in tests/qemu/cases/<case>/ (see README.md here).
#
#   tests/data/regenerate.sh [case...]
#
# Each fixture is checked before it is kept: imasnap replay must match the
# TPM's PCRs.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
	for d in "$top"/tests/qemu/cases/*/; do
		c=$(basename "$d")
		# smoke, module-cycle and the kexec cases need the module: not fixtures.
		case $c in smoke | module-cycle | kexec-*) ;; *) cases+=("$c") ;; esac
	done
fi
make -s -C "$top/userspace"
"$top/scripts/kernels.sh" prepare bookworm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in "${cases[@]}"; do
	"$top/tests/qemu/run.sh" --case "$top/tests/qemu/cases/$c" --out "$tmp/$c"
	"$top/userspace/imasnap" replay --log "$tmp/$c/binary_runtime_measurements" \
		--pcrs "$tmp/$c/pcrs.txt" > /dev/null
	mkdir -p "$top/tests/data/$c"
	for f in binary_runtime_measurements ascii_runtime_measurements pcrs.txt; do
		cp "$tmp/$c/$f" "$top/tests/data/$c/$f"
	done
	cp "$top/tests/qemu/cases/$c/banks" "$top/tests/data/$c/banks"
	# Banks IMA could not hash in that boot (replayed under the padded-SHA-1 rule).
	[ -f "$top/tests/qemu/cases/$c/padded" ] && cp "$top/tests/qemu/cases/$c/padded" "$top/tests/data/$c/padded"
	echo "regenerate: $c: $(wc -l < "$tmp/$c/ascii_runtime_measurements") records"
done
