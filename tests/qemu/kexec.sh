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
digest_of() { "$IMASNAP" show "$1" | awk '/^digest/ { sub("sha256:", "", $2); print $2 }'; }

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
	local m=$1 o=$tmp/$1 t=kexec_$1
	boot "$m" || return
	mkdir -p "$o/unpacked" && tar -xf "$o/archive.tar" -C "$o/unpacked"
	local A=$o/unpacked/archive
	agg_from_ascii_log "$o/ascii_runtime_measurements" > "$o/aggregate"
	agg_to_pcrs < "$o/aggregate" > "$o/P.txt"

	check ${t}_kexec_required_refuses_while_not_armed grep -q 'imasnap is not armed' "$o/stage1-kexec-required.out"
	check ${t}_kexec_puts_the_window_on_the_next_command_line \
		grep -q 'Command line: .* memmap=64K\$0x30000000 imasnap.window=64K@0x30000000' "$o/dmesg"
	check ${t}_kexec_debug_names_the_added_arguments \
		grep -q '^imasnap: command line for the next kernel: .*imasnap_test=stage2 memmap=64K\$0x30000000 imasnap.window=64K@0x30000000$' "$o/stage1-kexec-debug"
	if [ "$m" = custom-policy ]; then
		check ${t}_kexec_load_shows_the_window_with_debug \
			grep -q '^imasnap: carry window 0x30000000-0x3000ffff (65536 bytes), armed$' "$o/stage1-kexec-debug"
		# kexec_load with --mem-max at the window's end: no segment in the
		# window, and one pushed right below it.
		check ${t}_kexec_load_places_no_segment_in_the_window python3 - "$o/stage1-kexec-debug" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
mem = [int(x, 16) for x in re.findall(r"segment\[\d+\]\.mem   = (0x[0-9a-f]+)", t)]
size = [int(x, 16) for x in re.findall(r"segment\[\d+\]\.memsz = (0x[0-9a-f]+)", t)]
ws, we = 0x30000000, 0x3000ffff
for m, n in zip(mem, size):
    print("       segment %#x-%#x" % (m, m + n - 1))
