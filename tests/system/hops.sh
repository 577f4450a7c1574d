#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The real deployment (issue 14): a Debian 12 guest with systemd, the
# packages of `make deb` installed with apt (DKMS built the module for both
# kernels), the kernel command line set once, and three hops of `systemctl
# kexec` done by the packaged units alone: kernel 1 -> kernel 2 with
# kexec_file_load (`kexec -s`), -> kernel 3 with kexec_load (`kexec -c`),
# -> kernel 4, bookworm-backports' 6.12 (tests/system/image.sh,
# tests/system/run.sh).  Every kernel answers a nonce with a quote and
# sends its archive and log; here, as a remote verifier would, each is
# verified with the AK enrolled at the cold boot: in full, from a checkpoint
# saved after hop 1, and --anchored after pruning.  Then the table of what
# each hop carried against what CONFIG_IMA_KEXEC would have.
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

# status_of N KEY: KEY= of kernel N's imasnap status at its boot
status_of() { sed -n "s/^$2=//p" "$o/hop$1-status"; }
archive_of() { echo "$o/a$1/imasnap"; }
verify_at() {
	local n=$1
	shift
	"$IMASNAP" verify --dir "$(archive_of "$n")" --log "$o/hop$n-binary_runtime_measurements" \
		--quote "$o/hop$n-quote.bin" --ak "$o/hop0-ak-rsa.pem" --nonce "$(cat "$o/hop$n-nonce")" "$@"
}

img=$("$top/tests/system/image.sh") || { echo "hops.sh: no guest image" >&2; exit 2; }
rel=$(sed -n 's/^release=//p' "$img/env")
bpo=$(sed -n 's/^release_bpo=//p' "$img/env")
make -s -C "$top/userspace"
# IMASNAP_SYSTEM_REUSE=1 with --out: check what an earlier run left there.
if [ "${IMASNAP_SYSTEM_REUSE:-}" = 1 ] && [ -s "$o/kernels" ]; then
	echo "hops.sh: checking the run in $o (IMASNAP_SYSTEM_REUSE=1)"
else
	rm -rf "$o" && mkdir -p "$o"
	check system_guest_runs_its_three_hops "$top/tests/system/run.sh" --image "$img" --out "$o" || {
		tail -n 60 "$o/console.log" 2>/dev/null | sed 's/^/     /'
		finish system
		exit 1
	}
fi
check_eq system_kernels_boot_in_the_plans_order "$rel $rel $rel $bpo" "$(tr '\n' ' ' < "$o/kernels" | sed 's/ $//')"
for ((n = 0; n <= last; n++)); do
	mkdir -p "$o/a$n" && tar -xf "$o/hop$n-archive.tar" -C "$o/a$n"
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
cp -a "$(archive_of $last)" "$o/pruned"
check system_prune_with_the_enrolled_ak_succeeds "$IMASNAP" prune --dir "$o/pruned" --ak "$o/hop0-ak-rsa.pem"
check system_prune_deletes_shards test "$(find "$o/pruned" -name 'shard-*.ims' | wc -l)" -lt \
	"$(find "$(archive_of $last)" -name 'shard-*.ims' | wc -l)"
check system_verify_anchored_after_pruning_passes \
	"$IMASNAP" verify --dir "$o/pruned" --anchored --log "$o/hop$last-binary_runtime_measurements" \
	--quote "$o/hop$last-quote.bin" --ak "$o/hop0-ak-rsa.pem" --nonce "$(cat "$o/hop$last-nonce")"

# --- the report ------------------------------------------------------------------------
{
	printf '%-5s %-22s %-6s %12s %12s %14s %18s %12s\n' hop "into kernel" "via" "since cold" "in list" \
		"imasnap B" "CONFIG_IMA_KEXEC B" "capture ns"
	since=0
	for ((n = 1; n <= last; n++)); do
		p=$((n - 1))
		since=$((since + $(status_of $n carried_entries) + $(status_of $n carried_tail_entries)))
		via=$(sed -n "${n}p" "$img/plan" 2>/dev/null | cut -d' ' -f1)
		printf '%-5s %-22s %-6s %12s %12s %14s %18s %12s\n' "$p->$n" "$(sed -n "$((n + 1))p" "$o/kernels")" \
			"${via:-?}" "$((since + $(cat "$o/hop$n-count")))" "$(cat "$o/hop$n-count")" \
			"$(status_of $n carried_bytes)" "$((24 + $(cat "$o/hop$p-list-bytes")))" \
			"$(status_of $n carried_capture_ns)"
	done
} > "$o/report.txt"
cat "$o/report.txt"
finish system
