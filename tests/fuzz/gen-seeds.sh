#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The fuzzers' seeds, from the real logs in tests/data: each log as is, and
# a record, cut and snapshot_aggregate texts, a shard and a checkpoint made
# from it by the real encoders (build/seedgen).
#   gen-seeds.sh OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
rm -rf "$out"
mkdir -p "$out"/fuzz_log "$out"/fuzz_record "$out"/fuzz_aggregate "$out"/fuzz_files
for d in "$here"/../data/*/; do
	d=${d%/}
	[ -f "$d/binary_runtime_measurements" ] || continue
	name=$(basename "$d")
	cp "$d/binary_runtime_measurements" "$out/fuzz_log/$name"
	"$here/build/seedgen" "$out" "$d/binary_runtime_measurements" "$d/pcrs.txt"
done
# What IMA never writes although the template digest would not tell, made
# from a real log's bytes: the parser must refuse each (issue 11).
ng=$here/../data/ima-ng-sha1-sha256/binary_runtime_measurements
patch_seed() {	# patch_seed NAME OFFSET BYTES...: a copy of the ima-ng log, patched
	local f=$out/fuzz_log/$1 off=$2
	shift 2
	cp "$ng" "$f"
	printf "$@" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
patch_seed pcr-24 0 '\x18\x00\x00\x00'
patch_seed pcr-40 0 '\x28\x00\x00\x00'
patch_seed template-zz-evi 28 'zz-evi'
patch_seed violation-with-digest 4 '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
echo "seeds: $(find "$out" -type f | wc -l) files"
