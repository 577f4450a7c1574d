#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The real deployment (issue 14): a Debian 12 guest with systemd, the
# packages of `make deb` installed with apt (DKMS built the module for both
# kernels), the kernel command line set once, and three hops of `systemctl
# kexec` done by the packaged units alone: kernel 0 -> kernel 1 with
# kexec_file_load (`kexec -s`), -> kernel 2 with kexec_load (`kexec -c`),
# -> kernel 3, bookworm-backports' 6.12 (tests/system/image.sh,
# tests/system/run.sh).  Every kernel answers a nonce with a quote and
# sends its archive and log; here, as a remote verifier would, each is
# verified with the AK enrolled at the cold boot: in full, from a checkpoint
# saved after hop 1, and --anchored after pruning.  Then the attacks, each
# refused with its reason: the last archive with a shard edited, deleted,
# two swapped, the tail replaced by a consistent forgery; in the guest, a
# second snapshot_aggregate record made by root, a jump with the snapshot
# unit masked, and kexec --ima-snapshot=required's refusals after it.  Then
# the table of what each hop carried against what CONFIG_IMA_KEXEC would
# have.
#
#   tests/system/hops.sh [--out DIR]      DIR keeps what the guest sent
set -uo pipefail
. "$(dirname "$0")/../lib/harness.sh"
IMASNAP=$top/userspace/imasnap
o=$tmp/system
while [ $# -gt 0 ]; do
	case "$1" in
	--out) o=$2; shift 2 ;;
	*) echo "hops.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$o"
last=3

. "$top/tests/system/lib.sh"

img=$("$top/tests/system/image.sh") || { echo "hops.sh: no guest image" >&2; exit 2; }
rel=$(sed -n 's/^release=//p' "$img/env")
bpo=$(sed -n 's/^release_bpo=//p' "$img/env")
make -s -C "$top" test-helpers > /dev/null
# (check takes the command's stderr; fd 3 is the terminal's)
exec 3>&2
run_guest() { "$top/tests/system/run.sh" --image "$img" --out "$o" 2>&3; }
# IMASNAP_SYSTEM_REUSE=1 with --out: check what an earlier run left there.
if [ "${IMASNAP_SYSTEM_REUSE:-}" = 1 ] && [ -s "$o/kernels" ]; then
	echo "hops.sh: checking the run in $o (IMASNAP_SYSTEM_REUSE=1)"
else
	rm -rf "$o" && mkdir -p "$o"
	# run.sh's progress on the terminal, as the guest reports it.
	check system_guest_runs_its_plan run_guest || {
		tail -n 60 "$o/console.log" 2>/dev/null | sed 's/^/     /'
		finish system
		exit 1
	}
fi
check_eq system_kernels_boot_in_the_plans_order "$rel $rel $rel $bpo $rel" "$(tr '\n' ' ' < "$o/kernels" | sed 's/ $//')"
for ((n = 0; n <= last; n++)); do
	unpack_archive $n
	check_eq "system_hop${n}_collect_unit_succeeds" success "$(cat "$o/hop$n-collect-result")"
done
check system_cold_boot_carries_nothing grep -qx 'carried=none' "$o/hop0-status"
for ((n = 1; n <= last; n++)); do
	check "system_hop${n}_module_accepts_what_kernel_$((n - 1))_carried" grep -qx 'carried=accepted' "$o/hop$n-status"
	check "system_hop${n}_module_reseeds_ima" grep -qx 'reseed=measured' "$o/hop$n-status"
	check "system_hop${n}_tail_is_not_empty" test "$(status_of $n carried_tail_entries)" -gt 0
	check "system_hop${n}_collect_archives_the_tail" grep -q 'tail of [0-9]* records' "$o/hop$n-collect"
	check "system_hop$((n - 1))_snapshot_unit_armed_before_the_jump" grep -qx 'armed=yes' "$o/hop$((n - 1))-status-armed"
done
check system_archive_keeps_the_enrolled_ak cmp "$o/hop0-ak-rsa.pem" "$(archive_of $last)/ak-rsa.pem"

