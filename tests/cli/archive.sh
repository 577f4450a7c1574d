#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# imasnap snapshot / verify / show / arm as a user runs them, on the real
# logs in tests/data (their PCR files stand in for the TPM: --pcrs).  The
# TPM path and the kexec handoff run in tests/qemu/kexec.sh.
#   tests/cli/archive.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"

d=$data/pcr11
log=$d/binary_runtime_measurements
A=$tmp/a
mkdir -p "$A"

# A log cut at a record boundary, with the PCRs that prefix replays to.
cut_at() {	# cut_at LOG N OUT-LOG OUT-PCRS
	local off
	off=$("$IMASNAP" show "$1" | awk -v n="$2" 'NR == n + 2 { print $2 }')
	head -c "$off" "$1" > "$3"
	"$IMASNAP" replay --log "$3" --banks sha1,sha256 > "$4"
}
cut_at "$log" 4 "$tmp/prefix" "$tmp/prefix.pcrs"

expect snapshot_archives_a_cold_boot_log 0 '^shard 0: 4 records \(0\.\.3\), .*from cold boot' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs" --boot-id $BOOT1
expect snapshot_continues_this_boots_newest_shard 0 '^shard 1: 3 records \(4\.\.6\), .*continues' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT1
expect snapshot_twice_writes_nothing 0 '"written":false' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT1 --json
expect verify_passes_for_an_honest_chain 0 '^verified: 2 shards, live log of 7 records$' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs "$d/pcrs.txt"
# The live log's first bytes are this boot's shards, byte for byte (verify
# compares them as it reads the shards, else record by record: the same
# refusals either way).
cp "$log" "$tmp/log-name" && flip "$tmp/log-name" 706	# the last record's file name, in shard 1
expect verify_refuses_a_live_log_whose_archived_bytes_differ 5 \
	"the live log differs from shard 1: not the log of that shard.s boot" -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log-name" --pcrs "$d/pcrs.txt"
cp "$log" "$tmp/log-first" && flip "$tmp/log-first" 150	# record 1's file digest, in shard 0
expect verify_refuses_a_live_log_whose_first_shards_bytes_differ 5 \
	"the live log differs from shard 0: not the log of that shard.s boot" -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log-first" --pcrs "$d/pcrs.txt"
head -c 609 "$log" > "$tmp/log-short"
expect verify_refuses_a_live_log_that_ends_inside_the_archive 5 \
	"the live log is shorter than shard 1 says: not the log of that shard.s boot" -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log-short" --pcrs "$d/pcrs.txt"
# A boot whose banks IMA extended under the padded-SHA-1 rule (sha384 and
# sha512 on a kernel without them), archived in two shards: snapshot and
# verify find that rule in a second pass over the records.
P384=$tmp/padded && mkdir -p "$P384"
log384=$data/sha384-sha512/binary_runtime_measurements
off384=$("$IMASNAP" show "$log384" | awk 'NR == 5 { print $2 }')
head -c "$off384" "$log384" > "$tmp/p384"
"$IMASNAP" replay --log "$tmp/p384" --banks sha384,sha512 --padded-sha1 sha384,sha512 > "$tmp/p384.pcrs"
expect snapshot_archives_a_padded_rule_boot 0 '^shard 0: 3 records' -- \
	"$IMASNAP" snapshot --dir "$P384" --log "$tmp/p384" --pcrs "$tmp/p384.pcrs" --boot-id $BOOT1
expect snapshot_continues_a_padded_rule_boot 0 '^shard 1: 4 records \(3\.\.6\), .*continues' -- \
	"$IMASNAP" snapshot --dir "$P384" --log "$log384" --pcrs "$data/sha384-sha512/pcrs.txt" --boot-id $BOOT1
expect verify_passes_for_a_padded_rule_boot 0 '^verified: 2 shards, live log of 7 records$' -- \
	"$IMASNAP" verify --dir "$P384" --log "$log384" --pcrs "$data/sha384-sha512/pcrs.txt" --banks sha384
expect verify_json_reports_shards 0 '"verified":true,"shards":2' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs "$d/pcrs.txt" --json
awk '$1 == "sha256" && $2 == 10 { $3 = "00" substr($3, 3) } 1' "$d/pcrs.txt" > "$tmp/other.pcrs"
expect verify_names_the_pcr_and_both_values_on_a_mismatch 5 \
	"does not replay to the TPM's sha256 PCRs .*; PCR 10: replayed [0-9a-f]{16}\\.\\.\\., the PCR file has 00[0-9a-f]{14}\\.\\.\\.$" -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs "$tmp/other.pcrs"
