#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel side of issue 13 as the log grows: Debian's kernel under QEMU
# (TCG) with swtpm, the tcb policy, imasnap.ko; for each size a fresh boot
# makes IMA's log about N records long (tests/qemu/helpers/scale creates
# and reads files), then times reading binary_runtime_measurements whole,
# `imasnap snapshot` (first, then after 64 more records), the write of the
# cut into arm, and kexecs after a 64-record tail; the next kernel reports
# the bytes carried and the capture's time (carried_capture_ns).
#
#   bench/qemu-scale.sh [N...]       default: 10000 30000 100000 300000
#
# Prints a table, then "<key>_<N>: value" lines (cat_ns, cat_calls, the
# same for the module's ima_log: cat_module_ns, cat_module_calls, then
# snapshot_ns, snapshot_incremental_ns, arm_ns, capture_ns, carried_bytes,
# ima_kexec_bytes).  TCG figures: compare them with each other, not with
# hardware.  Every run has the TPM (arm needs one): IMA extends it for each
# record, which is most of the time it takes to make the log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/..
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 30000 100000 300000)
KERNEL=${KERNEL:-bookworm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field LINE KEY: the value of KEY=value in LINE
field() { tr ' ' '\n' <<< "$1" | sed -n "s/^$2=//p"; }

declare -A v
for n in "${sizes[@]}"; do
	c=$tmp/case-$n
	cp -r "$top/tests/qemu/cases/scale-bench" "$c"
	sed -i "s/\$/ imasnap_scale=$n/" "$c/cmdline"
	echo "qemu-scale: $n records: booting $KERNEL (TCG, swtpm)..." >&2
	t0=$(date +%s)
	# About 2 ms of TCG a record to make the log, and the reads on top.
	IMASNAP_QEMU_TIMEOUT=$((300 + n / 150)) "$top/tests/qemu/run.sh" --case "$c" \
		--out "$tmp/out-$n" --kernel "$KERNEL" --module > "$tmp/run-$n.log" 2>&1 || {
		cat "$tmp/run-$n.log" >&2; echo "qemu-scale: the $n-record run failed" >&2; exit 1; }
	tr -d '\r' < "$tmp/out-$n/results.txt" | sed -n 's/^IMASNAP-SCALE //p' > "$tmp/scale-$n"
	get() { field "$(grep "^$1 " "$tmp/scale-$n")" "$2"; }
	v[entries$n]=$(get shard0 entries)
	v[cat_ns$n]=$(get cat ns)
	v[cat_calls$n]=$(get cat calls)
	v[cat_bytes$n]=$(get cat bytes)
	v[cat_module_ns$n]=$(get cat-module ns)
	v[cat_module_calls$n]=$(get cat-module calls)
	[ "$(get cat-module bytes)" = "${v[cat_bytes$n]}" ] || {
		echo "qemu-scale: the module's ima_log is not as long as IMA's file" >&2; exit 1; }
	v[snapshot_ns$n]=$(get snapshot ns)
	v[snapshot_incremental_ns$n]=$(get snapshot-incremental ns)
	v[arm_ns$n]=$(get arm ns)
	v[capture_ns$n]=$(get carried carried_capture_ns)
	v[carried_bytes$n]=$(get carried carried_bytes)
	v[tail$n]=$(get carried carried_tail_entries)
	[ "$(get carried carried)" = accepted ] || {
		cat "$tmp/scale-$n" >&2; echo "qemu-scale: the next kernel did not accept the record" >&2; exit 1; }
	# What CONFIG_IMA_KEXEC would carry: a 24-byte header and the whole list
	# at the jump (the log after the tail: cat-again's bytes).
	v[ima_kexec_bytes$n]=$((24 + $(get cat-again bytes)))
	echo "qemu-scale: $n records: done in $(($(date +%s) - t0)) s" >&2
done

ms() { printf '%.1f' "$(echo "$1 / 1000000" | bc -l)"; }
printf '\n%-9s %9s %6s %9s %6s %9s %11s %9s %9s %10s %5s %11s\n' records "cat ms" calls \
	"ima_log" calls "snap ms" "snap+64 ms" "arm ms" "capt ms" "carried B" tail "IMA_KEXEC B"
for n in "${sizes[@]}"; do
	printf '%-9s %9s %6s %9s %6s %9s %11s %9s %9s %10s %5s %11s\n' "${v[entries$n]}" \
		"$(ms "${v[cat_ns$n]}")" "${v[cat_calls$n]}" \
		"$(ms "${v[cat_module_ns$n]}")" "${v[cat_module_calls$n]}" "$(ms "${v[snapshot_ns$n]}")" \
		"$(ms "${v[snapshot_incremental_ns$n]}")" "$(ms "${v[arm_ns$n]}")" \
		"$(ms "${v[capture_ns$n]}")" "${v[carried_bytes$n]}" "${v[tail$n]}" \
		"${v[ima_kexec_bytes$n]}"
done
echo
for n in "${sizes[@]}"; do
	for k in cat_ns cat_calls cat_module_ns cat_module_calls snapshot_ns snapshot_incremental_ns arm_ns capture_ns \
		 carried_bytes ima_kexec_bytes; do
		echo "${k}_$n: ${v[$k$n]}"
	done
done