# --- the remote verifier ------------------------------------------------------------
for ((n = 0; n <= last; n++)); do
	save=()
	[ $n = 1 ] && save=(--save-state "$o/checkpoint-hop1")
	verify_at $n "${save[@]}" > "$o/verify$n.out" 2>&1
	check "system_verify_of_kernel_${n}s_quote_passes_in_full" verify_at $n
done
sed 's/^/     /' "$o/verify$last.out"
check system_verify_from_the_checkpoint_of_hop_1_passes verify_at $last --from "$o/checkpoint-hop1"
rm -rf "$o/pruned" && cp -a "$(archive_of $last)" "$o/pruned"
check system_prune_with_the_enrolled_ak_succeeds "$IMASNAP" prune --dir "$o/pruned" --ak "$o/hop0-ak-rsa.pem"
check system_prune_deletes_shards test "$(find "$o/pruned" -name 'shard-*.ims' | wc -l)" -lt \
	"$(find "$(archive_of $last)" -name 'shard-*.ims' | wc -l)"
check system_verify_anchored_after_pruning_passes \
	"$IMASNAP" verify --dir "$o/pruned" --anchored --log "$o/hop$last-binary_runtime_measurements" \
	--quote "$o/hop$last-quote.bin" --ak "$o/hop0-ak-rsa.pem" --nonce "$(cat "$o/hop$last-nonce")"

# --- the full-history view a fleet verifier replays from entry 0 --------------------------
# Keylime's verifier starts again at entry 0 and a zero PCR 10 after every
# kexec: the view of each poll (the archive it sent and its log) must
# replay from zero to the PCRs the kernel showed then, in every bank, and
# its ascii form must end in exactly the kernel's own ascii file.
view_of() { "$IMASNAP" log --dir "$(archive_of "$1")" --log "$o/hop$1-binary_runtime_measurements" "${@:2}"; }
serve_view() { view_of "$1" > "$o/view$1"; }
replays_to_the_tpm() {	# replays_to_the_tpm VIEW PCRS: PCR 10 of both banks matches, nothing mismatches
	"$IMASNAP" replay --log "$1" --pcrs "$2" > "$tmp/replay.out" || return 1
	grep -qx 'sha1 10 match template-hash' "$tmp/replay.out" &&
		grep -qx 'sha256 10 match template-hash' "$tmp/replay.out"
}
ends_in() {	# ends_in VIEW.TXT KERNEL.TXT: the kernel's lines are the view's last ones
	[ -s "$2" ] && tail -n "$(wc -l < "$2")" "$1" | cmp -s - "$2"
}
for ((n = 0; n <= last; n++)); do
	check "system_hop${n}_view_is_served" serve_view $n
	check "system_hop${n}_view_replays_from_zero_to_the_tpms_pcrs" \
		replays_to_the_tpm "$o/view$n" "$o/hop$n-pcrs.txt"
	check "system_hop${n}_kernels_own_log_does_not_replay_from_zero" \
		sh -c "! '$IMASNAP' replay --log '$o/hop$n-binary_runtime_measurements' --pcrs '$o/hop$n-pcrs.txt' > /dev/null 2>&1 || [ $n = 0 ]"
	view_of $n --format ascii > "$o/view$n.txt"
	check "system_hop${n}_ascii_view_ends_in_the_kernels_ascii_log" \
		ends_in "$o/view$n.txt" "$o/hop$n-ascii_runtime_measurements"
	grep -c '' < "$o/view$n.txt" > "$o/view$n-records"
	# imasnap-log.service's mount in the guest, read as Keylime's agent reads it.
	check "system_hop${n}_mounted_view_is_the_log_view" cmp "$o/hop$n-view.txt" "$o/view$n.txt"
	check_eq "system_hop${n}_mounted_view_reads_without_error" "" "$(cat "$o/hop$n-view.err")"
	if [ $n -gt 0 ]; then
		from=$(int "$(cat "$o/hop$n-view-from-entry")")
		check_eq "system_hop${n}_incremental_read_starts_where_kernel_$((n - 1))s_poll_stopped" \
			"$(grep -c '' < "$o/hop$((n - 1))-view.txt")" "$from"
		check "system_hop${n}_mounted_view_keeps_every_record_of_kernel_$((n - 1))s_view_where_it_was" \
			cmp "$o/hop$((n - 1))-view.txt" <(head -n "$from" "$o/hop$n-view.txt")
		check "system_hop${n}_incremental_read_from_entry_n_after_the_kexec_returns_exactly_the_records_after_n" \
			cmp "$o/hop$n-view-from.txt" <(tail -n "+$((from + 1))" "$o/hop$n-view.txt")
	fi