expect show_prints_a_shard 0 '^records +4\.\.6 \(3\)' -- "$IMASNAP" show "$A/shard-00000001.ims"
expect show_json_of_a_shard 0 '^\{"kind":"shard","seq":1,"shard_kind":"log",.*"first_entry":4,"entries":3,' -- \
	"$IMASNAP" show --json "$A/shard-00000001.ims"
expect show_json_of_a_log 0 '^\[\{"record":0,"offset":0,"pcr":10,"template_digest":"[0-9a-f]{40}","template":"ima-ng","violation":false\},' -- \
	"$IMASNAP" show --json "$log"
expect arm_prints_the_cut_of_the_newest_shard 0 '^Snapshot_Attempt_Count=1;Entries=7;Offset=709;Shard=sha256:[0-9a-f]{64};sha1:PCR10:0x' -- \
	"$IMASNAP" arm --dir "$A" --print --boot-id $BOOT1
mkdir -p "$tmp/sfs" && : > "$tmp/sfs/arm"
"$IMASNAP" arm --dir "$A" --print --boot-id $BOOT1 > "$tmp/cut"
expect arm_writes_the_cut_to_the_module 0 '^armed: shard 1, 7 records up to offset 709$' -- \
	"$IMASNAP" arm --dir "$A" --securityfs "$tmp/sfs" --boot-id $BOOT1
cmp -s <(tr -d '\n' < "$tmp/cut") "$tmp/sfs/arm" && ok arm_writes_exactly_the_printed_cut || ko arm_writes_exactly_the_printed_cut
expect arm_without_the_module_says_so 3 'is the imasnap module loaded' -- \
	"$IMASNAP" arm --dir "$A" --securityfs "$tmp/nonexistent" --boot-id $BOOT1
expect collect_without_the_module_says_so 3 'is the imasnap module loaded' -- \
	"$IMASNAP" collect --dir "$A" --securityfs "$tmp/nonexistent"
expect arm_json_reports_the_cut 0 '^\{"armed":true,"seq":1,"entries":7,"offset":709,"cut":"Snapshot_Attempt_Count=1;' -- \
	"$IMASNAP" arm --dir "$A" --securityfs "$tmp/sfs" --boot-id $BOOT1 --json
printf 'core=loaded\ncarried=none\n' > "$tmp/sfs/status"
expect collect_json_says_nothing_was_carried 0 '^\{"collected":false,"result":"nothing carried into this boot","released":false\}$' -- \
	"$IMASNAP" collect --dir "$A" --securityfs "$tmp/sfs" --json
printf 'core=loaded\ncarried=rejected\ncarried_reason=stale record\n' > "$tmp/sfs/status"
expect collect_reports_a_record_the_module_rejected 5 'the module rejected the carried record: stale record' -- \
	"$IMASNAP" collect --dir "$A" --securityfs "$tmp/sfs"

# A log whose records do not reach the given PCRs: nothing is written.
expect snapshot_needs_an_existing_archive_folder 3 'No such file or directory' -- \
	"$IMASNAP" snapshot --dir "$tmp/b" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT1
mkdir -p "$tmp/b"
expect snapshot_refuses_a_log_that_misses_the_pcrs 5 "do not replay to the TPM's sha256 PCRs" -- \
	"$IMASNAP" snapshot --dir "$tmp/b" --log "$data/ima-sig/binary_runtime_measurements" \
	--pcrs "$d/pcrs.txt" --boot-id $BOOT1
[ -z "$(ls -A "$tmp/b")" ] && ok snapshot_leaves_no_file_behind_on_failure || ko snapshot_leaves_no_file_behind_on_failure

# A reboot without a carried tail: the next boot's chain restarts at zero.
d2=$data/ima-ng-sha1-sha256
expect snapshot_after_a_cold_reboot_starts_at_zero 0 '^shard 2: 7 records .*from cold boot' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt" --boot-id $BOOT2
expect verify_passes_across_a_cold_reboot 0 '^verified: 3 shards' -- \
	"$IMASNAP" verify --dir "$A" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt"
# A kexec that nothing armed: the next boot's log begins with the same
# boot_aggregate (kexec leaves PCRs 0-9 alone), then goes its own way; the
# TPM still holds the boot before it.  snapshot cannot start this boot's
# chain from zero, and verify does not take its log for the archived one.
U=$tmp/unarmed
mkdir -p "$U"
"$IMASNAP" snapshot --dir "$U" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT1 > /dev/null
first=$("$IMASNAP" show "$log" | awk 'NR == 3 { print $2 }')
first2=$("$IMASNAP" show "$d2/binary_runtime_measurements" | awk 'NR == 3 { print $2 }')
{ head -c "$first" "$log"; tail -c "+$((first2 + 1))" "$d2/binary_runtime_measurements"; } > "$tmp/unarmed.log"
expect snapshot_refuses_a_boot_from_zero_whose_tpm_holds_earlier_boots 5 \
	'after a kexec without imasnap.s hand-off .* this boot cannot join the chain' -- \
	"$IMASNAP" snapshot --dir "$U" --log "$tmp/unarmed.log" --pcrs "$d/pcrs.txt" --boot-id $BOOT2
