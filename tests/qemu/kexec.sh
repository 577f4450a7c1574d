#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kexec handoff on Debian's stock kernel under QEMU + swtpm
# (tests/qemu/kexec-stage.sh runs in the guest).  For the good hop the
# host checks what a verifier will:
#   - the archived shard replays from zero to the cut's end state;
#   - shard + carried tail replay from zero to the PCR state the next
#     kernel's snapshot_aggregate names, whose Shard/Tail digests and
#     counts are those of the shard and the tail;
#   - the next kernel's log replays from that state to its TPM's PCRs.
# Every negative case must be rejected with its reason, nothing re-seeded,
# and the next kernel must keep running.
#
#   tests/qemu/kexec.sh [mode...]     default: all modes
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
IMASNAP=$top/userspace/imasnap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@" > "$tmp/check.out" 2>&1; then ok "$name"; else ko "$name"; sed 's/^/     /' "$tmp/check.out"; fi; }

. "$top/tests/qemu/lib.sh"
status_of() { sed -n "s/^$2=//p" "$1/status"; }

boot() {
	local mode=$1 out=$tmp/$1
	if ! "$top/tests/qemu/run.sh" --case "$top/tests/qemu/cases/kexec-$mode" \
		--out "$out" --module "$top/imasnap.ko" > "$tmp/$mode.run" 2>&1; then
		ko "kexec_${mode}_both_kernels_ran"
		sed 's/^/     /' "$tmp/$mode.run"
		return 1
	fi
	ok "kexec_${mode}_both_kernels_ran"
}

# The good hop; $1: mode (ok, custom-policy: the same with a custom IMA policy)
check_ok() {
	local o=$tmp/$1
	boot "$1" || return
	agg_from_ascii_log "$o/ascii_runtime_measurements" > "$o/aggregate"
	agg_to_pcrs < "$o/aggregate" > "$o/P.txt"
	agg_to_pcrs < "$o/stage1-cut" > "$o/cut.txt"
	cat "$o/stage1-shard" "$o/carried_tail" > "$o/old-log"

	check kexec_${1}_status_reports_an_accepted_record grep -qx 'carried=accepted' "$o/status"
	check kexec_${1}_status_reports_the_reseed grep -qx 'reseed=measured' "$o/status"
	check kexec_${1}_next_log_holds_one_snapshot_aggregate \
		test "$(grep -c snapshot_aggregate "$o/ascii_runtime_measurements")" -eq 1
	check kexec_${1}_shard_replays_to_the_cut_state \
		"$IMASNAP" replay --log "$o/stage1-shard" --pcrs "$o/cut.txt"
	check kexec_${1}_shard_and_tail_replay_to_the_aggregate_state \
		"$IMASNAP" replay --log "$o/old-log" --pcrs "$o/P.txt"
	check kexec_${1}_next_log_replays_from_the_aggregate_state_to_the_tpm \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" \
		--start "$o/P.txt" --pcrs "$o/pcrs.txt"
	check kexec_${1}_next_log_from_zero_does_not_match_the_tpm \
		test "$("$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" > /dev/null 2>&1; echo $?)" -eq 5
	check kexec_${1}_aggregate_names_the_shard_digest test \
		"$(agg_field Shard < "$o/aggregate")" = "sha256:$(sha256sum < "$o/stage1-shard" | cut -c1-64)"
	check kexec_${1}_aggregate_names_the_tail_digest test \
		"$(agg_field Tail < "$o/aggregate")" = "sha256:$(sha256sum < "$o/carried_tail" | cut -c1-64)"
	local cut_entries tail_entries
	cut_entries=$(agg_field Entries < "$o/stage1-cut")
	tail_entries=$("$IMASNAP" replay --json --log "$o/carried_tail" --start "$o/cut.txt" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
	check kexec_${1}_aggregate_counts_the_tail test "$(agg_field TailEntries < "$o/aggregate")" -eq "$tail_entries"
	check kexec_${1}_aggregate_counts_every_record_before_the_next_kernel test \
		"$(agg_field Entries < "$o/aggregate")" -eq $((cut_entries + tail_entries))
	check kexec_${1}_carried_record_is_what_status_says test \
		"$(stat -c %s "$o/carried")" -eq "$(status_of "$o" carried_bytes)"
	echo "     old kernel's log: $(stat -c %s "$o/stage1-log") bytes, $((cut_entries + tail_entries)) records;" \
		"carried: $(status_of "$o" carried_bytes) bytes (tail $(status_of "$o" carried_tail_bytes) bytes," \
		"$(status_of "$o" carried_tail_entries) records), captured in $(status_of "$o" carried_capture_ns) ns"
}

# A good record, but no IMA policy rule measures the re-seed.
check_no_policy() {
	local o=$tmp/no-policy
	boot no-policy || return
	check kexec_no-policy_record_is_accepted grep -qx 'carried=accepted' "$o/status"
	check kexec_no-policy_status_says_the_reseed_was_not_measured \
		grep -qx 'reseed=not_measured_no_policy_rule' "$o/status"
	check kexec_no-policy_kernel_log_says_which_rule_is_missing \
		grep -q "imasnap: snapshot_aggregate not measured: the IMA policy needs 'measure func=CRITICAL_DATA label=imasnap'" "$o/dmesg"
	check kexec_no-policy_leaves_no_snapshot_aggregate \
		test "$(grep -c snapshot_aggregate "$o/ascii_runtime_measurements")" -eq 0
}

check_rejected() {
	local mode=$1 reason=$2 o=$tmp/$1
	boot "$mode" || return
	check "kexec_${mode}_is_rejected_with_its_reason" \
		grep -qx "carried_reason=$reason" "$o/status"
	check "kexec_${mode}_is_not_reseeded" grep -qx 'reseed=none' "$o/status"
	check "kexec_${mode}_leaves_no_snapshot_aggregate" \
		test "$(grep -c snapshot_aggregate "$o/ascii_runtime_measurements")" -eq 0
	check "kexec_${mode}_next_kernel_logs_one_error" \
		test "$(grep -c 'imasnap: carried record rejected' "$o/dmesg")" -eq 1
}

modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(ok custom-policy no-policy wrong-state garbage truncated bad-digest stale)
make -s -C "$top/userspace"
for m in "${modes[@]}"; do
	case $m in
	ok | custom-policy) check_ok "$m" ;;
	no-policy) check_no_policy ;;
	wrong-state) check_rejected wrong-state "the tail does not replay from the armed state to the TPM's PCRs" ;;
	garbage) check_rejected garbage "bad record magic" ;;
	truncated) check_rejected truncated "record size out of bounds" ;;
	bad-digest) check_rejected bad-digest "record self-digest does not match" ;;
	stale) check_rejected stale "stale record: the TPM was reset since it was written" ;;
	*) ko "unknown mode $m" ;;
	esac
done
echo "kexec: $pass passed, $fail failed"
[ $fail -eq 0 ]