assert mem and len(mem) == len(size)
assert all(m + n - 1 < ws or m > we for m, n in zip(mem, size)), "a segment overlaps the window"
assert any(ws - 0x1000000 <= m + n - 1 < ws for m, n in zip(mem, size)), "no segment next to the window"
PY
		sed 's/^/     /' "$tmp/check.out"
	fi
	check ${t}_snapshot_archives_the_first_kernels_log grep -q '^shard 0: .* (first shard, from cold boot)$' "$o/stage1-snapshot1.out"
	check ${t}_arm_hands_the_cut_to_the_module grep -q '^armed: shard 0, ' "$o/stage1-arm.out"
	check ${t}_status_reports_an_accepted_record grep -qx 'carried=accepted' "$o/status"
	check ${t}_status_reports_the_reseed grep -qx 'reseed=measured' "$o/status"
	check ${t}_collect_archives_the_tail grep -q '^shard 1: tail of [0-9]* records' "$o/collect.out"
	check ${t}_snapshot_continues_after_kexec grep -q '^shard 2: .* (first shard of this boot, after kexec)$' "$o/snapshot2.out"
	check ${t}_verify_in_the_guest_passes_against_the_tpm grep -q '^verified: 3 shards, .* re-seeded by snapshot_aggregate after kexec$' "$o/verify.out"
	check ${t}_verify_on_the_host_passes "$IMASNAP" verify --dir "$A" \
		--log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt"
	if [ "$m" = ok ]; then
		check ${t}_snapshot_quotes_the_end_state_into_the_trailer \
			grep -q '^shard 0: end state quoted by the rsa AK' "$o/stage1-snapshot1.out"
		check ${t}_verify_in_the_guest_passes_against_a_nonce_quote \
			grep -q '^verified: 3 shards, .* re-seeded by snapshot_aggregate after kexec, quoted by the AK$' \
			"$o/verify-quote.out"
		check ${t}_verify_in_the_guest_checks_both_trailer_quotes \
			grep -q '^trailer quotes: 2 shards, signatures checked with the AK$' "$o/verify-quote.out"
		rm -rf "$o/pruned" && cp -r "$A" "$o/pruned" && rm "$o/pruned/shard-0000000"[01].ims
		"$IMASNAP" verify --dir "$o/pruned" --log "$o/binary_runtime_measurements" \
			--pcrs "$o/pcrs.txt" --ak "$A/ak-rsa.pem" --anchored > "$o/anchored.out" 2>&1
		check ${t}_verify_anchored_on_the_quoted_shard_after_kexec \
			grep -q 'anchored on the quoted end of shard 2' "$o/anchored.out"
	fi
	check ${t}_next_log_holds_one_snapshot_aggregate \
		test "$(grep -c snapshot_aggregate "$o/ascii_runtime_measurements")" -eq 1
	# Independent of the archive code: plain replays of what the kernels logged.
	local off
	off=$("$IMASNAP" show "$A/shard-00000000.ims" | awk '/^body_bytes/ {print $2}')
	# stage1-log was read before the last few records of kernel 1: the
	# carried tail holds everything from the cut to the kexec.
	{ head -c "$off" "$o/stage1-log"; cat "$o/carried_tail"; } > "$o/old-log"
	check ${t}_old_log_replays_to_the_aggregate_state \
		"$IMASNAP" replay --log "$o/old-log" --pcrs "$o/P.txt"
	check ${t}_next_log_replays_from_the_aggregate_state_to_the_tpm \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --start "$o/P.txt" --pcrs "$o/pcrs.txt"
	check ${t}_next_log_from_zero_does_not_match_the_tpm \
		test "$("$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" > /dev/null 2>&1; echo $?)" -eq 5
	check ${t}_carried_tail_starts_with_the_old_log_after_the_cut \
		cmp -n "$(( $(stat -c %s "$o/stage1-log") - off ))" "$o/carried_tail" \
		<(tail -c +$((off + 1)) "$o/stage1-log")
	check ${t}_aggregate_names_shard_0 test "$(agg_field Shard < "$o/aggregate")" = \
		"$("$IMASNAP" show "$A/shard-00000000.ims" | awk '/^digest/ {print $2}')"
	check ${t}_aggregate_names_the_tail_digest test "$(agg_field Tail < "$o/aggregate")" = \
		"sha256:$(sha256sum < "$o/carried_tail" | cut -c1-64)"
	check ${t}_carried_record_is_what_status_says test \
		"$(stat -c %s "$o/carried")" -eq "$(status_of "$o" carried_bytes)"

	# Tampering with the archive: each must be caught and named.
	tamper() {
		local name=$1 want=$2
		shift 2
		rm -rf "$o/t" && cp -r "$A" "$o/t"
		"$@"
		"$IMASNAP" verify --dir "$o/t" --log "$o/binary_runtime_measurements" \
			--pcrs "$o/pcrs.txt" > /dev/null 2> "$o/t.err"
		check "${t}_verify_rejects_${name}" grep -q "$want" "$o/t.err"
	}
	flip() {	# invert byte $2 of file $1 in place: always a change
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
	tamper a_changed_shard_body 'shard 0' flip "$o/t/shard-00000000.ims" 1200
	tamper a_changed_shard_header 'shard 1 does not link to shard 0' flip "$o/t/shard-00000000.ims" 80
	tamper a_dropped_tail_shard 'a shard is missing' rm "$o/t/shard-00000001.ims"
	tamper a_tail_replaced_by_another_shard 'shard 1' cp "$o/t/shard-00000002.ims" "$o/t/shard-00000001.ims"
	tamper a_changed_tail_body 'shard 1' flip "$o/t/shard-00000001.ims" 700
	tamper reordered_shards 'shard 0' eval 'mv "$o/t/shard-00000000.ims" "$o/t/x"; mv "$o/t/shard-00000002.ims" "$o/t/shard-00000000.ims"; mv "$o/t/x" "$o/t/shard-00000002.ims"'
	# A tail and a next shard that are consistent on their own, but not what
	# the kernel carried: the snapshot_aggregate names another tail digest.
	local FORGE=$top/tests/cli/build/forge-shard show0 boot0 n0 last
	show0=$("$IMASNAP" show "$A/shard-00000000.ims")
	boot0=$(awk '/^boot_id/ { print $2 }' <<< "$show0")
	n0=$(awk '/^records/ { print substr($3, 2) }' <<< "$show0")
	awk '/^end/ { print $2, $3, $4 }' <<< "$show0" > "$o/end0"
	last=$("$IMASNAP" show "$o/carried_tail" | awk 'NR > 1 { o = $2 } END { print o }')
	head -c "$last" "$o/carried_tail" > "$o/short-tail"
	"$IMASNAP" replay --log "$o/short-tail" --start "$o/end0" > "$o/short-tail.end"
	rm -rf "$o/t" && mkdir -p "$o/t" && cp "$A/shard-00000000.ims" "$o/t/"
	"$FORGE" "$o/t" 1 tail "$boot0" "$n0" "$off" "$o/short-tail" \
		"$(digest_of "$o/t/shard-00000000.ims")" "$o/end0" "$o/short-tail.end" > /dev/null
	local size2
	size2=$("$IMASNAP" show "$A/shard-00000002.ims" | awk '/^body_bytes/ { print $2 }')
	head -c "$size2" "$o/binary_runtime_measurements" > "$o/body2"
	"$IMASNAP" replay --log "$o/body2" --start "$o/short-tail.end" > "$o/body2.end"
	"$FORGE" "$o/t" 2 log "$(awk '/^boot_id/ { print $2 }' < <("$IMASNAP" show "$A/shard-00000002.ims"))" \
		0 0 "$o/body2" "$(digest_of "$o/t/shard-00000001.ims")" "$o/short-tail.end" "$o/body2.end" > /dev/null
	"$IMASNAP" verify --dir "$o/t" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" > /dev/null 2> "$o/t.err"
	check ${t}_verify_rejects_an_aggregate_naming_another_tail \
		grep -q 'the live log has no snapshot_aggregate naming shard 0' "$o/t.err"
	"$IMASNAP" verify --dir "$A" --log "$o/stage1-log" --pcrs "$o/pcrs.txt" > /dev/null 2> "$o/t.err"
	check ${t}_verify_rejects_another_boots_log grep -q 'live log' "$o/t.err"
	# sha256 PCR 10 with its last digit changed
	awk '$1 == "sha256" && $2 == 10 { d = substr($3, length($3)); $3 = substr($3, 1, length($3) - 1) (d == "0" ? "1" : "0") } { print }' "$o/pcrs.txt" > "$o/badpcrs"
	"$IMASNAP" verify --dir "$A" --log "$o/binary_runtime_measurements" --pcrs "$o/badpcrs" > /dev/null 2> "$o/t.err"
	check ${t}_verify_rejects_other_pcrs grep -q "does not replay to the TPM's sha256 PCRs" "$o/t.err"

	echo "     old kernel's log: $(stat -c %s "$o/stage1-log") bytes, $(agg_field Entries < "$o/aggregate") records;" \
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
	check kexec_no-policy_verify_fails_without_the_aggregate \
		grep -q 'the live log has no snapshot_aggregate naming shard 0' "$o/verify.out"
	# --reuse-cmdline: the window is there once, not twice.
	check kexec_reuse_cmdline_keeps_the_window_once test "$(grep 'Command line:' "$o/dmesg" |
		grep -o 'memmap=64K\$0x30000000' | wc -l)" -eq 1
	check kexec_reuse_cmdline_keeps_the_module_argument_once test "$(grep 'Command line:' "$o/dmesg" |
		grep -o 'imasnap.window=64K@0x30000000' | wc -l)" -eq 1
	check kexec_reuse_cmdline_appends test "$(grep -c 'Command line: .*imasnap_test=stage2' "$o/dmesg")" -eq 1
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
	if [ "$mode" != stale ]; then
		check "kexec_${mode}_collect_refuses_with_the_reason" \
			grep -q "collect: the module rejected the carried record: $reason" "$o/collect.out"
		check "kexec_${mode}_verify_fails_in_the_next_kernel" test "$(cat "$o/verify.rc")" -ne 0
	fi
}