expect verify_does_not_take_the_next_boots_log_for_the_archived_one 5 \
	"shard 0( says)?: not the log of that shard.s boot \\(a kexec without imasnap.s hand-off\\) or a changed one" -- \
	"$IMASNAP" verify --dir "$U" --log "$tmp/unarmed.log" --pcrs "$d/pcrs.txt"
# Before that cold boot the TPM was reset: nothing binds shards 0..1 but the
# digests (another machine's log could stand there), and verify says so.
expect verify_says_which_shards_are_only_linked 0 \
	'^only linked: shards 0\.\.1 \(2 of 3\): a cold boot came after them and no trailer quote the AK signed covers them$' -- \
	"$IMASNAP" verify --dir "$A" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt"
expect verify_json_counts_attested_and_linked_shards 0 '"attested_shards":1,"linked_shards":2,"linked_first":0,"linked_last":1' -- \
	"$IMASNAP" verify --dir "$A" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt" --json
expect verify_require_attested_refuses_linked_shards 5 \
	'shards 0\.\.1 are only linked, not attested' -- \
	"$IMASNAP" verify --dir "$A" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt" --require-attested

# Tampering, each named.
tamper() {	# tamper NAME REGEX -- command (run inside a copy of the archive)
	local name=$1 re=$2
	shift 3
	rm -rf "$tmp/t" && cp -r "$A" "$tmp/t"
	(cd "$tmp/t" && "$@")
	expect "verify_rejects_$name" 5 "$re" -- \
		"$IMASNAP" verify --dir "$tmp/t" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt"
}
tamper a_flipped_body_byte 'shard 0' -- flip shard-00000000.ims 600
tamper a_flipped_header_byte 'shard 1 does not link to shard 0' -- flip shard-00000000.ims 80
# A byte no template digest covers (the first record's PCR index, 10 made
# 11): only the body digest holds it, taken by the replay's threads or by
# the one; both must refuse.
body_at() {	# the offset of a shard's body: its size less the body (and no trailer)
	"$IMASNAP" show "$1" | grep -q '^trailer *none$' || { echo "body_at: $1 has a trailer" >&2; return 1; }
	echo $(($(stat -c %s "$1") - $("$IMASNAP" show "$1" | awk '/^body_bytes/ { print $2 }')))
}
pcr_11() { printf '\013' | dd of="$1" bs=1 seek="$(body_at "$1")" conv=notrunc status=none; }
for threads in 1 2; do
	rm -rf "$tmp/t" && cp -r "$A" "$tmp/t" && pcr_11 "$tmp/t/shard-00000000.ims"
	expect "verify_on_${threads}_threads_rejects_a_body_byte_only_the_body_digest_covers" 5 \
		'shard 0: shard body digest does not match its body' -- \
		"$IMASNAP" verify --threads $threads --dir "$tmp/t" --log "$d2/binary_runtime_measurements" \
		--pcrs "$d2/pcrs.txt"
done
# The body digest is the spool's on one thread, the threaded replay's on
# more: the same shard, byte for byte, and it verifies.
for threads in 1 2 3 4; do
	rm -rf "$tmp/th$threads" && mkdir "$tmp/th$threads" &&
		"$IMASNAP" snapshot --threads $threads --dir "$tmp/th$threads" --boot-id $BOOT1 \
			--log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt" > /dev/null
done
expect snapshot_writes_the_same_shard_on_one_thread_and_on_two_to_four 0 '' -- \
	sh -c 'for t in 2 3 4; do cmp "$1/th1/shard-00000000.ims" "$1/th$t/shard-00000000.ims" || exit 1; done' \
	sh "$tmp"
expect verify_takes_the_shard_a_threaded_snapshot_wrote 0 '^verified: 1 shard' -- \
	"$IMASNAP" verify --threads 1 --dir "$tmp/th2" --log "$d2/binary_runtime_measurements" --pcrs "$d2/pcrs.txt"
