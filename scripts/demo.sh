#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the main job, as far as it exists today.  Boot Debian 12's stock
# kernel in QEMU with a software TPM, archive IMA's log up to a cut, arm
# imasnap.ko, kexec into the next kernel, let the module re-seed IMA, and
# verify on the host that the archive + carried tail + new log replay to the
# TPM.  The cut is computed by a test helper (tests/qemu/helpers/mkcut) with
# the same core until `imasnap snapshot` exists; there is no TPM quote yet.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
IMASNAP=$top/userspace/imasnap
case_dir=$top/tests/qemu/cases/kexec-ok
o=$(mktemp -d)
trap 'rm -rf "$o"' EXIT
. "$top/tests/qemu/lib.sh"
abi=$(cat "$CACHE/kernel/ABI")

say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   /'; }
replay() { "$IMASNAP" replay "$@" 2>&1 | indent; return "${PIPESTATUS[0]}"; }

say "1. Boot Debian's kernel $abi in qemu-system-x86_64 (TCG) with swtpm (TPM 2.0, banks $(cat "$case_dir/banks"))"
echo "   kernel arguments: $(cat "$case_dir/cmdline")"
echo "   (memmap= reserves the 64 KiB carry window; imasnap.window= names it to the module)"
start=$(date +%s.%N)
"$top/tests/qemu/run.sh" --case "$case_dir" --out "$o" --module "$top/imasnap.ko"
printf '   two kernels booted, kexec between them, powered off: %.1f s\n' \
	"$(echo "$(date +%s.%N) - $start" | bc)"

cut_entries=$(agg_field Entries < "$o/stage1-cut")
say "2. Kernel 1: IMA measured $cut_entries records; the archive took them as a shard"
echo "   shard: $(stat -c %s "$o/stage1-shard") bytes, sha256 $(sha256sum < "$o/stage1-shard" | cut -c1-64)"
echo "   cut written to /sys/kernel/security/imasnap/arm:"
{ fold -w 100 "$o/stage1-cut"; echo; } | sed '/^$/d' | indent
echo "   module status after arming:"
grep '^armed' "$o/stage1-status" | indent

say "3. Kernel 1 measured more after the cut, then kexec_file_load + reboot(KEXEC)"
echo "   the module's reboot notifier wrote the tail, the PCRs and the TPM counters into the window"

say "4. Kernel 2: modprobe imasnap took the record from the window and re-seeded IMA"
indent < "$o/status"
echo "   the new log's snapshot_aggregate record (ima-buf, label imasnap):"
agg_from_ascii_log "$o/ascii_runtime_measurements" > "$o/aggregate"
{ fold -w 100 "$o/aggregate"; echo; } | sed '/^$/d' | indent
echo "   the new log:"
cut -c1-120 "$o/ascii_runtime_measurements" | indent

agg_to_pcrs < "$o/stage1-cut" > "$o/cut.txt"
agg_to_pcrs < "$o/aggregate" > "$o/P.txt"
cat "$o/stage1-shard" "$o/carried_tail" > "$o/old-log"
say "5. Verify on the host (imasnap replay, OpenSSL EVP)"
echo "   a) the shard replays from zero to the cut's end state:"
replay --log "$o/stage1-shard" --pcrs "$o/cut.txt"
echo "   b) shard + carried tail ($(agg_field TailEntries < "$o/aggregate") records) replay to the state snapshot_aggregate names:"
replay --log "$o/old-log" --pcrs "$o/P.txt"
echo "   c) the new log replays from that state to kernel 2's TPM PCRs:"
replay --log "$o/binary_runtime_measurements" --start "$o/P.txt" --pcrs "$o/pcrs.txt"
echo "   d) without imasnap a verifier starts the new log at zero and fails:"
replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" || echo "   exit code $? (5: does not verify)"

say "6. A shard with one byte changed does not verify"
cp "$o/stage1-shard" "$o/tampered"
printf 'X' | dd of="$o/tampered" bs=1 seek=150 conv=notrunc status=none
replay --log "$o/tampered" --pcrs "$o/cut.txt" || echo "   exit code $? (4: malformed input)"

say "Numbers"
echo "   kernel 1's full log: $(( $(stat -c %s "$o/stage1-shard") + $(stat -c %s "$o/carried_tail") )) bytes;" \
	"carried across kexec: $(sed -n 's/^carried_bytes=//p' "$o/status") bytes;" \
	"capture at kexec: $(sed -n 's/^carried_capture_ns=//p' "$o/status") ns (under TCG)"

say "Not yet: shard files and chains (imasnap snapshot/collect), TPM quotes and imasnap verify, the kexec-tools patches."
