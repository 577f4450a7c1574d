#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the main job, as far as it exists today.
#
# Today (the foundation): boot Debian 12's stock kernel in QEMU with a
# software TPM, load imasnap.ko, which replays IMA's live log in the kernel
# with the lib/ core, bring the log and the PCRs back, and replay them on the
# host with `imasnap replay`.  Snapshot, kexec, re-seed and verify come with
# the module's capture path, the snapshot/verify tool and the kexec-tools
# patches (see README.md, "Status").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
abi=$(cat "$CACHE/kernel/ABI")

say() { printf '\n== %s\n' "$*"; }

say "1. Boot Debian's kernel $abi in qemu-system-x86_64 (TCG) with swtpm (TPM 2.0, banks $(cat "$top/tests/qemu/cases/demo/banks"))"
echo "   kernel arguments: $(cat "$top/tests/qemu/cases/demo/cmdline") rootfstype=ramfs"
start=$(date +%s.%N)
"$top/tests/qemu/run.sh" --case "$top/tests/qemu/cases/demo" --out "$out" \
	--module "$top/imasnap.ko"
printf '   booted, ran the workload, powered off in %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

say "2. IMA measured $(wc -l < "$out/ascii_runtime_measurements") records into PCR 10 (ascii_runtime_measurements):"
cut -c1-150 "$out/ascii_runtime_measurements" | sed 's/^/   /'

say "3. In the guest, imasnap.ko replayed that live log with the lib/ core (crypto_shash) and read the TPM:"
grep 'imasnap:' "$out/dmesg" | grep -v taint | sed 's/^/   /'

say "4. On the host, imasnap replay (the same lib/ core, OpenSSL EVP) against every PCR the TPM reported:"
"$top/userspace/imasnap" replay --log "$out/binary_runtime_measurements" \
	--pcrs "$out/pcrs.txt" | sed 's/^/   /'

say "5. A verifier that gets one byte of the log changed:"
cp "$out/binary_runtime_measurements" "$out/tampered"
printf 'X' | dd of="$out/tampered" bs=1 seek=150 conv=notrunc status=none
set +e
"$top/userspace/imasnap" replay --log "$out/tampered" --pcrs "$out/pcrs.txt" 2>&1 | sed 's/^/   /'
rc=${PIPESTATUS[0]}
set -e
echo "   exit code $rc (4: malformed input)"

say "Not yet in this demo: snapshot into shards, kexec, carry window, re-seed with snapshot_aggregate, verify against a quote."
echo "   Those are the next milestones (README.md, Status)."