# A window without the record magic (what RAM holds after a cold boot): no
# record, an info line and no error; nothing re-seeded, and verify fails.
check_no_record() {
	local mode=garbage o=$tmp/garbage t=kexec_garbage
	boot "$mode" || return
	check ${t}_window_without_magic_is_no_record grep -qx 'carried=none' "$o/status"
	check ${t}_status_says_why grep -qx 'carried_reason=no handoff record in the window' "$o/status"
	check ${t}_is_not_reseeded grep -qx 'reseed=none' "$o/status"
	check ${t}_leaves_no_snapshot_aggregate \
		test "$(grep -c snapshot_aggregate "$o/ascii_runtime_measurements")" -eq 0
	check ${t}_logs_no_error test "$(grep -c 'imasnap: carried record rejected' "$o/dmesg")" -eq 0
	check ${t}_logs_one_info_line \
		test "$(grep -c 'imasnap: no handoff record in the window' "$o/dmesg")" -eq 1
	check kexec_required_refuses_to_jump_while_not_armed \
		grep -q "imasnap is not armed.*before kexec -e (or use --force)" "$o/stage1-kexec-required-exec"
	check kexec_required_exec_exits_non_zero \
		test "$(sed -n 's/^rc=//p' "$o/stage1-kexec-required-exec")" != 0
	check ${t}_collect_finds_nothing grep -qx 'nothing carried into this boot' "$o/collect.out"
	check ${t}_verify_fails_in_the_next_kernel test "$(cat "$o/verify.rc")" -ne 0
}

modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(ok custom-policy no-policy wrong-state garbage truncated bad-digest stale)
make -s -C "$top/userspace"
for m in "${modes[@]}"; do
	case $m in
	ok | custom-policy) check_ok "$m" ;;
	no-policy) check_no_policy ;;
	wrong-state) check_rejected wrong-state "the tail does not replay from the armed state to the TPM's PCRs" ;;
	garbage) check_no_record ;;
	truncated) check_rejected truncated "record size out of bounds" ;;
	bad-digest) check_rejected bad-digest "record self-digest does not match" ;;
	stale) check_rejected stale "stale record: the TPM was reset since it was written" ;;
	*) ko "unknown mode $m" ;;
	esac
done
echo "kexec: $pass passed, $fail failed"
[ $fail -eq 0 ]
