#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel side of issue 13 as the log grows: Debian's kernel under QEMU
# (TCG) with swtpm, the tcb policy, imasnap.ko; for each size a fresh boot
# makes IMA's log about N records long (tests/qemu/helpers/scale creates
# and reads files), then times reading binary_runtime_measurements whole
# (up to 300,000 records: it is quadratic, 162 s there), the module's
# ima_log, `imasnap snapshot` (first, then after 64 more records), the
# write of the cut into arm, and kexecs after a 64-record tail; the next
# kernel reports the bytes carried and the capture's time
# (carried_capture_ns), and the jump's wall time from the CPU's time stamp
# counter (read before `kexec -e` and first thing in the next kernel).
# For the sizes in SCALE_UNARMED (default: the smallest and the largest up
# to 300,000) a second boot does the same without arming, for the unarmed
# jump's time.
#
#   bench/qemu-scale.sh [N...]       default: 10000 30000 100000 300000 1000000
#
# Prints a table, then "<key>_<N>: value" lines (cat_ns, cat_calls, the
# same for the module's ima_log: cat_module_ns, cat_module_calls, then
# snapshot_ns, snapshot_incremental_ns, arm_ns, capture_ns, carried_bytes,
# ima_kexec_bytes, kexec_ns, kexec_unarmed_ns; n/a where not measured).
# TCG figures: compare them with each other, not with hardware.  Every run
# has the TPM (arm needs one): IMA extends it for each record, which is
# most of the time it takes to make the log (about 2 ms a record).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/..
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 30000 100000 300000 1000000)
# The unarmed boots: the smallest size and the largest up to 300,000 (a
# million-record boot takes most of an hour under TCG).
big=${sizes[0]}
for n in "${sizes[@]}"; do [ "$n" -gt 300000 ] || big=$n; done
read -r -a unarmed <<< "${SCALE_UNARMED:-${sizes[0]} $big}"
[ "${unarmed[0]}" != "${unarmed[-1]}" ] || unarmed=("${unarmed[0]}")
KERNEL=${KERNEL:-bookworm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field LINE KEY: the value of KEY=value in LINE
field() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }

declare -A v

# boot N ARMED: one run of the scale-bench case into $tmp/out-N-ARMED;
# its IMASNAP-SCALE lines in $tmp/scale-N-ARMED.
boot() {
	local n=$1 armed=$2 c=$tmp/case-$1-$2 args=" imasnap_scale=$1" mem=1G
	cp -r "$top/tests/qemu/cases/scale-bench" "$c"
	[ "$armed" = 1 ] || args+=" imasnap_scale_arm=0"
	[ "$armed" = 1 ] && [ "$n" -le 300000 ] || args+=" imasnap_scale_cat=0"
	# IMA's list takes about 350 bytes a record in the guest, the shards 100 more.
	[ "$n" -le 300000 ] || mem=4G
	sed -i "s/\$/$args/" "$c/cmdline"
	echo "qemu-scale: $n records, $([ "$armed" = 1 ] && echo armed || echo not armed): booting $KERNEL (TCG, swtpm, $mem)..." >&2
	t0=$(date +%s)
	# About 2 ms of TCG a record to make the log, and the reads on top.
	IMASNAP_QEMU_MEM=$mem IMASNAP_QEMU_TIMEOUT=$((300 + n / 150)) "$top/tests/qemu/run.sh" \
		--case "$c" --out "$tmp/out-$n-$armed" --kernel "$KERNEL" --module \
		> "$tmp/run-$n-$armed.log" 2>&1 || {
		cat "$tmp/run-$n-$armed.log" >&2; echo "qemu-scale: the $n-record run failed" >&2; exit 1; }
	tr -d '\r' < "$tmp/out-$n-$armed/results.txt" | sed -n 's/^IMASNAP-SCALE //p' > "$tmp/scale-$n-$armed"
	echo "qemu-scale: $n records: done in $(($(date +%s) - t0)) s" >&2
}

