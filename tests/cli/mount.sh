#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# imasnap mount: the history since the last cold boot as a read-only FUSE
# file system (libfuse3, /dev/fuse, as root), read as an attestation agent
# reads IMA's log: whole, from entry N, at any offset, while it grows.  On
# the real logs of tests/data; the kexec hops run in tests/system.
#   tests/cli/mount.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ -c /dev/fuse ] || { echo "mount.sh: /dev/fuse is missing: FUSE is needed" >&2; exit 1; }

d=$data/pcr11
log=$d/binary_runtime_measurements
# A longer boot: the fixture's records after its boot_aggregate, again and
# again (each record stays valid; the PCRs are whatever they replay to).
first=$("$IMASNAP" show "$log" | awk 'NR == 3 { print $2 }')
{ cat "$log"; for _ in $(seq 150); do tail -c "+$((first + 1))" "$log"; done; } > "$tmp/big"
"$IMASNAP" show "$tmp/big" | awk 'NR > 1 { n++ } END { print n }' > "$tmp/big.n"
records=$(cat "$tmp/big.n")
# The archive holds the first 400 records; the live log goes on, and grows.
cut=$("$IMASNAP" show "$tmp/big" | awk 'NR == 402 { print $2 }')
head -c "$cut" "$tmp/big" > "$tmp/cut"
"$IMASNAP" replay --log "$tmp/cut" --banks sha1,sha256 > "$tmp/cut.pcrs"
A=$tmp/a && mkdir -p "$A"
"$IMASNAP" snapshot --dir "$A" --log "$tmp/cut" --pcrs "$tmp/cut.pcrs" --boot-id $BOOT1 > /dev/null
grow_at=$("$IMASNAP" show "$tmp/big" | awk 'NR == 702 { print $2 }')
head -c "$grow_at" "$tmp/big" > "$tmp/live"
# The kernel's ascii file of the whole log: the log view renders it (tests/cli/log.sh pins that).
mkdir -p "$tmp/empty-archive"
"$IMASNAP" log --dir "$tmp/empty-archive" --log "$tmp/big" --format ascii > "$tmp/big.txt"
# The view's reads at offsets all over both files, without FUSE (view-read).
"$IMASNAP" log --dir "$A" --log "$tmp/live" > "$tmp/want.bin"
"$IMASNAP" log --dir "$A" --log "$tmp/live" --format ascii > "$tmp/want.txt"
check view_reads_at_any_offset_and_size_give_the_logs_bytes \
	"$top/tests/cli/build/view-read" "$A" "$tmp/live" "$tmp/want.bin" "$tmp/want.txt"
# Records far larger than a read's buffer (ima-buf of big critical data).
"$top/tests/cli/build/big-records" "$log" 5 600000 "$tmp/huge"
"$IMASNAP" log --dir "$tmp/empty-archive" --log "$tmp/huge" > "$tmp/huge.bin"
"$IMASNAP" log --dir "$tmp/empty-archive" --log "$tmp/huge" --format ascii > "$tmp/huge.txt"
check view_reads_records_larger_than_its_buffer \
	"$top/tests/cli/build/view-read" "$tmp/empty-archive" "$tmp/huge" "$tmp/huge.bin" "$tmp/huge.txt" 150
M=$tmp/m && mkdir -p "$M"
cleanup_hooks+=('fusermount3 -u "$M" 2>/dev/null')

expect mount_serves_the_archive_and_the_live_log 0 "^imasnap: mount: .*: 700 records since the cold boot \(400 from 1 shards\)$" -- \
	"$IMASNAP" mount --dir "$A" --log "$tmp/live" "$M"
check_eq mount_lists_imas_file_names "ascii_runtime_measurements binary_runtime_measurements runtime_measurements_count" \
	"$(ls "$M" | tr '\n' ' ' | sed 's/ $//')"
check mount_binary_file_is_the_archive_then_the_live_log cmp "$M/binary_runtime_measurements" "$tmp/live"
check mount_ascii_file_is_the_kernels_ascii_of_it cmp "$M/ascii_runtime_measurements" <(head -n 700 "$tmp/big.txt")
check_eq mount_counts_the_records 700 "$(cat "$M/runtime_measurements_count")"
# An agent's read from entry N: the lines after N, and no more.
check mount_read_from_entry_n_returns_exactly_the_records_after_n \
	cmp <(tail -n +391 "$M/ascii_runtime_measurements") <(sed -n '391,700p' "$tmp/big.txt")
