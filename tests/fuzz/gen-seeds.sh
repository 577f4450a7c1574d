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
echo "seeds: $(find "$out" -type f | wc -l) files"