tamper a_dropped_shard 'a shard is missing: shard 1 [(]1 missing between shard 0 and shard' -- rm shard-00000001.ims
tamper swapped_shards 'shard 0' -- sh -c 'mv shard-00000000.ims x; mv shard-00000001.ims shard-00000000.ims; mv x shard-00000001.ims'
tamper an_older_shard_in_place_of_a_newer 'shard 1' -- cp shard-00000000.ims shard-00000001.ims
# Forged archives (tests/cli/build/forge-shard writes whatever fields it is
# given, with the tool's own writer): the attacks a root user could try.
FORGE=${FORGE:-$top/tests/cli/build/forge-shard}
digest_of() { "$IMASNAP" show "$1" | awk '/^digest/ { sub("sha256:", "", $2); print $2 }'; }
if [ -x "$FORGE" ]; then
	F=$tmp/forged1 && mkdir -p "$F"
	printf 'sha512 10 %0128d\n' 0 > "$tmp/sha512zero"
	"$FORGE" "$F" 0 log $BOOT1 0 0 - zero - "$tmp/sha512zero" > /dev/null
	cut_at "$d2/binary_runtime_measurements" 1 "$tmp/first" "$tmp/first.pcrs"
	"$FORGE" "$F" 1 log $BOOT1 0 0 "$tmp/first" "$(digest_of "$F/shard-00000000.ims")" \
		"$tmp/sha512zero" "$tmp/sha512zero" > /dev/null
	expect verify_rejects_an_empty_shard_that_restarts_a_boot 5 'shard 0 holds no record' -- \
		"$IMASNAP" verify --dir "$F" --log "$data/ima-sig/binary_runtime_measurements" --pcrs "$d/pcrs.txt"

	F=$tmp/forged2 && mkdir -p "$F"
	{ grep -E '^sha(1|256) (10|11) ' "$d/pcrs.txt"; printf 'sha256 15 %064d\n' 7; } > "$tmp/extra.pcrs"
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$log" zero - "$tmp/extra.pcrs" > /dev/null
	expect verify_rejects_an_end_state_with_a_pcr_nothing_extended 5 \
		'shard 0: its records do not replay to its sha256 end state; PCR 15: nothing replayed into it' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt"

	F=$tmp/forged3 && mkdir -p "$F"
	"$IMASNAP" replay --log "$log" --banks sha1,sha256 > "$tmp/end0"
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$log" zero - "$tmp/end0" > /dev/null
	"$FORGE" "$F" 1 tail $BOOT1 7 709 - "$(digest_of "$F/shard-00000000.ims")" \
		"$tmp/end0" "$tmp/sha512zero" > /dev/null
	expect verify_rejects_a_tail_that_ends_in_other_banks 5 'shard 1' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt"

	# shard 1 starting from a state that is not shard 0's end
	F=$tmp/forged5 && mkdir -p "$F"
	cut_at "$log" 4 "$tmp/p4" "$tmp/p4.pcrs"
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$tmp/p4" zero - "$tmp/p4.pcrs" > /dev/null
	tail -c +$(( $(stat -c %s "$tmp/p4") + 1 )) "$log" > "$tmp/rest"
	"$IMASNAP" replay --log "$tmp/rest" --start "$tmp/end0" > "$tmp/rest.end"
	"$FORGE" "$F" 1 log $BOOT1 4 "$(stat -c %s "$tmp/p4")" "$tmp/rest" \
		"$(digest_of "$F/shard-00000000.ims")" "$tmp/end0" "$tmp/rest.end" > /dev/null
	expect verify_rejects_a_start_state_that_is_not_the_previous_end 5 \
		'shard 1 does not start where shard 0 ends' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt"

	F=$tmp/forged4 && mkdir -p "$F"
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$log" zero - "$tmp/end0" > /dev/null
	"$FORGE" "$F" 1 tail $BOOT1 7 709 - "$(digest_of "$F/shard-00000000.ims")" \
		"$tmp/end0" "$tmp/end0" > /dev/null
	"$FORGE" "$F" 2 log $BOOT1 0 0 "$log" "$(digest_of "$F/shard-00000001.ims")" \
		"$tmp/end0" "$tmp/end0" > /dev/null
	expect verify_rejects_a_boot_that_claims_to_follow_its_own_kexec 5 'claims the boot that tail shard 1 left' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt"
else
	ko "forge-shard helper missing: $FORGE (make cli builds it)"
fi
mkdir -p "$tmp/empty"
: > "$tmp/empty.log"
expect verify_rejects_an_empty_live_log 5 'holds no record' -- \
	"$IMASNAP" verify --dir "$tmp/empty" --log "$tmp/empty.log" --pcrs "$d/pcrs.txt"
mkfifo "$tmp/log-fifo"
expect verify_refuses_a_live_log_that_is_a_fifo 4 'log-fifo: not a regular file' -- \
	timeout 10 "$IMASNAP" verify --dir "$tmp/empty" --log "$tmp/log-fifo" --pcrs "$d/pcrs.txt"

expect verify_rejects_a_live_log_that_is_not_this_boots 5 'live log' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs "$d/pcrs.txt"
expect verify_without_dir_is_a_usage_error 2 'Usage' -- "$IMASNAP" verify
expect show_of_garbage_names_the_record 4 'record 0 at offset 0' -- "$IMASNAP" show /etc/hostname