# kexec_ns FILE: the jump's wall time, the time stamp counter's ticks from
# before `kexec -e` to the next kernel's first reading, at the rate kernel 1
# measured against CLOCK_MONOTONIC.
kexec_ns() {
	local f=$1 t0 n0 t1 n1 t2
	g() { field "$(grep "^$1 " "$f")" "$2"; }
	t0=$(g tsc0 tsc) n0=$(g tsc0 ns) t1=$(g kexec-exec tsc) n1=$(g kexec-exec ns) t2=$(g tsc-next tsc)
	echo "($t2 - $t1) * ($n1 - $n0) / ($t1 - $t0)" | bc
}

for n in "${sizes[@]}"; do
	boot "$n" 1
	get() { field "$(grep "^$1 " "$tmp/scale-$n-1")" "$2"; }
	v[entries$n]=$(get shard0 entries)
	v[cat_ns$n]=$(get cat ns)
	v[cat_calls$n]=$(get cat calls)
	v[cat_module_ns$n]=$(get cat-module ns)
	v[cat_module_calls$n]=$(get cat-module calls)
	[ -z "${v[cat_ns$n]}" ] || [ "$(get cat-module bytes)" = "$(get cat bytes)" ] || {
		echo "qemu-scale: the module's ima_log is not as long as IMA's file" >&2; exit 1; }
	v[snapshot_ns$n]=$(get snapshot ns)
	v[snapshot_incremental_ns$n]=$(get snapshot-incremental ns)
	v[arm_ns$n]=$(get arm ns)
	v[capture_ns$n]=$(get carried carried_capture_ns)
	v[carried_bytes$n]=$(get carried carried_bytes)
	v[tail$n]=$(get carried carried_tail_entries)
	[ "$(get carried carried)" = accepted ] || {
		cat "$tmp/scale-$n-1" >&2; echo "qemu-scale: the next kernel did not accept the record" >&2; exit 1; }
	# What CONFIG_IMA_KEXEC would carry: a 24-byte header and the whole list
	# at the jump (the log after the tail).
	v[ima_kexec_bytes$n]=$((24 + $(get log-again bytes)))
	v[kexec_ns$n]=$(kexec_ns "$tmp/scale-$n-1")
done
for n in "${unarmed[@]}"; do
	boot "$n" 0
	[ "$(field "$(grep "^carried " "$tmp/scale-$n-0")" carried)" = none ] || {
		cat "$tmp/scale-$n-0" >&2; echo "qemu-scale: the unarmed run carried something" >&2; exit 1; }
	v[kexec_unarmed_ns$n]=$(kexec_ns "$tmp/scale-$n-0")
done

ms() { [ -n "$1" ] && printf '%.1f' "$(echo "$1 / 1000000" | bc -l)" || echo n/a; }
fmt='%-9s %9s %6s %9s %6s %9s %11s %9s %9s %10s %5s %11s %9s %9s\n'
# shellcheck disable=SC2059
printf "\n$fmt" records "cat ms" calls "ima_log" calls "snap ms" "snap+64 ms" "arm ms" \
	"capt ms" "carried B" tail "IMA_KEXEC B" "kexec ms" "unarmed"
for n in "${sizes[@]}"; do
	# shellcheck disable=SC2059
	printf "$fmt" "${v[entries$n]}" \
		"$(ms "${v[cat_ns$n]}")" "${v[cat_calls$n]:-n/a}" \
		"$(ms "${v[cat_module_ns$n]}")" "${v[cat_module_calls$n]}" "$(ms "${v[snapshot_ns$n]}")" \
		"$(ms "${v[snapshot_incremental_ns$n]}")" "$(ms "${v[arm_ns$n]}")" \
		"$(ms "${v[capture_ns$n]}")" "${v[carried_bytes$n]}" "${v[tail$n]}" \
		"${v[ima_kexec_bytes$n]}" "$(ms "${v[kexec_ns$n]}")" "$(ms "${v[kexec_unarmed_ns$n]:-}")"
done
echo
for n in "${sizes[@]}"; do
	for k in cat_ns cat_calls cat_module_ns cat_module_calls snapshot_ns snapshot_incremental_ns arm_ns capture_ns \
		 carried_bytes ima_kexec_bytes kexec_ns kexec_unarmed_ns; do
		echo "${k}_$n: ${v[$k$n]:-n/a}"
	done
done
