#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# imasnap replay, as a user runs it, on the real logs in tests/data.
#   tests/cli/replay.sh [path/to/imasnap]      (default: userspace/imasnap)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for d in "$data"/*/; do
	c=$(basename "$d")
	[ -f "$d/binary_runtime_measurements" ] || continue
	expect "replay_matches_tpm_$c" 0 "" -- \
		"$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$d/pcrs.txt"
	if grep -q MISMATCH "$tmp/out" || ! grep -q ' match ' "$tmp/out"; then
		ko "replay_prints_match_lines_$c"
	else
		ok "replay_prints_match_lines_$c"
	fi
done

# Without --pcrs the printed values are the TPM's (case-insensitive hex).
d=$data/ima-ng-sha1-sha256
"$IMASNAP" replay --log "$d/binary_runtime_measurements" > "$tmp/vals"
if [ "$(wc -l < "$tmp/vals")" -eq 2 ] &&
   grep -qixF -f "$tmp/vals" "$d/pcrs.txt" &&
   [ "$(grep -icxF -f "$tmp/vals" "$d/pcrs.txt")" -eq 2 ]; then
	ok replay_prints_tpm_values_without_pcrs
else
	ko replay_prints_tpm_values_without_pcrs
fi
d=$data/sha384-sha512
"$IMASNAP" replay --log "$d/binary_runtime_measurements" --padded-sha1 sha384,sha512 > "$tmp/vals"
if [ "$(grep -icxF -f "$tmp/vals" "$d/pcrs.txt")" -eq 2 ]; then
	ok replay_padded_sha1_option_prints_tpm_values
else
	ko replay_padded_sha1_option_prints_tpm_values
fi
if grep -q 'sha384 10 match padded-sha1' <("$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$d/pcrs.txt"); then
	ok replay_reports_padded_rule_per_bank
else
	ko replay_reports_padded_rule_per_bank
fi

# Threads split the banks, never the result: the same lines as one thread.
same=1
for d in "$data"/*/; do
	[ -f "$d/binary_runtime_measurements" ] || continue
	for pcrs in "--pcrs $d/pcrs.txt" ""; do
		# shellcheck disable=SC2086
		"$IMASNAP" replay --threads 1 --log "$d/binary_runtime_measurements" $pcrs > "$tmp/t1" 2>&1
		# shellcheck disable=SC2086
		"$IMASNAP" replay --threads 4 --log "$d/binary_runtime_measurements" $pcrs > "$tmp/t4" 2>&1
		cmp -s "$tmp/t1" "$tmp/t4" || { same=0; echo "# $d $pcrs: --threads 4 differs" >&2; }
	done
done
if [ $same = 1 ]; then ok replay_on_four_threads_prints_what_one_thread_prints
else ko replay_on_four_threads_prints_what_one_thread_prints; fi
for n in 0 65 two 1x -1; do
	expect "replay_refuses_threads_$n" 2 "--threads takes a number from 1 to 64, not '$n'" -- \
		"$IMASNAP" replay --threads "$n" --log "$data/pcr11/binary_runtime_measurements"
done

# JSON
"$IMASNAP" replay --json --log "$data/pcr11/binary_runtime_measurements" \
	--pcrs "$data/pcr11/pcrs.txt" > "$tmp/json"
if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["match"] and j["records"]==7 and len(j["pcrs"])==4' "$tmp/json"; then
	ok replay_json_reports_records_and_matches
else
	ko replay_json_reports_records_and_matches
fi

# A flipped byte in a record's file name: malformed, names record and offset.
d=$data/ima-ng-sha1-sha256
cp "$d/binary_runtime_measurements" "$tmp/log"
printf 'X' | dd of="$tmp/log" bs=1 seek=200 conv=notrunc status=none
expect replay_rejects_flipped_byte_naming_record_and_offset 4 \
	'record [0-9]+ at offset [0-9]+: template digest does not match' -- \
	"$IMASNAP" replay --log "$tmp/log" --pcrs "$d/pcrs.txt"
head -c 300 "$d/binary_runtime_measurements" > "$tmp/short"
expect replay_rejects_truncated_log 4 'record [0-9]+ at offset [0-9]+: truncated record' -- \
	"$IMASNAP" replay --log "$tmp/short"
printf 'garbage that is no IMA log at all, not even close........' > "$tmp/garbage"
expect replay_rejects_garbage 4 'record 0 at offset 0' -- \
	"$IMASNAP" replay --log "$tmp/garbage"

# A PCR value the log does not produce: mismatch, a different exit code.
# sha256 PCR 10 with its last digit changed
awk '$1 == "sha256" && $2 == 10 { d = substr($3, length($3)); $3 = substr($3, 1, length($3) - 1) (d == "0" ? "1" : "0") } { print }' "$d/pcrs.txt" > "$tmp/pcrs"
cmp -s "$tmp/pcrs" "$d/pcrs.txt" && ko "the changed PCR file is the same as the TPM's"
expect replay_exits_5_on_pcr_mismatch 5 "" -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$tmp/pcrs"
grep -q '^sha256 10 MISMATCH template-hash replay=' "$tmp/out" &&
	grep -q '^sha1 10 match' "$tmp/out" && ok replay_names_the_mismatching_bank ||
	ko replay_names_the_mismatching_bank
grep -v '^sha1 10 \|^sha256 10 ' "$d/pcrs.txt" > "$tmp/nopcr10"
expect replay_fails_when_nothing_to_compare 5 'names no bank and PCR that the log extends' -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$tmp/nopcr10"

# Bad inputs around the log.
echo "sha256 10 abcd" > "$tmp/badpcrs"
expect replay_rejects_short_pcr_value 4 'badpcrs:1: sha256 needs 64 hex digits' -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$tmp/badpcrs"
echo "md5 10 abcd" > "$tmp/badpcrs"
expect replay_rejects_unknown_bank_in_pcr_file 4 "unknown bank 'md5'" -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --pcrs "$tmp/badpcrs"
printf 'sha1 10 %040d\nsha1 10 %040d\n' 0 0 > "$tmp/badpcrs"
expect replay_rejects_repeated_pcr 4 'badpcrs:2: sha1 PCR 10 given twice' -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --start "$tmp/badpcrs"
expect replay_missing_log_is_io_error 3 'No such file' -- \
	"$IMASNAP" replay --log "$tmp/nonexistent"
expect replay_without_log_is_usage_error 2 '--log FILE is required' -- "$IMASNAP" replay
expect replay_unknown_bank_option_is_usage_error 2 "unknown bank 'sha3'" -- \
	"$IMASNAP" replay --log "$d/binary_runtime_measurements" --banks sha3
expect unknown_command_is_usage_error 2 "unknown command 'frobnicate'" -- "$IMASNAP" frobnicate

# --start: a log that starts from a carried state.
printf 'sha256 10 %064d\n' 0 > "$tmp/zero"
"$IMASNAP" replay --log "$d/binary_runtime_measurements" --start "$tmp/zero" > "$tmp/a"
"$IMASNAP" replay --log "$d/binary_runtime_measurements" --banks sha256 > "$tmp/b"
printf 'sha256 10 %064d\n' 1 > "$tmp/one"
"$IMASNAP" replay --log "$d/binary_runtime_measurements" --start "$tmp/one" > "$tmp/c"
if cmp -s "$tmp/a" "$tmp/b" && ! cmp -s "$tmp/a" "$tmp/c"; then
	ok replay_start_state_is_where_replay_begins
else
	ko replay_start_state_is_where_replay_begins
fi

finish cli