# window suggest on the /proc/iomem of the QEMU guests.
io=$data/iomem
expect window_suggest_picks_the_middle_of_low_ram 0 '^memmap=64K\$0x20000000 imasnap\.window=64K@0x20000000$' -- \
	"$IMASNAP" window suggest --iomem "$io/qemu-1g.txt"
expect window_suggest_uses_the_largest_ram_range 0 '"address":"0x18000000"' -- \
	"$IMASNAP" window suggest --iomem "$io/qemu-1g-window.txt" --json
expect window_suggest_takes_a_size 0 '^memmap=1024K\$0x20000000 imasnap\.window=1024K@0x20000000$' -- \
	"$IMASNAP" window suggest --iomem "$io/qemu-1g.txt" --size 1M
sed 's/^[0-9a-f]*-[0-9a-f]* : /00000000-00000000 : /' "$io/qemu-1g.txt" > "$tmp/iomem-nonroot"
expect window_suggest_explains_an_unreadable_iomem 4 'needs root' -- \
	"$IMASNAP" window suggest --iomem "$tmp/iomem-nonroot"
printf '00100000-3ffcefff : System RAM\n  00000000-3fffffff : Kernel code\n' > "$tmp/iomem-wrap"
expect window_suggest_never_wraps_below_zero 5 'no room clear of the kernel image' -- \
	timeout 10 "$IMASNAP" window suggest --iomem "$tmp/iomem-wrap"
printf '3ffcefff-00100000 : System RAM\n' > "$tmp/iomem-backwards"
expect window_suggest_refuses_a_range_that_ends_before_it_starts 4 'ends before it starts' -- \
	timeout 10 "$IMASNAP" window suggest --iomem "$tmp/iomem-backwards"
expect window_suggest_rejects_a_bad_size 2 'takes 4K\.\.16M' -- \
	"$IMASNAP" window suggest --iomem "$io/qemu-1g.txt" --size 5000

# status: the module's file as is, and the archive.
printf 'version=1\nwindow=none\nwindow_error=0\ntpm=yes\narmed=no\ncapture=none\ncarried=none\nreseed=none\n' > "$tmp/sfs/status"
expect status_shows_the_module_and_the_archive 0 '^archive\.newest_kind=log$' -- \
	"$IMASNAP" status --dir "$A" --securityfs "$tmp/sfs"
grep -q '^module.carried=none$' "$tmp/out" && ok status_prints_the_modules_keys || ko status_prints_the_modules_keys
expect status_json_has_both 0 '"module":\{"version":"1".*"archive":\{"shards":3' -- \
	"$IMASNAP" status --dir "$A" --securityfs "$tmp/sfs" --json
expect status_says_when_the_module_is_not_loaded 0 '^module=not loaded' -- \
	"$IMASNAP" status --securityfs "$tmp/nonexistent"

# One exit code per kind of failure: a state the command cannot work from
# is not a typo.
mkdir -p "$tmp/empty"
expect arm_before_any_snapshot_is_a_state_error 6 "run 'imasnap snapshot --dir" -- \
	"$IMASNAP" arm --dir "$tmp/empty" --boot-id $BOOT1 --print
expect snapshot_names_the_options_that_conflict 2 'snapshot: --pcrs and --tcti conflict' -- \
	"$IMASNAP" snapshot --dir "$A" --pcrs "$d/pcrs.txt" --tcti swtpm
expect verify_says_which_option_is_missing 2 'verify: --ak PEM is required with --quote' -- \
	"$IMASNAP" verify --dir "$A" --quote "$tmp/q" --nonce 00112233445566778899aabbccddeeff
expect version_names_the_tool 0 '^imasnap [0-9a-f]' -- "$IMASNAP" --version
# The first shard starts the chain: a prev digest there is a lie.
cp -r "$A" "$tmp/prev0"
flip "$tmp/prev0/shard-00000000.ims" 88
expect verify_rejects_a_first_shard_with_a_prev_digest 5 'shard 0 has a non-zero prev digest: it must start the chain' -- \
	"$IMASNAP" verify --dir "$tmp/prev0" --log "$log" --pcrs "$d/pcrs.txt"
# IMA extends a bank under one rule for a whole boot: a second shard of the
# boot that only reaches the PCRs under the other rule is refused.
P=$tmp/rules
mkdir -p "$P"
tail -c +$(($(stat -c %s "$tmp/prefix") + 1)) "$log" > "$tmp/rest"
"$IMASNAP" replay --log "$tmp/rest" --start "$tmp/prefix.pcrs" --padded-sha1 sha256 > "$tmp/switch.pcrs"
awk 'NR == FNR { seen[$1 " " $2] = 1; print; next } !seen[$1 " " $2]' \
	"$tmp/switch.pcrs" "$tmp/prefix.pcrs" > "$tmp/switch-all.pcrs"
