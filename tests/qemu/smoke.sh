#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test on a real kernel: boot Debian's stock kernel in QEMU with swtpm,
# load imasnap.ko (which replays the live log in the kernel with the lib/
# core), bring back the live log and every PCR, and check that
# `imasnap replay` on the host matches the TPM too.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$top/tests/qemu/run.sh" --case "$top/tests/qemu/cases/smoke" --out "$out" \
	--module "$top/imasnap.ko"
records=$(wc -l < "$out/ascii_runtime_measurements")
echo "smoke: guest returned a live log of $records records and $(wc -l < "$out/pcrs.txt") PCR values"
"$top/userspace/imasnap" replay --log "$out/binary_runtime_measurements" \
	--pcrs "$out/pcrs.txt"
# The module reports its in-kernel replay in the kernel log.
for bank in sha1 sha256; do
	grep "imasnap: live log: [0-9]* records replay to the TPM's $bank PCRs" "$out/dmesg" || {
		echo "smoke: the module's in-kernel replay did not match the TPM's $bank PCRs" >&2
		grep imasnap "$out/dmesg" >&2 || true
		exit 1
	}
done
# Load, arm, unload, load, disarm, release, unload: no warning (panic_on_warn).
"$top/tests/qemu/run.sh" --case "$top/tests/qemu/cases/module-cycle" --out "$out/cycle" \
	--module "$top/imasnap.ko"
grep -qx 'module cycle done' "$out/cycle/cycle" || {
	echo "smoke: the module load/arm/unload cycle did not finish" >&2; exit 1; }
echo "smoke: module load, arm, unload, reload, disarm, release, unload: no warning"
echo "smoke: ok"
