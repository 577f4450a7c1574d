#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A hot-swap across kernels: one cold boot, then `kexec -s` from each kernel
# into the next, each loading the module built for it (tests/qemu/hop-stage.sh
# runs in the guest).  The host then checks what a verifier sees at each hop
# and verifies the whole archive against the last kernel's log and TPM.
#
#   tests/qemu/hops.sh [NAME...]     default: bookworm bookworm-bpo sid-cloud
#
# Shards: kernel 0 archives shard 0; kernel n > 0 collects the carried tail
# as shard 2n-1 and archives its own log as shard 2n.
set -uo pipefail
. "$(dirname "$0")/../lib/harness.sh"
. "$top/tests/qemu/lib.sh"
IMASNAP=$top/userspace/imasnap

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(bookworm bookworm-bpo sid-cloud)
[ ${#names[@]} -ge 2 ] || { echo "hops.sh: name two kernels or more" >&2; exit 2; }
images=() releases=()
for n in "${names[@]}"; do
	e=$("$top/scripts/kernels.sh" env "$n") || exit 2
	images+=("$(sed -n 's/^image=//p' <<< "$e")")
	releases+=("$(sed -n 's/^release=//p' <<< "$e")")
done
last=$((${#names[@]} - 1))
o=$tmp/hops
A=$o/unpacked/archive
run_args=()
for n in "${names[@]}"; do run_args+=(--kernel "$n"); done

# field NAME ASCII-LOG: the file-data hash field of the first record named NAME
field() { awk -v n="$1" '$5 == n { print $4; exit }' "$2"; }
# ascii_of N: kernel N's ASCII log (the last kernel's, as it ended)
ascii_of() {
	if [ "$1" = $last ]; then echo "$o/ascii_runtime_measurements"; else echo "$o/hop$1-ascii"; fi
}
# shard_digest N: the digest of shard N
shard_digest() {
	"$IMASNAP" show "$A/$(printf 'shard-%08d.ims' "$1")" | awk '$1 == "digest" { print $2; exit }'
}

check_every_kernel_booted() {
	check hops_every_kernel_booted_in_order "$top/tests/qemu/run.sh" \
		--case "$top/tests/qemu/cases/kexec-hops" --out "$o" "${run_args[@]}" --module || return
	sed 's/^/     /' "$tmp/out"
	mkdir -p "$o/unpacked" && tar -xf "$o/archive.tar" -C "$o/unpacked"
}

# What a verifier sees in kernel N's log: IMA's boot_aggregate first, the
# same value in every kernel (a kexec changes none of PCRs 0-9), then the
# snapshot_aggregate the module measured, naming shard 2(N-1) and the tail.
check_what_kernel_n_logs() {
	local n=$1 ascii p=hop$1
	ascii=$(ascii_of "$n")
	check "${p}_module_accepts_the_record_from_${names[n-1]}" grep -qx 'carried=accepted' "$o/$p-status"
	check "${p}_module_reseeds_ima" grep -qx 'reseed=measured' "$o/$p-status"
	check "${p}_collect_archives_the_tail" \
		grep -q "^shard $((2 * n - 1)): tail of [0-9]* records" "$o/$p-collect.out"
	check_eq "${p}_log_begins_with_boot_aggregate" boot_aggregate "$(awk 'NR == 1 { print $5 }' "$ascii")"
	check_eq "${p}_boot_aggregate_is_kernel_0s" "$(field boot_aggregate "$(ascii_of 0)")" \
		"$(field boot_aggregate "$ascii")"
	check_eq "${p}_log_holds_one_snapshot_aggregate" 1 "$(grep -c ' snapshot_aggregate ' "$ascii")"
	agg_from_ascii_log "$ascii" > "$o/$p-aggregate"
	check_eq "${p}_aggregate_names_the_shard_kernel_$((n - 1))_archived" \
		"$(shard_digest $((2 * n - 2)))" "$(agg_field Shard < "$o/$p-aggregate")"
	echo "     kernel $n (${releases[n]}): boot_aggregate $(field boot_aggregate "$ascii" | cut -c1-23)...," \
		"snapshot_aggregate: Shard=$(agg_field Shard < "$o/$p-aggregate" | cut -c1-23)...," \
		"Entries=$(agg_field Entries < "$o/$p-aggregate");" \
		"carried $(sed -n 's/^carried_bytes=//p' "$o/$p-status") bytes" \
		"(tail $(sed -n 's/^carried_tail_entries=//p' "$o/$p-status") records)," \
		"captured in $(sed -n 's/^carried_capture_ns=//p' "$o/$p-status") ns"
}

# verify_out OPTIONS...: imasnap verify of the whole chain on the host
verify_chain() {
	"$IMASNAP" verify --dir "$A" --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt" "$@"
}

check_host_verifies_the_chain() {
	local n s want
	check hops_verify_in_the_last_kernel_passes \
		grep -q "^verified: $((2 * last + 1)) shards, " "$o/hop$last-verify.out"
	verify_chain > "$o/verify.out" 2>&1
	check hops_verify_on_the_host_passes verify_chain
	sed 's/^/     /' "$o/verify.out"
	check hops_verify_checks_the_boot_aggregate_of_every_kernel \
		grep -q "^boot_aggregate: sha256, of $((last + 1)) boots since the last cold boot, matches the PCR file's PCRs 0-9" \
		"$o/verify.out"
	: > "$o/kernels.ok"
	for ((n = 1; n <= last; n++)); do
		s=$((2 * n - 1))
		want=$(sha256sum < "${images[n]}" | cut -c1-64)
		check "hops_verify_names_the_image_of_${names[n]}_at_shard_$s" \
			grep -q "^kexec at shard $s: into /boot/vmlinuz (sha256:${want:0:16}\.\.\.)" "$o/verify.out"
		echo "$want  ${names[n]}" >> "$o/kernels.ok"
	done
	check hops_verify_takes_the_kernels_on_the_list verify_chain --kernels "$o/kernels.ok"
	head -n 1 "$o/kernels.ok" > "$o/kernels.first"
	expect hops_verify_refuses_a_hop_into_a_kernel_off_the_list 5 \
		"the kexec at shard $((2 * last - 1)): the old kernel measured no kernel image of --kernels" -- \
		verify_chain --kernels "$o/kernels.first"
}

# Independent of the archive: the last kernel's log replays from the state
# its snapshot_aggregate names to the TPM, and not from zero.
check_last_log_replays_from_the_aggregate() {
	agg_to_pcrs < "$o/hop$last-aggregate" > "$o/P.txt"
	check hops_last_log_replays_from_the_aggregate_state_to_the_tpm \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --start "$o/P.txt" --pcrs "$o/pcrs.txt"
	expect hops_last_log_from_zero_does_not_match_the_tpm 5 '' -- \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt"
}

# The full history since the cold boot (imasnap log) replays from zero to the
# last kernel's TPM, and its ascii form ends in that kernel's own ascii log.
check_host_serves_the_full_history() {
	local ascii k
	ascii=$(ascii_of "$last")
	"$IMASNAP" log --dir "$A" --log "$o/binary_runtime_measurements" > "$o/view" 2> "$o/view.err"
	check hops_full_history_replays_from_zero_to_the_last_kernels_tpm \
		"$IMASNAP" replay --log "$o/view" --pcrs "$o/pcrs.txt"
	"$IMASNAP" log --dir "$A" --log "$o/binary_runtime_measurements" --format ascii > "$o/view.txt"
	# (The kernel's ascii file was read after its binary one: it may hold more.)
	k=$("$IMASNAP" show "$o/binary_runtime_measurements" | awk 'NR > 1 { n++ } END { print n + 0 }')
	check hops_full_history_in_ascii_ends_in_the_last_kernels_ascii_log \
		cmp <(tail -n "$k" "$o/view.txt") <(head -n "$k" "$ascii")
}

# Each kernel refused the module built for another one (vermagic).
check_foreign_modules_are_refused() {
	local n
	for ((n = 0; n <= last; n++)); do
		check "hop${n}_${names[n]}_refuses_a_module_built_for_another_kernel" \
			grep -q '^refused /lib/imasnap/' "$o/hop$n-foreign"
		check "hop${n}_${names[n]}_says_the_module_is_for_another_kernel" \
			grep -qE 'version magic|disagrees about version of symbol|this_module section size must match' "$o/hop$n-foreign"
		sed -n 's/^\(.*imasnap: .*\)$/     kernel '"$n"': \1/p' "$o/hop$n-foreign"
	done
}

make -s -C "$top/userspace"
echo "hops: ${names[*]}"
if check_every_kernel_booted; then
	check_foreign_modules_are_refused
	for ((k = 1; k <= last; k++)); do check_what_kernel_n_logs $k; done
	check_host_verifies_the_chain
	check_host_serves_the_full_history
	check_last_log_replays_from_the_aggregate
fi
finish "hops ${names[*]}"
