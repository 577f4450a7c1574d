#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the main job.  Boot Debian 12's stock kernel in QEMU with a
# software TPM; in the guest, `imasnap snapshot` archives IMA's log as a
# shard and `imasnap arm` hands the cut to imasnap.ko; kexec into the next
# kernel, where the module re-seeds IMA from the carry window, `imasnap
# collect` archives the carried tail, `imasnap snapshot` archives the new
# log and `imasnap verify` checks it all against the TPM.  The host then
# verifies the same archive and shows what tampering looks like.  Both
# snapshots put a TPM quote of the shard's end in its trailer, kernel 2
# verifies against a nonce quote, and the host verifies the archive with its
# oldest shards pruned, anchored on a quoted shard.
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

say "1. Boot Debian's kernel $abi in qemu-system-x86_64 (TCG) with swtpm (TPM 2.0, banks $(cat "$case_dir/banks"))"
echo "   kernel arguments: $(cat "$case_dir/cmdline")"
echo "   (memmap= reserves the 64 KiB carry window; imasnap.window= names it to the module)"
start=$(date +%s.%N)
"$top/tests/qemu/run.sh" --case "$case_dir" --out "$o" --kernel bookworm --module | indent
printf '   two kernels booted, kexec between them, powered off: %.1f s\n' \
	"$(echo "$(date +%s.%N) - $start" | bc)"
mkdir -p "$o/u" && tar -xf "$o/archive.tar" -C "$o/u"
A=$o/u/archive

say "2. Kernel 1: imasnap snapshot --quote rsa, then imasnap arm (TPM through tpm2-tss, /dev/tpmrm0)"
indent < "$o/stage1-snapshot1.out"
indent < "$o/stage1-arm.out"
say "3. Kernel 1 measured more after the cut, then the patched kexec-tools: kexec -s -l, kexec -e;"
grep '^imasnap:' "$o/stage1-kexec-debug" | indent
echo "   the module's reboot notifier wrote the tail, the PCRs and the TPM counters into the window"

say "4. Kernel 2: insmod imasnap.ko window=64K@0x30000000 took the record from the window and re-seeded IMA"
indent < "$o/status"
agg_from_ascii_log "$o/ascii_runtime_measurements" > "$o/aggregate"
echo "   the new log's snapshot_aggregate record (ima-buf, label imasnap):"
{ fold -w 100 "$o/aggregate"; echo; } | sed '/^$/d' | indent

say "5. Kernel 2: imasnap collect, imasnap snapshot --quote rsa, imasnap verify (against the TPM),"
echo "   then imasnap quote over a verifier's nonce and imasnap verify --quote"
cat "$o/collect.out" "$o/snapshot2.out" "$o/verify.out" "$o/quote.out" "$o/verify-quote.out" | indent

say "6. The host verifies the same archive against kernel 2's live log and PCRs"
"$IMASNAP" verify --dir "$A" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" | indent
for s in "$A"/shard-*.ims; do
	echo "   $(basename "$s"): $("$IMASNAP" show "$s" | sed -n 's/^shard *//p; s/^records *//p' | paste -sd ' ')"
done
# A verifier enrolls the AK out of band (Keylime's registrar checks it against
# the EK); here it is taken once from kernel 1's archive, then kept apart:
# a key read from the archive later would be the host's word, not the TPM's.
cp "$A/ak-rsa.pem" "$o/enrolled-ak.pem"
cp -r "$A" "$o/pruned"
echo "   imasnap prune: delete the shards before the newest one whose end state the enrolled AK quoted:"
"$IMASNAP" prune --dir "$o/pruned" --ak "$o/enrolled-ak.pem" | indent
echo "   then verify --anchored trusts shard 2's quoted end state (the history before it is not verified):"
"$IMASNAP" verify --dir "$o/pruned" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" \
	--ak "$o/enrolled-ak.pem" --anchored | indent
echo "   without imasnap a verifier starts kernel 2's log at zero and fails:"
"$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" 2>&1 | indent || true

say "7. Tampering is caught"
cp -r "$A" "$o/t1"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(1200); b = f.read(1); f.seek(1200); f.write(bytes([b[0] ^ 0xff]))' "$o/t1/shard-00000000.ims"
echo "   a byte changed in shard 0:"
"$IMASNAP" verify --dir "$o/t1" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" 2>&1 | indent || true
cp -r "$A" "$o/t2"
rm "$o/t2/shard-00000001.ims"
echo "   the carried tail deleted:"
"$IMASNAP" verify --dir "$o/t2" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" 2>&1 | indent || true

say "Numbers"
echo "   kernel 1's log at kexec: $(agg_field Entries < "$o/aggregate") records;" \
	"carried across kexec: $(sed -n 's/^carried_bytes=//p' "$o/status") bytes;" \
	"capture at kexec: $(sed -n 's/^carried_capture_ns=//p' "$o/status") ns (under TCG)"