# Reads at any offset, across the shard's end, in odd sizes.
asc_cut=$(head -n 400 "$tmp/big.txt" | wc -c)
for at in 0 1 $((asc_cut - 7)) "$asc_cut" $((asc_cut + 13)) 40000 $(($(stat -c %s "$M/ascii_runtime_measurements") - 5)); do
	cmp -s <(dd if="$M/ascii_runtime_measurements" bs=1 skip="$at" count=4099 2>/dev/null) \
		<(head -n 700 "$tmp/big.txt" | tail -c "+$((at + 1))" | head -c 4099) || { echo "at $at" > "$tmp/out"; false; }
done && ok mount_reads_at_any_offset_give_the_same_bytes || ko mount_reads_at_any_offset_give_the_same_bytes
cmp -s <(dd if="$M/binary_runtime_measurements" bs=4096 skip=9 count=3 2>/dev/null) \
	<(tail -c "+$((9 * 4096 + 1))" "$tmp/live" | head -c $((3 * 4096))) &&
	ok mount_binary_reads_at_an_offset_give_the_same_bytes || ko mount_binary_reads_at_an_offset_give_the_same_bytes
# The live log grows: the files grow, and record N stays record N.
sha256sum < "$M/ascii_runtime_measurements" > "$tmp/before"
cat "$tmp/big" > "$tmp/live"
check_eq mount_follows_the_live_log_as_it_grows "$records" "$(cat "$M/runtime_measurements_count")"
check mount_keeps_every_record_where_it_was cmp <(head -n 700 "$M/ascii_runtime_measurements" | sha256sum) "$tmp/before"
check mount_binary_file_grows_with_the_live_log cmp "$M/binary_runtime_measurements" "$tmp/big"
sha256sum < "$M/ascii_runtime_measurements" > "$tmp/before-rewrite"
check mount_read_from_entry_n_after_growth_returns_the_new_records \
	cmp <(tail -n +701 "$M/ascii_runtime_measurements") <(sed -n "701,${records}p" "$tmp/big.txt")
check mount_is_read_only sh -c "! (echo x >> '$M/binary_runtime_measurements') 2> /dev/null"
# What was checked is what is served: the archive changed under the mount
# (a prune, a rewrite by root) changes nothing it serves.
cp -a "$A" "$tmp/a-kept"
flip "$A/shard-00000000.ims" 600
check mount_serves_what_it_checked_after_the_archive_is_rewritten \
	cmp <(sha256sum < "$M/ascii_runtime_measurements") "$tmp/before-rewrite"
rm "$A/shard-00000000.ims"
check mount_serves_what_it_checked_after_the_archive_is_pruned \
	cmp "$M/binary_runtime_measurements" "$tmp/big"
rm -rf "$A" && mv "$tmp/a-kept" "$A"
# A restart rebuilds the same files from the archive.
sha256sum < "$M/ascii_runtime_measurements" > "$tmp/served"
fusermount3 -u "$M"
cp "$tmp/big" "$tmp/live2"
"$IMASNAP" mount --dir "$A" --log "$tmp/live2" "$M" 2> /dev/null
check mount_after_a_restart_serves_the_same_bytes cmp <(sha256sum < "$M/ascii_runtime_measurements") "$tmp/served"
# The live log turns out not to be the archived boot's: serving stops.
printf 'not a record at all' >> "$tmp/live2"
expect mount_stops_serving_a_history_that_stops_chaining 1 'Input/output error' -- \
	sh -c "cat '$M/binary_runtime_measurements' > /dev/null"
fusermount3 -u "$M" 2>/dev/null
# A history that does not chain is never mounted.
cp -r "$A" "$tmp/t" && flip "$tmp/t/shard-00000000.ims" 600
expect mount_refuses_an_archive_that_does_not_chain 5 '^imasnap: mount: shard 0: ' -- \
	"$IMASNAP" mount --dir "$tmp/t" --log "$tmp/big" "$M"
check_eq mount_leaves_nothing_mounted_after_a_refusal "" "$(ls "$M")"
expect mount_needs_a_mountpoint 2 'MOUNTPOINT|argument' -- "$IMASNAP" mount --dir "$A" --log "$tmp/big"

finish mount
