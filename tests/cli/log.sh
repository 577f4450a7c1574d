#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# imasnap log: the history since the last cold boot as one IMA log, on the
# real logs in tests/data archived as a user's snapshots would archive them.
# The kexec hops (tails, snapshot_aggregate) run for real in tests/qemu.
#   tests/cli/log.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

d=$data/pcr11
log=$d/binary_runtime_measurements
A=$tmp/a
mkdir -p "$A"
# The log cut after its 4th record, and the PCRs that prefix replays to.
off=$("$IMASNAP" show "$log" | awk 'NR == 6 { print $2 }')
head -c "$off" "$log" > "$tmp/prefix"
"$IMASNAP" replay --log "$tmp/prefix" --banks sha1,sha256 > "$tmp/prefix.pcrs"

expect log_of_an_empty_archive_is_the_live_log 0 '' -- \
	"$IMASNAP" log --dir "$A" --log "$log"
cmp -s "$tmp/out" "$log" && ok log_of_an_empty_archive_is_byte_for_byte_the_live_log ||
	ko log_of_an_empty_archive_is_byte_for_byte_the_live_log
"$IMASNAP" snapshot --dir "$A" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs" --boot-id $BOOT1 > /dev/null
expect log_serves_a_shard_then_the_live_records_past_it 0 '' -- \
	"$IMASNAP" log --dir "$A" --log "$log"
cmp -s "$tmp/out" "$log" && ok log_of_a_shard_and_the_live_rest_is_the_whole_log ||
	ko log_of_a_shard_and_the_live_rest_is_the_whole_log
"$IMASNAP" snapshot --dir "$A" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT1 > /dev/null
"$IMASNAP" log --dir "$A" --log "$log" > "$tmp/view"
cmp -s "$tmp/view" "$log" && ok log_of_shards_holding_the_whole_live_log_is_that_log ||
	ko log_of_shards_holding_the_whole_live_log_is_that_log
expect log_view_replays_to_the_tpms_pcrs 0 '^sha256 10 match' -- \
	"$IMASNAP" replay --log "$tmp/view" --pcrs "$d/pcrs.txt"
"$IMASNAP" log --dir "$A" --log "$log" --format ascii > "$tmp/view.txt"
cmp -s "$tmp/view.txt" "$d/ascii_runtime_measurements" &&
	ok log_ascii_is_byte_for_byte_the_kernels_ascii_file ||
	ko log_ascii_is_byte_for_byte_the_kernels_ascii_file

# A cold reboot: the history starts again at the new boot's first shard.
d2=$data/ima-ng-sha1-sha256
log2=$d2/binary_runtime_measurements
"$IMASNAP" snapshot --dir "$A" --log "$log2" --pcrs "$d2/pcrs.txt" --boot-id $BOOT2 > /dev/null
"$IMASNAP" log --dir "$A" --log "$log2" > "$tmp/view2"
cmp -s "$tmp/view2" "$log2" && ok log_starts_at_the_last_cold_boot || ko log_starts_at_the_last_cold_boot

# Every template the fixtures have, in either format.
for c in ima-legacy ima-sig ima-buf violations canonical; do
	mkdir -p "$tmp/$c"
	"$IMASNAP" snapshot --dir "$tmp/$c" --log "$data/$c/binary_runtime_measurements" \
		--pcrs "$data/$c/pcrs.txt" --boot-id $BOOT1 > /dev/null
	"$IMASNAP" log --dir "$tmp/$c" --log "$data/$c/binary_runtime_measurements" --format ascii > "$tmp/$c.txt"
	cmp -s "$tmp/$c.txt" "$data/$c/ascii_runtime_measurements" &&
		ok "log_ascii_of_${c//-/_}_is_the_kernels" || ko "log_ascii_of_${c//-/_}_is_the_kernels"
done

# What does not chain is an error with its reason, never a shorter log.
cp -r "$A" "$tmp/t1" && flip "$tmp/t1/shard-00000001.ims" 600
expect log_refuses_an_edited_shard 5 'shard 1: ' -- "$IMASNAP" log --dir "$tmp/t1" --log "$log2"
cp -r "$A" "$tmp/t2" && rm "$tmp/t2/shard-00000001.ims"
expect log_refuses_an_archive_with_a_gap 5 'a shard is missing: shard 1' -- \
	"$IMASNAP" log --dir "$tmp/t2" --log "$log2"
cp -r "$A" "$tmp/t3" && rm "$tmp/t3/shard-00000000.ims"
expect log_refuses_an_archive_pruned_past_the_cold_boot 6 'shards 0\.\.0 were pruned' -- \
	"$IMASNAP" log --dir "$tmp/t3" --log "$log2"
cp -r "$A" "$tmp/t4" && rm "$tmp/t4/shard-00000000.ims" "$tmp/t4/shard-00000001.ims"
"$IMASNAP" log --dir "$tmp/t4" --log "$log2" > "$tmp/view4"
cmp -s "$tmp/view4" "$log2" && ok log_serves_an_archive_pruned_before_the_last_cold_boot ||
	ko log_serves_an_archive_pruned_before_the_last_cold_boot
expect log_refuses_a_live_log_that_is_not_the_archived_boots 5 "not the log of that shard.s boot" -- \
	"$IMASNAP" log --dir "$A" --log "$tmp/prefix"
head -c $(( $(stat -c %s "$log2") - 3 )) "$log2" > "$tmp/truncated"
expect log_refuses_a_truncated_live_log 4 'truncated record' -- \
	"$IMASNAP" log --dir "$tmp/ima-sig" --log "$tmp/truncated"
expect log_refuses_an_unknown_format 2 'takes binary or ascii' -- \
	"$IMASNAP" log --dir "$A" --log "$log" --format json
expect log_needs_the_archive 2 '--dir' -- "$IMASNAP" log --log "$log"
expect log_full_stdout_is_an_io_error 3 'stdout' -- \
	sh -c "'$IMASNAP' log --dir '$A' --log '$log2' > /dev/full"

finish log