"$IMASNAP" snapshot --dir "$P" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs" --boot-id $BOOT1 > /dev/null
expect snapshot_refuses_to_switch_a_banks_rule_within_a_boot 5 \
	'sha256 bank reaches the TPM only under the padded-SHA-1 rule, but shard 0 of this boot was extended under the template-hash rule' -- \
	"$IMASNAP" snapshot --dir "$P" --log "$log" --pcrs "$tmp/switch-all.pcrs" --boot-id $BOOT1
[ ! -e "$P/shard-00000001.ims" ] && ok snapshot_writes_no_shard_that_switches_a_rule ||
	ko snapshot_writes_no_shard_that_switches_a_rule
# verify starts the live boot's replay at its newest shard's end, in the
# lanes of the rule its shards took: records after them under the other
# rule still do not verify.
expect verify_refuses_a_rule_switch_after_the_live_boots_shards 5 \
	"does not replay to the TPM's sha256 PCRs" -- \
	"$IMASNAP" verify --dir "$P" --log "$log" --pcrs "$tmp/switch-all.pcrs"
expect verify_passes_the_same_shards_with_the_rule_they_took 0 '^verified: 1 shard, live log of 7 records$' -- \
	"$IMASNAP" verify --dir "$P" --log "$log" --pcrs "$d/pcrs.txt"