done

# --- the host's archive, tampered with between hops ------------------------------------
# An attacker with root on the host edits, deletes, swaps or replaces shards
# before the verifier fetches them: each verify of the last kernel's quote
# with the altered archive fails (exit 5) and says why.  What it said goes
# to verdicts.txt.
verify_with() { verify_poll "hop$last" "$1"; }
# rejected NAME WHAT REGEX POLL DIR: verify fails (exit 5) naming REGEX
rejected() {
	expect "$1" 5 "$3" -- verify_poll "$4" "$5"
	printf 'verify (%s): REJECTED (%s)\n' "$2" \
		"$(sed -n 's/^imasnap: //p' "$tmp/err" | head -n 1)" >> "$o/verdicts.txt"
}
fresh() { rm -rf "$o/t-$1" && cp -a "$(archive_of $last)" "$o/t-$1" && echo "$o/t-$1"; }
: > "$o/verdicts.txt"
mapfile -t tails < <(kinds "$(archive_of $last)" | sed -n 's/ tail$//p')
check_eq system_last_archive_holds_a_tail_of_every_hop "$last" "${#tails[@]}"
if [ "${#tails[@]}" = "$last" ]; then
	first_log=$((tails[0] + 1)) later_log=$((tails[1] + 1)) newest_tail=${tails[$((last - 1))]}
	# One byte of a body, half-way into it.
	d=$(fresh edited)
	edit_body "$(shard_file "$d" "$first_log")"
	rejected system_verify_rejects_a_shard_with_an_edited_body "shard $first_log edited" \
		"shard $first_log" "hop$last" "$d"
	d=$(fresh deleted)
	rm "$(shard_file "$d" "$first_log")"
	rejected system_verify_rejects_an_archive_with_a_shard_deleted "shard $first_log deleted" \
		"a shard is missing: shard $first_log [(]1 missing" "hop$last" "$d"
	d=$(fresh swapped)
	mv "$(shard_file "$d" "$first_log")" "$d/swap"
	mv "$(shard_file "$d" "$later_log")" "$(shard_file "$d" "$first_log")"
	mv "$d/swap" "$(shard_file "$d" "$later_log")"
	rejected system_verify_rejects_two_swapped_shards "shards $first_log and $later_log swapped" \
		"shard $first_log" "hop$last" "$d"
	# The newest tail, replaced by one without its last record, every digest
	# and its end state made anew: a consistent shard, and a chain that links.
	# Only the live log's snapshot_aggregate (extended into PCR 10) says
	# which tail the module carried.  This boot's later shards go, which
	# alone is no attack (control): the live log holds their records.
	d=$(fresh tail-control)
	for s in $(kinds "$d" | awk -v t="$newest_tail" '$1 > t { print $1 }'); do rm "$(shard_file "$d" "$s")"; done
	check system_verify_passes_without_this_boots_shards verify_with "$d"
	d=$(fresh tail-replaced)
	for s in $(kinds "$d" | awk -v t="$newest_tail" '$1 > t { print $1 }'); do rm "$(shard_file "$d" "$s")"; done
	f=$(shard_file "$d" "$newest_tail")
	tail -c "+$(($(body_at "$f") + 1))" "$f" | head -c "$(field "$f" body_bytes)" > "$o/tail.body"
	"$IMASNAP" show "$f" | sed -n 's/^start  *//p' > "$o/tail.start"
	keep=$("$IMASNAP" show "$o/tail.body" | awk 'NR > 1 { off = $2 } END { print off }')
	head -c "$keep" "$o/tail.body" > "$o/tail.forged"
	"$IMASNAP" replay --log "$o/tail.forged" --start "$o/tail.start" --banks sha1,sha256 > "$o/tail.end"
	boot=$(field "$f" boot_id) prev=$(field "$f" prev | sed 's/^sha256://')
	first=$(field "$f" records | sed 's/\..*//') off=$(field "$f" log_offset)
	rm "$f"
	check system_a_consistent_forged_tail_can_be_written "$top/tests/cli/build/forge-shard" "$d" \
		"$newest_tail" tail "$boot" "$first" "$off" "$o/tail.forged" "$prev" "$o/tail.start" "$o/tail.end"
	rejected system_verify_rejects_a_replaced_tail_shard "tail shard $newest_tail replaced" \
		"snapshot_aggregate" "hop$last" "$d"
