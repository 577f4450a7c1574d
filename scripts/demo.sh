#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the main job, as a user deploys it.  A Debian 12 guest with
# systemd, imasnap's three packages installed with apt (DKMS builds the
# module), the kernel command line set once; cold boot, then three hops of
# `systemctl kexec` (kexec_file_load, kexec_load, then into the backports
# kernel) with nobody typing an imasnap command: the packaged units
# archive, arm and collect.  After every boot a remote verifier (this host)
# sends a nonce and verifies the quote, the archive and the log the guest
# sends back.  Then the table of what each hop carried, and one tampered
# shard.  The last two lines are the verdicts; exit 0 only when the honest
# chain verifies and the tampered one is refused.
#
# The guest is tests/system's (image.sh, run.sh with the "demo" plan; make
# check runs the same boots with more hops and the attacks: hops.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
IMASNAP=$top/userspace/imasnap
o=$(mktemp -d)
trap 'rm -rf "$o"' EXIT
. "$top/tests/system/lib.sh"
IMASNAP_T0=$(date +%s)
export IMASNAP_T0
last=3

at() { printf '[%4ds]' $(($(date +%s) - IMASNAP_T0)); }
say() { printf '\n%s == %s\n' "$(at)" "$*"; }
tell() { printf '%s    %s\n' "$(at)" "$*"; }
# told: stdin, indented
told() { sed 's/^/           /'; }

say "1. The host to attest: Debian 12 with systemd, Debian's kernels 6.1 and 6.12 (backports),"
tell "and imasnap's packages installed with apt: imasnap (the tool, its systemd units),"
tell "imasnap-dkms (DKMS builds imasnap.ko for both kernels), kexec-tools-imasnap"
tell "(built once, then cached in ${IMASNAP_CACHE:-/var/cache/imasnap}/system)"
img=$("$top/tests/system/image.sh")
rel=$(sed -n 's/^release=//p' "$img/env")
bpo=$(sed -n 's/^release_bpo=//p' "$img/env")
tell "guest image: $img/root.img (ext4 on virtio-blk)"

say "2. Boot it in QEMU (TCG) with a software TPM (swtpm, banks sha1 and sha256) and let it run:"
tell "the kernel command line was set once: memmap=256K\$0x30000000 imasnap.window=256K@0x30000000"
tell "(the carry window of 'imasnap window suggest'); every boot measures 200 files of its own,"
tell "imasnap-collect.service archives what the module carried and starts the boot's shard;"
tell "before each 'systemctl kexec', imasnap-snapshot.service archives the log and arms the module;"
tell "50 more files are measured after the arm, so the module carries a tail."
tell "Under TCG a boot takes about 2 minutes; the console's last line is shown as it goes."
set +e
IMASNAP_SYSTEM_PLAN=demo "$top/tests/system/run.sh" --image "$img" --out "$o" --progress 2>&1 |
	sed -u 's/^\(\[ *[0-9]*s\]\) /\1    /'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
	echo
	echo "verify (honest chain): FAILED (the guest did not finish its hops: tests/system/run.sh exit $rc)"
	echo "verify (tampered shard): not run"
	exit 1
fi
for ((n = 0; n <= last; n++)); do unpack_archive $n; done

say "3. The remote verifier (this host): after each boot, its quote over a fresh nonce, its archive"
tell "and its log, checked with the AK enrolled at the cold boot: the chain of shards since the"
tell "cold boot, each snapshot_aggregate, the live log, all against the TPM's quoted PCRs"
honest=OK
names=("kernel 1 ($rel, cold boot)" "kernel 2 ($rel, kexec -s)" "kernel 3 ($rel, kexec -c)"
       "kernel 4 ($bpo, kexec -s)")
for ((n = 0; n <= last; n++)); do
	save=()
	[ $n = 1 ] && save=(--save-state "$o/checkpoint")
	if verify_at $n "${save[@]}" > "$o/v$n" 2>&1; then
		tell "${names[$n]}: OK: $(grep '^verified' "$o/v$n")"
	else
		honest=FAILED
		tell "${names[$n]}: FAILED"
		told < "$o/v$n"
	fi