# ... and verify refuses one in any boot, not only the live one.
R=$tmp/rules-old
mkdir -p "$R"
"$IMASNAP" snapshot --dir "$R" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs" --boot-id $BOOT1 > /dev/null
d0=$("$IMASNAP" show --json "$R/shard-00000000.ims" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
"$FORGE" "$R" 1 log $BOOT1 4 "$(stat -c %s "$tmp/prefix")" "$tmp/rest" "$d0" \
	"$tmp/prefix.pcrs" "$tmp/switch-all.pcrs" > /dev/null
"$IMASNAP" snapshot --dir "$R" --log "$log" --pcrs "$d/pcrs.txt" --boot-id $BOOT2 > /dev/null
expect verify_refuses_a_rule_switch_in_an_earlier_boot 5 \
	'shard 1 reaches its sha256 end state only under the padded-SHA-1 rule, but shard 0 of its boot under the template-hash rule' -- \
	"$IMASNAP" verify --dir "$R" --log "$log" --pcrs "$d/pcrs.txt"
if [ -x "$FORGE" ]; then
	# --kernels: each kexec must jump into an image the old kernel measured
	# and the list names (checked as the archive is walked).
	F=$tmp/forged-kernels && mkdir -p "$F"
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$log" zero - "$tmp/end0" > /dev/null
	"$FORGE" "$F" 1 tail $BOOT1 7 709 - "$(digest_of "$F/shard-00000000.ims")" \
		"$tmp/end0" "$tmp/end0" > /dev/null
	echo "$(printf '%064d' 7)  /boot/vmlinuz-other" > "$tmp/kernels.other"
	expect verify_refuses_a_kexec_into_a_kernel_off_the_list 5 \
		'the kexec at shard 1: the old kernel measured no kernel image of --kernels before the jump \(it measured no kernel image at all\)' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt" --kernels "$tmp/kernels.other"
	awk '$5 == "/bin/busybox" { sub("sha256:", "", $4); print $4 "  /bin/busybox" }' \
		"$d/ascii_runtime_measurements" > "$tmp/kernels.busybox"
	expect verify_takes_a_kexec_into_a_digest_on_the_list 5 'no snapshot_aggregate naming shard 0' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt" --kernels "$tmp/kernels.busybox"
	echo 'not-a-digest /boot/vmlinuz' > "$tmp/kernels.bad"
	expect verify_refuses_a_kernels_list_that_is_not_one 4 'kernels.bad:1: expected' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt" --kernels "$tmp/kernels.bad"
fi
# A PCR source names the banks a shard ends in: none is nothing to check,
# and a bank the archive's end state lacks would end in other banks than
# the shard starts in.
echo '# no bank' > "$tmp/nobank.pcrs"
expect snapshot_refuses_a_pcr_file_without_a_bank 5 'has no PCR bank to check the log against' -- \
	"$IMASNAP" snapshot --dir "$tmp/empty" --log "$log" --pcrs "$tmp/nobank.pcrs" --boot-id $BOOT1
[ -z "$(ls "$tmp/empty")" ] && ok snapshot_writes_no_shard_without_a_bank ||
	ko snapshot_writes_no_shard_without_a_bank
{ cat "$d/pcrs.txt"; printf 'sha384 10 %096d\n' 0; } > "$tmp/extra-bank.pcrs"
expect snapshot_refuses_a_bank_the_archive_does_not_end_in 5 \
	'the TPM has a sha384 bank, which the archive.s end state has not' -- \
	"$IMASNAP" snapshot --dir "$P" --log "$log" --pcrs "$tmp/extra-bank.pcrs" --boot-id $BOOT1
# Inputs are regular files of the size their format allows: a FIFO never
# blocks a reader, a device never floods it.
mkfifo "$tmp/fifo"
expect show_refuses_a_fifo 4 'fifo: not a regular file' -- timeout 10 "$IMASNAP" show "$tmp/fifo"
mkdir -p "$tmp/sfs-dev"
ln -s /dev/zero "$tmp/sfs-dev/status"
expect status_refuses_a_status_file_that_is_a_device 0 'module=not loaded \(.*status: not a regular file\)' -- \
	timeout 10 "$IMASNAP" status --securityfs "$tmp/sfs-dev"
printf 'core=loaded\ncarried=accepted\n' > "$tmp/sfs-fifo-status"
mkdir -p "$tmp/sfs-fifo" && cp "$tmp/sfs-fifo-status" "$tmp/sfs-fifo/status"
mkfifo "$tmp/sfs-fifo/carried"
expect collect_refuses_a_carried_file_that_is_a_fifo 4 'carried: not a regular file' -- \
	timeout 10 "$IMASNAP" collect --dir "$A" --securityfs "$tmp/sfs-fifo"
head -c $((17 * 1024 * 1024)) /dev/zero > "$tmp/sfs-fifo/carried.big"
rm "$tmp/sfs-fifo/carried" && mv "$tmp/sfs-fifo/carried.big" "$tmp/sfs-fifo/carried"
expect collect_refuses_a_carried_record_larger_than_any 4 'carried: larger than its format allows' -- \
	"$IMASNAP" collect --dir "$A" --securityfs "$tmp/sfs-fifo"
{ cat "$d/pcrs.txt"; yes '# padding' | head -c $((2 * 1024 * 1024)); } > "$tmp/huge.pcrs"
expect verify_refuses_a_pcr_file_larger_than_any 4 'huge.pcrs: larger than its format allows' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs "$tmp/huge.pcrs"
# collect archives only a tail that verify can take: cut where the armed
# shard ends, replaying from its end to the PCRs the record names.
FORGE_RECORD=${FORGE_RECORD:-$top/tests/cli/build/forge-record}
if [ -x "$FORGE_RECORD" ]; then
	C=$tmp/collect && mkdir -p "$C"
	"$IMASNAP" snapshot --dir "$C" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs" --boot-id $BOOT1 > /dev/null
	c0=$("$IMASNAP" show --json "$C/shard-00000000.ims" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
	"$IMASNAP" replay --log "$tmp/rest" --start "$tmp/prefix.pcrs" > "$tmp/tail.pcrs"
	awk 'NR == FNR { seen[$1 " " $2] = 1; print; next } !seen[$1 " " $2]' \
		"$tmp/tail.pcrs" "$tmp/prefix.pcrs" > "$tmp/tail-all.pcrs"
	cut=$(stat -c %s "$tmp/prefix")
	collect_with() {	# collect_with ARCHIVE CUT-OFFSET PCRS
		rm -rf "$tmp/sfs-c" && mkdir -p "$tmp/sfs-c" && : > "$tmp/sfs-c/release"
		printf 'core=loaded\ncarried=accepted\n' > "$tmp/sfs-c/status"
		"$FORGE_RECORD" "$tmp/sfs-c/carried" 0 4 "$2" "$c0" "$tmp/rest" "$tmp/prefix.pcrs" "$3"
		"$IMASNAP" collect --dir "$1" --securityfs "$tmp/sfs-c"
	}
	cp -r "$C" "$tmp/collect-cut"
	expect collect_refuses_a_record_cut_elsewhere_than_the_shard_ends 5 \
		"the carried record's cut \(4 records, offset $((cut + 1))\) is not where shard 0 ends \(4 records, offset $cut\)" -- \
		collect_with "$tmp/collect-cut" $((cut + 1)) "$tmp/tail-all.pcrs"
	cp -r "$C" "$tmp/collect-pcrs"
	expect collect_refuses_a_tail_that_does_not_replay_to_the_records_pcrs 5 \
		"the carried tail does not replay from shard 0's end to the sha1 PCRs the record names" -- \
		collect_with "$tmp/collect-pcrs" "$cut" "$tmp/prefix.pcrs"
	[ ! -e "$tmp/collect-cut/shard-00000001.ims" ] && [ ! -e "$tmp/collect-pcrs/shard-00000001.ims" ] &&
		ok collect_writes_no_tail_shard_it_refused || ko collect_writes_no_tail_shard_it_refused
	expect collect_archives_a_tail_that_replays_to_the_record 0 '^shard 1: tail of 3 records .* carried across kexec$' -- \
		collect_with "$C" "$cut" "$tmp/tail-all.pcrs"
fi
# boot_aggregate: every boot's log begins with it, it is IMA's digest of
# PCRs 0-9, and kexec does not change them: one value per power cycle.
mkdir -p "$tmp/ba"
expect verify_checks_the_boot_aggregate_against_pcrs_0_9 0 \
	'^boot_aggregate: sha256, of 1 boot since the last cold boot, matches the PCR file.s PCRs 0-9$' -- \
	"$IMASNAP" verify --dir "$tmp/ba" --log "$log" --pcrs "$d/pcrs.txt"
sed 's/^sha256 3 .*/sha256 3 '"$(printf '%064d' 3)"'/' "$d/pcrs.txt" > "$tmp/pcr3.pcrs"
expect verify_refuses_a_boot_aggregate_that_is_not_pcrs_0_9 5 \
	'the sha256 boot_aggregate \(7eec9c1bcb825855\.\.\.\) is not the PCR file.s PCRs 0-9' -- \
	"$IMASNAP" verify --dir "$tmp/ba" --log "$log" --pcrs "$tmp/pcr3.pcrs"
expect verify_says_when_the_pcr_file_cannot_check_the_boot_aggregate 0 \
	'^boot_aggregate: sha256 NOT checked: the PCR file lacks some of that bank.s PCRs 0-9$' -- \
	"$IMASNAP" verify --dir "$tmp/ba" --log "$tmp/prefix" --pcrs "$tmp/prefix.pcrs"
first=$("$IMASNAP" show "$log" | awk 'NR == 3 { print $2 }')
tail -c +$((first + 1)) "$log" > "$tmp/no-ba"
"$IMASNAP" replay --log "$tmp/no-ba" --banks sha1,sha256 > "$tmp/no-ba.pcrs"
expect verify_refuses_a_boot_that_does_not_begin_with_boot_aggregate 5 \
	'the live log begins a boot, but not with boot_aggregate' -- \
	"$IMASNAP" verify --dir "$tmp/ba" --log "$tmp/no-ba" --pcrs "$tmp/no-ba.pcrs"
expect snapshot_refuses_a_boot_that_does_not_begin_with_boot_aggregate 5 \
	'does not begin with a boot_aggregate record' -- \
	"$IMASNAP" snapshot --dir "$tmp/ba" --log "$tmp/no-ba" --pcrs "$tmp/no-ba.pcrs" --boot-id $BOOT1
if [ -x "$FORGE" ]; then
	# A kexec into a kernel whose boot_aggregate says other PCRs 0-9.
	F=$tmp/forged-ba && mkdir -p "$F"
	s384=$data/sha384-sha512/binary_runtime_measurements
	"$FORGE" "$F" 0 log $BOOT1 0 0 "$log" zero - "$tmp/end0" > /dev/null
	"$FORGE" "$F" 1 tail $BOOT1 7 709 - "$(digest_of "$F/shard-00000000.ims")" \
		"$tmp/end0" "$tmp/end0" > /dev/null
	"$IMASNAP" replay --log "$s384" --start "$tmp/end0" > "$tmp/s384.end"
	awk 'NR == FNR { seen[$1 " " $2] = 1; print; next } !seen[$1 " " $2]' \
		"$tmp/s384.end" "$tmp/end0" > "$tmp/s384.end-all"
	"$FORGE" "$F" 2 log $BOOT2 0 0 "$s384" "$(digest_of "$F/shard-00000001.ims")" \
		"$tmp/end0" "$tmp/s384.end-all" > /dev/null
	expect verify_refuses_two_boot_aggregates_in_one_power_cycle 5 \
		'the sha256 boot_aggregate of shard 2 differs from that of shard 0, with no cold boot in between' -- \
		"$IMASNAP" verify --dir "$F" --log "$log" --pcrs "$d/pcrs.txt"
fi
# The systemd units, as systemd reads them (the binary path pointed at this build).
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$tmp/units"
	for u in "$top"/userspace/systemd/*.service; do
		sed "s|/usr/sbin/imasnap|$IMASNAP|" "$u" > "$tmp/units/${u##*/}"
	done
	expect systemd_units_pass_systemd_analyze_verify 0 '' -- \
		systemd-analyze verify --man=no "$tmp"/units/*.service
	expect snapshot_unit_runs_before_the_kexec_itself 0 '' -- \
		grep -qE '^Before=.*systemd-kexec\.service' "$top/userspace/systemd/imasnap-snapshot.service"
fi

finish archive