fi

# --- the attacks in the guest ------------------------------------------------------------
# Kernel 3, after its poll: root adds a key to a keyring named
# snapshot_aggregate, which the policy's KEY_CHECK rule logs as a second
# ima-buf record of that name; then a jump with imasnap-snapshot.service
# masked, so nothing is armed; kernel 4 then tries kexec -l and kexec -e
# with --ima-snapshot=required.
fake=hop$last-fake unarmed=$((last + 1))
check_eq system_a_root_made_key_adds_a_second_snapshot_aggregate_record 2 "$(cat "$o/$fake-aggregates")"
mkdir -p "$o/a-fake" && tar -xf "$o/$fake-archive.tar" -C "$o/a-fake"
rejected system_verify_rejects_a_root_made_second_snapshot_aggregate "root-made snapshot_aggregate" \
	"2 snapshot_aggregate records" "$fake" "$o/a-fake/imasnap"
check system_masked_snapshot_unit_leaves_the_module_unarmed grep -qx 'armed=no' "$o/hop$last-status-armed"
check system_unarmed_jump_carries_nothing grep -qx 'carried=none' "$o/hop$unarmed-status"
unpack_archive $unarmed
rejected system_verify_fails_closed_after_an_unarmed_jump "after a jump with nothing armed" \
	"hand-off" "hop$unarmed" "$(archive_of $unarmed)"
expect system_view_refuses_the_history_after_an_unarmed_jump 5 "hand-off" -- view_of $unarmed
# Kernel 2's log without the archive: its snapshot_aggregate says a kexec
# came before, which no tail shard shows; never a shorter history.
mkdir -p "$o/no-archive"
expect system_view_refuses_a_log_after_a_kexec_without_the_archive 5 "no tail shard of that kexec" -- \
	"$IMASNAP" log --dir "$o/no-archive" --log "$o/hop1-binary_runtime_measurements"
expect system_view_refuses_a_root_made_second_snapshot_aggregate 5 "2 snapshot_aggregate records" -- \
	"$IMASNAP" log --dir "$o/a-fake/imasnap" --log "$o/$fake-binary_runtime_measurements"
check system_mounted_view_stops_serving_after_a_root_made_second_snapshot_aggregate \
	grep -q 'Input/output error' "$o/$fake-view.err"
check system_kexec_required_refuses_to_load_while_unarmed grep -q 'not armed' "$o/hop$unarmed-required-load"
check_eq system_kexec_required_load_exits_non_zero 1 "$(grep -c '^exit [1-9]' "$o/hop$unarmed-required-load")"
check system_kexec_required_refuses_to_jump_while_unarmed grep -q 'not armed' "$o/hop$unarmed-required-exec"
check_eq system_kexec_required_jump_exits_non_zero 1 "$(grep -c '^exit [1-9]' "$o/hop$unarmed-required-exec")"
for w in load exec; do
	printf 'kexec %s --ima-snapshot=required after that jump: REFUSED (%s)\n' \
		"$([ $w = load ] && echo -l || echo -e)" \
		"$(grep -v '^exit' "$o/hop$unarmed-required-$w" | head -n 1)" >> "$o/verdicts.txt"
done

# --- the report ------------------------------------------------------------------------
if report "$img/plan-check" $last > "$o/report.txt"; then
	ok system_report_holds_numbers_only
else
	ko system_report_holds_numbers_only
fi
cat "$o/report.txt"
cat "$o/verdicts.txt"
finish system