done
tell "the whole verify of kernel 4's poll:"
told < "$o/v$last"
if verify_at $last --from "$o/checkpoint" > "$o/vfrom" 2>&1; then
	tell "again from the checkpoint saved after hop 1 (--from): OK: $(grep '^verified' "$o/vfrom")"
else
	honest=FAILED
	told < "$o/vfrom"
fi
cp -a "$(archive_of $last)" "$o/pruned"
"$IMASNAP" prune --dir "$o/pruned" --ak "$o/hop0-ak-rsa.pem" > "$o/prune" 2>&1 || honest=FAILED
tell "imasnap prune (the shards before the newest quoted one): $(head -n 1 "$o/prune")"
if verify_poll "hop$last" "$o/pruned" --anchored > "$o/vanch" 2>&1; then
	tell "then verify --anchored on the pruned archive: OK: $(grep '^verified' "$o/vanch")"
else
	honest=FAILED
	told < "$o/vanch"
fi

say "4. What a fleet verifier reads: Keylime starts again at entry 0 and a zero PCR 10 after"
tell "every kexec.  The kernel's list no longer starts at the cold boot; 'imasnap log' serves the"
tell "whole history (the shards since the cold boot, then the live log) as one IMA log"
for ((n = 0; n <= last; n++)); do
	if "$IMASNAP" log --dir "$(archive_of $n)" --log "$o/hop$n-binary_runtime_measurements" \
		> "$o/view$n" 2> "$o/view$n.err" &&
		"$IMASNAP" replay --log "$o/view$n" --pcrs "$o/hop$n-pcrs.txt" > "$o/view$n.replay" 2>&1; then
		"$IMASNAP" log --dir "$(archive_of $n)" --log "$o/hop$n-binary_runtime_measurements" \
			--format ascii > "$o/view$n.txt"
		grep -c '' < "$o/view$n.txt" > "$o/view$n-records"
		kernel=$(grep -c '' < "$o/hop$n-ascii_runtime_measurements")
		if [ $n = 0 ]; then
			tell "${names[$n]}: the view is the kernel's list ($kernel records); replayed from zero:" \
				"$(grep -c ' 10 match' "$o/view$n.replay") banks of PCR 10 match"
		elif "$IMASNAP" replay --log "$o/hop$n-binary_runtime_measurements" --pcrs "$o/hop$n-pcrs.txt" \
			> /dev/null 2>&1; then
			honest=FAILED
			tell "${names[$n]}: the kernel's own list replays to the TPM: the view is not needed?"
		else
			tell "${names[$n]}: the view holds $(cat "$o/view$n-records") records, the kernel $kernel; replayed" \
				"from zero the view matches PCR 10 in $(grep -c ' 10 match' "$o/view$n.replay") banks," \
				"the kernel's list does not"
		fi
	else
		honest=FAILED
		tell "${names[$n]}: the view FAILED"
		told < "$o/view$n.err"
		[ -f "$o/view$n.replay" ] && told < "$o/view$n.replay"
	fi
done

say "5. What each hop carried, against what CONFIG_IMA_KEXEC would have carried for the same list"
report "$img/plan-demo" $last | told || honest=FAILED
tell "(imasnap carries a header, the PCR values and the tail; CONFIG_IMA_KEXEC, which Debian's"
tell "kernels lack, would carry 24 bytes and the whole binary list; capture: the module's reboot"
tell "notifier, under TCG)"

say "6. An attacker with root on the host changes one byte of an archived shard's body"
cp -a "$(archive_of $last)" "$o/tampered"
first_log=$(kinds "$o/tampered" | awk '$2 == "tail" { print $1 + 1; exit }')
edit_body "$(shard_file "$o/tampered" "$first_log")"
tell "shard $first_log (kernel 2's first shard) edited; the verifier checks kernel 4's poll again:"
if verify_poll "hop$last" "$o/tampered" > "$o/vt" 2>&1; then
	tampered="ACCEPTED"
else
	rc=$?
	why=$(sed -n 's/^imasnap: //p' "$o/vt" | head -n 1)
	told < "$o/vt"
	[ $rc = 5 ] && tampered="REJECTED ($why)" || tampered="FAILED (exit $rc: $why)"
fi

echo
echo "verify (honest chain): $honest"
echo "verify (tampered shard): $tampered"
[ "$honest" = OK ] && [[ $tampered == REJECTED* ]]
