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
#
# IMASNAP_KERNEL names the kernel (scripts/kernels.sh names; default
# bookworm): both kernels of every hop are that kernel, with the module
# make module KERNEL=<name> built for it.
set -uo pipefail
. "$(dirname "$0")/../lib/harness.sh"
. "$top/tests/qemu/lib.sh"
IMASNAP=$top/userspace/imasnap
FORGE=$top/tests/cli/build/forge-shard
# The carry window of every kexec case (its cmdline: memmap=64K$0x30000000).
WINDOW_FIRST=0x30000000 WINDOW_LAST=0x3000ffff

# --- reading what the guests brought back ---------------------------------

# status_of OUT KEY: KEY of the module's status in the next kernel
status_of() { sed -n "s/^$2=//p" "$1/status"; }
# show_field FILE KEY: the first value of KEY in `imasnap show FILE`
show_field() { "$IMASNAP" show "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }
# digest_of SHARD: its digest, 64 hex digits
digest_of() { show_field "$1" digest | sed 's/^sha256://'; }
# records_of SHARD: how many records it holds
records_of() { "$IMASNAP" show "$1" | sed -n 's/^records .*(\([0-9]*\))$/\1/p'; }
# ends_of SHARD: its end state as "<alg> <pcr> <hex>" lines
ends_of() { "$IMASNAP" show "$1" | awk '$1 == "end" { print $2, $3, $4 }'; }
# lines_matching REGEX FILE: how many lines of FILE match REGEX
lines_matching() { grep -c -- "$1" "$2" 2>&1; }
# cmdline_count STRING DMESG: how often STRING is on the kernels' command lines
cmdline_count() { grep 'Command line:' "$2" | grep -o -- "$1" | wc -l; }

# boot MODE: run the case kexec-MODE and set what the checks of its hop
# read: $t the prefix of their names, $o the hop's output folder (both
# kernels' files, see kexec-stage.sh)
boot() {
	t=kexec_$1 o=$tmp/$1
	check "${t}_both_kernels_ran" "$top/tests/qemu/run.sh" \
		--case "$top/tests/qemu/cases/kexec-$1" --out "$o" --kernel "$KERNEL" --module || return
	sed 's/^/     /' "$tmp/out"
}

# --- the good hop -----------------------------------------------------------
#
# unpack_hop sets what the checks of the good hop read besides $t and $o:
#   $A    the archive the next kernel verified, unpacked
#   $off  the cut: the bytes of the first kernel's log in shard 0
# and writes $o/aggregate (the next kernel's snapshot_aggregate), $o/P.txt
# (the PCR state it names) and $o/old-log (the first kernel's whole log:
# shard 0's bytes + the carried tail).
unpack_hop() {
	A=$o/unpacked/archive
	mkdir -p "$o/unpacked" && tar -xf "$o/archive.tar" -C "$o/unpacked"
	agg_from_ascii_log "$o/ascii_runtime_measurements" > "$o/aggregate"
	agg_to_pcrs < "$o/aggregate" > "$o/P.txt"
	off=$(show_field "$A/shard-00000000.ims" body_bytes)
	# stage1-log was read before the last few records of kernel 1: the
	# carried tail holds everything from the cut to the kexec.
	{ head -c "$off" "$o/stage1-log"; cat "$o/carried_tail"; } > "$o/old-log"
}

# The module's ima_log serves IMA's log byte for byte, from the start and
# from an offset (dd skip=).
check_module_serves_imas_log() {
	check "${t}_module_ima_log_is_imas_log" test "$(cat "$o/stage1-ima-log-cmp.rc")" = 0
	check "${t}_module_ima_log_reads_from_an_offset" test "$(cat "$o/stage1-ima-log-seek.rc")" = 0
}

# kexec --ima-snapshot=required refuses to load while nothing is armed.
check_kexec_required_refuses_to_load() {
	check "${t}_kexec_required_refuses_while_not_armed" \
		grep -q 'imasnap is not armed' "$o/stage1-kexec-required.out"
}

# The patched kexec puts the window on the next kernel's command line (the
# stage leaves it out) and says so with --debug.
check_kexec_adds_the_window() {
	check "${t}_kexec_puts_the_window_on_the_next_command_line" \
		grep -q 'Command line: .* memmap=64K\$0x30000000 imasnap.window=64K@0x30000000' "$o/dmesg"
	check "${t}_kexec_debug_names_the_added_arguments" \
		grep -q '^imasnap: command line for the next kernel: .*imasnap_test=stage2 memmap=64K\$0x30000000 imasnap.window=64K@0x30000000$' \
		"$o/stage1-kexec-debug"
}

# segments_avoid_the_window KEXEC-DEBUG: the segments `kexec --debug`
# lists leave the window alone, and one ends in the 16 MiB below it (where
# --mem-max at the window's end pushed it).  Prints the segments.
segments_avoid_the_window() {
	local -a mem size
	local i first last next_to=0
	mapfile -t mem < <(grep -o 'segment\[[0-9]*\]\.mem   = 0x[0-9a-f]*' "$1" | sed 's/.* //')
	mapfile -t size < <(grep -o 'segment\[[0-9]*\]\.memsz = 0x[0-9a-f]*' "$1" | sed 's/.* //')
	if [ ${#mem[@]} -eq 0 ] || [ ${#mem[@]} -ne ${#size[@]} ]; then
		echo "$1: ${#mem[@]} segment addresses and ${#size[@]} sizes"
		return 1
	fi
	for i in "${!mem[@]}"; do
		first=$((mem[i])) last=$((mem[i] + size[i] - 1))
		printf '  segment %#x-%#x\n' "$first" "$last"
		if [ $last -ge $((WINDOW_FIRST)) ] && [ $first -le $((WINDOW_LAST)) ]; then
			echo "a segment overlaps the window"
			return 1
		fi
		[ $last -lt $((WINDOW_FIRST)) ] && [ $last -ge $((WINDOW_FIRST - 0x1000000)) ] && next_to=1
	done
	[ $next_to = 1 ] || { echo "no segment next to the window"; return 1; }
}

# kexec_load with --mem-max at the window's end (custom-policy): the window
# is excluded, no segment lands in it.
check_kexec_load_keeps_out_of_the_window() {
	check "${t}_kexec_load_shows_the_window_with_debug" \
		grep -q '^imasnap: carry window 0x30000000-0x3000ffff (65536 bytes), armed$' "$o/stage1-kexec-debug"
	check "${t}_kexec_load_places_no_segment_in_the_window" \
		segments_avoid_the_window "$o/stage1-kexec-debug" &&
		sed 's/^/     /' "$tmp/out"
}

# The first kernel archives its log as shard 0 and arms the module.
check_first_kernel_archives_and_arms() {
	check "${t}_snapshot_archives_the_first_kernels_log" \
		grep -q '^shard 0: .* (first shard, from cold boot)$' "$o/stage1-snapshot1.out"
	check "${t}_arm_hands_the_cut_to_the_module" grep -q '^armed: shard 0, ' "$o/stage1-arm.out"
}

# The next kernel's module accepts the record and measures the re-seed.
check_module_accepts_and_reseeds() {
	check "${t}_status_reports_an_accepted_record" grep -qx 'carried=accepted' "$o/status"
	check "${t}_status_reports_the_reseed" grep -qx 'reseed=measured' "$o/status"
}

# The next kernel collects the tail, starts its own shard and verifies.
check_next_kernel_collects_and_verifies() {
	check "${t}_collect_archives_the_tail" grep -q '^shard 1: tail of [0-9]* records' "$o/collect.out"
	check "${t}_snapshot_continues_after_kexec" \
		grep -q '^shard 2: .* (first shard of this boot, after kexec)$' "$o/snapshot2.out"
	check "${t}_verify_in_the_guest_passes_against_the_tpm" \
		grep -q '^verified: 3 shards, .* re-seeded by snapshot_aggregate after kexec$' "$o/verify.out"
}

check_host_verifies_the_archive() {
	check "${t}_verify_on_the_host_passes" "$IMASNAP" verify --dir "$A" \
		--log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt"
}

# The full history (imasnap log): the archive since the cold boot, then the
# next kernel's log past it, replays from zero to the TPM, which the next
# kernel's log alone does not (check_plain_replays_meet_at_the_aggregate):
# what a verifier that starts again at entry 0 after a kexec replays.
check_host_serves_the_full_history() {
	"$IMASNAP" log --dir "$A" --log "$o/binary_runtime_measurements" > "$o/view" 2> "$o/view.err"
	check "${t}_full_history_replays_from_zero_to_the_tpm" \
		"$IMASNAP" replay --log "$o/view" --pcrs "$o/pcrs.txt"
}

# verify names the kernel image kernel 1 measured before the jump (kexec -l
# read /boot/vmlinuz), and with --kernels refuses any other.
check_host_names_the_kernel_of_the_hop() {
	local image
	image=$("$top/scripts/kernels.sh" env "$KERNEL" | sed -n 's/^image=//p')
	"$IMASNAP" verify --dir "$A" --log "$o/binary_runtime_measurements" \
		--pcrs "$o/pcrs.txt" > "$o/hops.out" 2>&1
	check "${t}_verify_names_the_kernel_kexec_jumped_into" \
		grep -q '^kexec at shard 1: into /boot/vmlinuz (sha256:' "$o/hops.out"
	sha256sum "$image" > "$o/kernels.ok"
	check "${t}_verify_takes_a_kernel_on_the_kernels_list" "$IMASNAP" verify --dir "$A" \
		--log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" --kernels "$o/kernels.ok"
	echo "$(printf '%064d' 0)  another-kernel" > "$o/kernels.other"
	check "${t}_verify_refuses_a_kernel_off_the_kernels_list" verify_rejects_with \
		'the kexec at shard 1: the old kernel measured no kernel image of --kernels' \
		--kernels "$o/kernels.other"
}

# verify_rejects_with REGEX OPTIONS...: verify of the hop's archive with
# OPTIONS must fail and say REGEX.
verify_rejects_with() {
	local want=$1
	shift
	if "$IMASNAP" verify --dir "$A" --log "$o/binary_runtime_measurements" \
		--pcrs "$o/pcrs.txt" "$@" > "$o/rejects.out" 2>&1; then
		echo "verify passed; it must fail and say /$want/"
		return 1
	fi
	grep -q -- "$want" "$o/rejects.out" || { cat "$o/rejects.out"; return 1; }
}

# The good hop quotes with the kernels' TPM: a trailer quote in shards 0
# and 2, a nonce quote verified in the guest.
check_quotes_in_the_guest() {
	check "${t}_snapshot_quotes_the_end_state_into_the_trailer" \
		grep -q '^shard 0: end state quoted by the rsa AK' "$o/stage1-snapshot1.out"
	check "${t}_verify_in_the_guest_passes_against_a_nonce_quote" \
		grep -q '^verified: 3 shards, .* re-seeded by snapshot_aggregate after kexec, quoted by the AK$' \
		"$o/verify-quote.out"
	check "${t}_verify_in_the_guest_checks_both_trailer_quotes" \
		grep -q '^trailer quotes: 2 shards, signatures checked with the AK$' "$o/verify-quote.out"
}

# Without shards 0 and 1 (what prune leaves), verify starts from the quoted
# end of shard 2, across the kexec.
check_anchored_verify_after_pruning() {
	rm -rf "$o/pruned" && cp -r "$A" "$o/pruned" && rm "$o/pruned/shard-0000000"[01].ims
	cp "$A/ak-rsa.pem" "$o/enrolled-ak.pem"	# as the verifier enrolled it
	"$IMASNAP" verify --dir "$o/pruned" --log "$o/binary_runtime_measurements" \
		--pcrs "$o/pcrs.txt" --ak "$o/enrolled-ak.pem" --anchored > "$o/anchored.out" 2>&1
	check "${t}_verify_anchored_on_the_quoted_shard_after_kexec" \
		grep -q 'anchored on the quoted end of shard 2' "$o/anchored.out"
}

# The next kernel's log holds one snapshot_aggregate, naming shard 0 and
# the carried tail by digest.
check_aggregate_names_the_shard_and_the_tail() {
	check_eq "${t}_next_log_holds_one_snapshot_aggregate" 1 \
		"$(lines_matching snapshot_aggregate "$o/ascii_runtime_measurements")"
	check_eq "${t}_aggregate_names_shard_0" "$(show_field "$A/shard-00000000.ims" digest)" \
		"$(agg_field Shard < "$o/aggregate")"
	check_eq "${t}_aggregate_names_the_tail_digest" "sha256:$(sha256sum < "$o/carried_tail" | cut -c1-64)" \
		"$(agg_field Tail < "$o/aggregate")"
}

# Independent of the archive code: plain replays of what the kernels
# logged meet at the state the snapshot_aggregate names.
check_plain_replays_meet_at_the_aggregate() {
	check "${t}_old_log_replays_to_the_aggregate_state" \
		"$IMASNAP" replay --log "$o/old-log" --pcrs "$o/P.txt"
	check "${t}_next_log_replays_from_the_aggregate_state_to_the_tpm" \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --start "$o/P.txt" --pcrs "$o/pcrs.txt"
	expect "${t}_next_log_from_zero_does_not_match_the_tpm" 5 '' -- \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt"
}

# The module carried the first kernel's log from the cut on, and the record
# status describes.
check_carried_bytes() {
	check "${t}_carried_tail_starts_with_the_old_log_after_the_cut" \
		cmp -n "$(( $(stat -c %s "$o/stage1-log") - off ))" "$o/carried_tail" \
		<(tail -c +$((off + 1)) "$o/stage1-log")
	check_eq "${t}_carried_record_is_what_status_says" "$(status_of "$o" carried_bytes)" \
		"$(stat -c %s "$o/carried")"
}

# verify_rejects DIR REGEX [LOG [PCRS]]: verify of the archive DIR against
# LOG and PCRS (default: the next kernel's) fails and says REGEX
verify_rejects() {
	local log=${3:-$o/binary_runtime_measurements} pcrs=${4:-$o/pcrs.txt}
	if "$IMASNAP" verify --dir "$1" --log "$log" --pcrs "$pcrs"; then
		echo "verify passed; it must fail and say /$2/"
		return 1
	fi 2> "$o/t.err"
	grep -q -- "$2" "$o/t.err" || { cat "$o/t.err"; return 1; }
}

# tamper NAME REGEX COMMAND...: COMMAND changes $o/t, a copy of the
# archive; verify must reject it and say REGEX.
tamper() {
	local name=$1 want=$2
	shift 2
	rm -rf "$o/t" && cp -r "$A" "$o/t"
	"$@"
	check "${t}_verify_rejects_${name}" verify_rejects "$o/t" "$want"
}
swap() { mv "$1" "$1.swap" && mv "$2" "$1" && mv "$1.swap" "$2"; }

# Each change to the archive is caught and named.
check_verify_rejects_a_changed_archive() {
	tamper a_changed_shard_body 'shard 0' flip "$o/t/shard-00000000.ims" 1200
	tamper a_changed_shard_header 'shard 1 does not link to shard 0' flip "$o/t/shard-00000000.ims" 80
	tamper a_dropped_tail_shard 'a shard is missing' rm "$o/t/shard-00000001.ims"
	tamper a_tail_replaced_by_another_shard 'shard 1' cp "$o/t/shard-00000002.ims" "$o/t/shard-00000001.ims"
	tamper a_changed_tail_body 'shard 1' flip "$o/t/shard-00000001.ims" 700
	tamper reordered_shards 'shard 0' swap "$o/t/shard-00000000.ims" "$o/t/shard-00000002.ims"
}

# forge_a_shorter_tail DIR: shard 0, then a tail and a next shard written
# by tests/cli/forge-shard that are consistent on their own but not what
# the kernel carried: the tail lacks its last record.
forge_a_shorter_tail() {
	local d=$1 last
	[ -x "$FORGE" ] || { echo "$FORGE is missing (make cli builds it)"; return 1; }
	rm -rf "$d" && mkdir -p "$d" && cp "$A/shard-00000000.ims" "$d/"
	ends_of "$A/shard-00000000.ims" > "$o/end0"
	last=$("$IMASNAP" show "$o/carried_tail" | awk 'NR > 1 { o = $2 } END { print o }')
	head -c "$last" "$o/carried_tail" > "$o/short-tail"
	"$IMASNAP" replay --log "$o/short-tail" --start "$o/end0" > "$o/short-tail.end" &&
	"$FORGE" "$d" 1 tail "$(show_field "$A/shard-00000000.ims" boot_id)" \
		"$(records_of "$A/shard-00000000.ims")" "$off" "$o/short-tail" \
		"$(digest_of "$d/shard-00000000.ims")" "$o/end0" "$o/short-tail.end" &&
	head -c "$(show_field "$A/shard-00000002.ims" body_bytes)" "$o/binary_runtime_measurements" > "$o/body2" &&
	"$IMASNAP" replay --log "$o/body2" --start "$o/short-tail.end" > "$o/body2.end" &&
	"$FORGE" "$d" 2 log "$(show_field "$A/shard-00000002.ims" boot_id)" 0 0 "$o/body2" \
		"$(digest_of "$d/shard-00000001.ims")" "$o/short-tail.end" "$o/body2.end"
}

# A consistent archive with another tail than the one carried: the
# snapshot_aggregate names another tail digest.
a_shorter_tail_is_rejected() {
	forge_a_shorter_tail "$o/t" &&
		verify_rejects "$o/t" 'the live log has no snapshot_aggregate naming shard 0'
}
check_verify_rejects_a_forged_tail() {
	check "${t}_verify_rejects_an_aggregate_naming_another_tail" a_shorter_tail_is_rejected
}

# pcrs_one_off PCRS: the file with the last digit of sha256 PCR 10 changed
pcrs_one_off() {
	awk '$1 == "sha256" && $2 == 10 { d = substr($3, length($3));
		$3 = substr($3, 1, length($3) - 1) (d == "0" ? "1" : "0") } { print }' "$1"
}

# The archive does not verify against another boot's log or other PCRs.
check_verify_rejects_other_inputs() {
	check "${t}_verify_rejects_another_boots_log" verify_rejects "$A" 'live log' "$o/stage1-log"
	pcrs_one_off "$o/pcrs.txt" > "$o/badpcrs"
	check "${t}_verify_rejects_other_pcrs" verify_rejects "$A" "does not replay to the TPM's sha256 PCRs" \
		"$o/binary_runtime_measurements" "$o/badpcrs"
}

report_the_hop() {
	echo "     old kernel's log: $(stat -c %s "$o/stage1-log") bytes, $(agg_field Entries < "$o/aggregate") records;" \
		"carried: $(status_of "$o" carried_bytes) bytes (tail $(status_of "$o" carried_tail_bytes) bytes," \
		"$(status_of "$o" carried_tail_entries) records), captured in $(status_of "$o" carried_capture_ns) ns"
}

# The good hop; $1: ok (kexec_file_load, with quotes) or custom-policy (a
# custom IMA policy, kexec_load with --mem-max at the window).
check_ok() {
	boot "$1" || return
	unpack_hop
	check_module_serves_imas_log
	check_kexec_required_refuses_to_load
	check_kexec_adds_the_window
	[ "$1" = custom-policy ] && check_kexec_load_keeps_out_of_the_window
	check_first_kernel_archives_and_arms
	check_module_accepts_and_reseeds
	check_next_kernel_collects_and_verifies
	check_host_verifies_the_archive
	check_host_serves_the_full_history
	check_host_names_the_kernel_of_the_hop
	if [ "$1" = ok ]; then
		check_quotes_in_the_guest
		check_anchored_verify_after_pruning
	fi
	check_aggregate_names_the_shard_and_the_tail
	check_plain_replays_meet_at_the_aggregate
	check_carried_bytes
	check_verify_rejects_a_changed_archive
	check_verify_rejects_a_forged_tail
	check_verify_rejects_other_inputs
	report_the_hop
}

# --- the other hops ---------------------------------------------------------

# A good record, but no IMA policy rule measures the re-seed (no-policy).
check_reseed_needs_its_policy_rule() {
	check "${t}_record_is_accepted" grep -qx 'carried=accepted' "$o/status"
	check "${t}_status_says_the_reseed_was_not_measured" \
		grep -qx 'reseed=not_measured_no_policy_rule' "$o/status"
	check "${t}_kernel_log_says_which_rule_is_missing" \
		grep -q "imasnap: snapshot_aggregate not measured: the IMA policy needs 'measure func=CRITICAL_DATA label=imasnap'" "$o/dmesg"
	check_eq "${t}_leaves_no_snapshot_aggregate" 0 \
		"$(lines_matching snapshot_aggregate "$o/ascii_runtime_measurements")"
	check "${t}_verify_fails_without_the_aggregate" \
		grep -q 'the live log has no snapshot_aggregate naming shard 0' "$o/verify.out"
}

# kexec --reuse-cmdline (no-policy) takes this kernel's command line, which
# has the window already: it is there once, not twice.
check_reuse_cmdline_keeps_the_window_once() {
	check_eq kexec_reuse_cmdline_keeps_the_window_once 1 \
		"$(cmdline_count 'memmap=64K\$0x30000000' "$o/dmesg")"
	check_eq kexec_reuse_cmdline_keeps_the_module_argument_once 1 \
		"$(cmdline_count 'imasnap.window=64K@0x30000000' "$o/dmesg")"
	check_eq kexec_reuse_cmdline_appends 1 \
		"$(lines_matching 'Command line: .*imasnap_test=stage2' "$o/dmesg")"
}

check_no_policy() {
	boot no-policy || return
	check_reseed_needs_its_policy_rule
	check_reuse_cmdline_keeps_the_window_once
}

# A record the next kernel must reject: $1 the mode, $2 the reason.
check_rejected() {
	boot "$1" || return
	check "${t}_is_rejected_with_its_reason" grep -qx "carried_reason=$2" "$o/status"
	check "${t}_is_not_reseeded" grep -qx 'reseed=none' "$o/status"
	check_eq "${t}_leaves_no_snapshot_aggregate" 0 \
		"$(lines_matching snapshot_aggregate "$o/ascii_runtime_measurements")"
	check_eq "${t}_next_kernel_logs_one_error" 1 \
		"$(lines_matching 'imasnap: carried record rejected' "$o/dmesg")"
	# After the warm reset of stale the tool does not run in the next kernel.
	if [ "$1" != stale ]; then
		check "${t}_collect_refuses_with_the_reason" \
			grep -q "collect: the module rejected the carried record: $2" "$o/collect.out"
		check "${t}_verify_fails_in_the_next_kernel" test "$(cat "$o/verify.rc")" -ne 0
	fi
}

# A window without the record magic (what RAM holds after a cold boot): no
# record, an info line and no error; nothing re-seeded.
check_window_without_magic_is_no_record() {
	check "${t}_window_without_magic_is_no_record" grep -qx 'carried=none' "$o/status"
	check "${t}_status_says_why" grep -qx 'carried_reason=no handoff record in the window' "$o/status"
	check "${t}_is_not_reseeded" grep -qx 'reseed=none' "$o/status"
	check_eq "${t}_leaves_no_snapshot_aggregate" 0 \
		"$(lines_matching snapshot_aggregate "$o/ascii_runtime_measurements")"
	check_eq "${t}_logs_no_error" 0 "$(lines_matching 'imasnap: carried record rejected' "$o/dmesg")"
	check_eq "${t}_logs_one_info_line" 1 \
		"$(lines_matching 'imasnap: no handoff record in the window' "$o/dmesg")"
}

# Nothing is armed (garbage): kexec --ima-snapshot=required refuses to jump.
check_kexec_required_refuses_to_jump() {
	check kexec_required_refuses_to_jump_while_not_armed \
		grep -q "imasnap is not armed.*before kexec -e (or use --force)" "$o/stage1-kexec-required-exec"
	check kexec_required_exec_exits_non_zero \
		test "$(sed -n 's/^rc=//p' "$o/stage1-kexec-required-exec")" != 0
}

# Without a record the next kernel has nothing to collect and cannot verify.
check_next_kernel_has_nothing_to_collect() {
	check "${t}_collect_finds_nothing" grep -qx 'nothing carried into this boot' "$o/collect.out"
	check "${t}_verify_fails_in_the_next_kernel" test "$(cat "$o/verify.rc")" -ne 0
}

check_no_record() {
	boot garbage || return
	check_window_without_magic_is_no_record
	check_kexec_required_refuses_to_jump
	check_next_kernel_has_nothing_to_collect
}

KERNEL=${IMASNAP_KERNEL:-bookworm}
RELEASE=$("$top/scripts/kernels.sh" env "$KERNEL" | sed -n 's/^release=//p')
[ -n "$RELEASE" ] || exit 2
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
	*) : > "$tmp/out"; : > "$tmp/err"; ko "unknown mode $m" ;;
	esac
done
finish "kexec on $KERNEL ($RELEASE)"
