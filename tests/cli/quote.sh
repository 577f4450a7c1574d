#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# imasnap quote and verify --quote against a real software TPM (swtpm on the
# host, socket TCTI): the TPM's PCRs are extended with a real IMA log
# (tests/cli/build/tpm-extend), the log is archived, quoted with an RSA and an
# ECC attestation key, and verified; then every tampered input is rejected
# with its reason.
#   tests/cli/quote.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
EXTEND=$top/tests/cli/build/tpm-extend
start_swtpm

# The real log, its boot_aggregate made this swtpm's (its PCRs 0-9 are zero).
"$EXTEND" --boot-log "$TSS2_TCTI" "$data/ima-ng-sha1-sha256/binary_runtime_measurements" "$tmp/log" > /dev/null
log=$tmp/log
A=$tmp/archive && mkdir -p "$A"
expect extend_swtpm_with_a_real_log 0 'extended 7 records' -- "$EXTEND" "$TSS2_TCTI" "$log"
expect snapshot_reads_the_pcrs_from_the_tpm 0 '^shard 0: 7 records' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log"
expect verify_reads_the_pcrs_from_the_tpm 0 '^verified: 1 shard, live log of 7 records$' -- \
	"$IMASNAP" verify --dir "$A" --log "$log"

N1=00112233445566778899aabbccddeeff
N2=ffeeddccbbaa99887766554433221100
for alg in rsa ecc; do
	expect quote_with_an_${alg}_ak 0 "quote of PCRs 0x400 in 2 banks with the $alg AK" -- \
		"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q-$alg" --alg $alg --log "$log"
	# The verifier enrolls the AK when it first appears and keeps its own copy.
	cp "$A/ak-$alg.pem" "$tmp/enrolled-ak-$alg.pem"
	expect verify_accepts_an_honest_${alg}_quote 0 'quoted by the AK$' -- \
		"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-$alg" --ak "$tmp/enrolled-ak-$alg.pem" --nonce $N1
done
# The banks that carry the proof are the verifier's choice: an archive and
# a quote of the sha1 bank alone rest the whole history on SHA-1.
S1=$tmp/sha1-only && mkdir -p "$S1"
"$IMASNAP" replay --log "$log" --banks sha1 > "$tmp/sha1.pcrs"
"$IMASNAP" snapshot --dir "$S1" --log "$log" --pcrs "$tmp/sha1.pcrs" > /dev/null
"$IMASNAP" quote --dir "$S1" --nonce $N1 --out "$tmp/q-sha1" --banks sha1 --log "$log" > /dev/null
expect verify_refuses_a_sha1_only_history_by_default 5 \
	'the sha256 bank is not checked: the quote does not select its PCR 10; this verification needs it \(--banks\)' -- \
	"$IMASNAP" verify --dir "$S1" --log "$log" --quote "$tmp/q-sha1" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
expect verify_banks_lets_the_verifier_choose_sha1 0 'quoted by the AK$' -- \
	"$IMASNAP" verify --dir "$S1" --log "$log" --quote "$tmp/q-sha1" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1 --banks sha1
expect verify_refuses_an_ak_from_the_archive 2 'is inside the archive --dir .*: the AK must be the one the verifier enrolled' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$A/ak-rsa.pem" --nonce $N1
expect quote_reuses_the_same_ak 0 'rsa AK' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N2 --out "$tmp/q2" --alg rsa --log "$log"
expect quote_json_reports_the_quote 0 '^\{"alg":"rsa","ak":".*/ak-rsa.pem","out":".*/q2j","pcrs":1024,"banks":2,"bytes":[0-9]+\}$' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N2 --out "$tmp/q2j" --json --log "$log"
expect ak_public_key_is_kept_as_pem 0 '' -- openssl pkey -pubin -in "$A/ak-rsa.pem" -noout

expect verify_rejects_a_wrong_nonce 5 'not over this nonce' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N2
expect verify_rejects_a_replayed_old_quote 5 'not over this nonce' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$tmp/enrolled-ak-rsa.pem" --nonce 0123456789abcdef0123456789abcdef
expect verify_rejects_the_wrong_ak 5 'signature' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$tmp/enrolled-ak-ecc.pem" --nonce $N1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | openssl pkey -pubout > "$tmp/other.pem"
expect verify_rejects_another_rsa_key 5 'does not verify with the AK' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$tmp/other.pem" --nonce $N1
for at in 20 40 60; do
	cp "$tmp/q-ecc" "$tmp/qt"
	flip "$tmp/qt" $at
	expect verify_rejects_a_quote_with_byte_${at}_changed 5 '' -- \
		"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/qt" --ak "$tmp/enrolled-ak-ecc.pem" --nonce $N1
done
expect quote_of_the_sha256_bank_only 0 'in 1 banks' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q256" --banks sha256 --log "$log"
expect verify_rejects_a_selection_missing_a_bank 5 'misses PCR 10 of the sha1 bank' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q256" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
expect quote_of_pcr_11_only 0 '' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q11" --pcrs 11
expect verify_rejects_a_selection_without_pcr_10 5 'selects PCR 10 of no known bank|misses PCR 10' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q11" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
# The live log with one more record than the TPM saw when it quoted.
last=$("$IMASNAP" show "$log" | awk 'NR == 8 { print $2 }')
{ cat "$log"; tail -c +$((last + 1)) "$log"; } > "$tmp/longer"
expect verify_rejects_a_log_the_quote_does_not_cover 5 \
	"does not give the quote's PCR digest \\(replayed [0-9a-f]{16}\\.\\.\\., quoted [0-9a-f]{16}\\.\\.\\.\\)" -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/longer" --quote "$tmp/q-rsa" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
cp "$A/ak-rsa.pem" "$tmp/ak-rsa.kept"
cp "$tmp/other.pem" "$A/ak-rsa.pem"
expect quote_refuses_when_the_kept_ak_is_another_key 5 "is not this TPM's rsa AK" -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q3" --alg rsa --log "$log"
cp "$tmp/ak-rsa.kept" "$A/ak-rsa.pem"
expect quote_refuses_a_nonce_shorter_than_16_bytes 2 'takes 16 to 64 bytes' -- \
	"$IMASNAP" quote --dir "$A" --nonce 00112233445566778899aabbccddee --out "$tmp/qs" --log "$log"
expect verify_refuses_a_nonce_shorter_than_16_bytes 2 'takes 16 to 64 bytes' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa" --ak "$tmp/enrolled-ak-rsa.pem" --nonce 0011
expect quote_pcrs_and_log_exclude_each_other 2 'Usage' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/qx" --pcrs 10 --log "$log"
expect quote_without_a_readable_log_asks_for_pcrs 3 'give --pcrs, or --log' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/qn" --log "$tmp/nonexistent"

# Records for PCR 11 on top: a quote must select every PCR the live log extends.
cat "$log" "$data/pcr11/binary_runtime_measurements" > "$tmp/log+11"
"$EXTEND" "$TSS2_TCTI" "$data/pcr11/binary_runtime_measurements" > /dev/null
expect quote_selects_the_pcrs_the_log_extends 0 'quote of PCRs 0xc00 in 2 banks' -- \
	"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q-10-11" --log "$tmp/log+11"
expect verify_accepts_a_quote_of_every_pcr_the_log_extends 0 'quoted by the AK$' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-10-11" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
"$IMASNAP" quote --dir "$A" --nonce $N2 --out "$tmp/q-10" --pcrs 10 > /dev/null
expect verify_rejects_a_quote_that_leaves_a_pcr_of_the_log_unselected 5 \
	'the quote does not select PCR 11 of the sha1 bank, which the live log extends' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-10" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N2

expect verify_quote_needs_ak_and_nonce 2 'Usage' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/q-rsa"
echo garbage > "$tmp/notaquote"
expect verify_rejects_a_file_that_is_no_quote 4 'not an imasnap quote' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/notaquote" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1

# Outputs never go through a link a root user planted.
echo precious > "$tmp/victim"
ln -s "$tmp/victim" "$tmp/q-link"
"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q-link" --log "$log" > /dev/null
[ "$(cat "$tmp/victim")" = precious ] && [ -f "$tmp/q-link" ] && [ ! -L "$tmp/q-link" ] &&
	ok quote_out_replaces_a_symlink_instead_of_writing_through_it ||
	ko quote_out_replaces_a_symlink_instead_of_writing_through_it
B=$tmp/archive-b && mkdir -p "$B"
ln -s "$tmp/planted.pem" "$B/ak-ecc.pem"
expect quote_refuses_a_dangling_ak_symlink_in_the_archive 5 'ak-ecc.pem is not this TPM' -- \
	"$IMASNAP" quote --dir "$B" --nonce $N1 --out "$tmp/qb" --alg ecc --log "$log"
[ ! -e "$tmp/planted.pem" ] && ok quote_creates_nothing_through_a_dangling_ak_symlink ||
	ko quote_creates_nothing_through_a_dangling_ak_symlink
head -c $((1024 * 1024)) /dev/zero > "$tmp/big.q"
expect verify_refuses_a_quote_larger_than_any 4 'big.q: larger than its format allows' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --quote "$tmp/big.q" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
expect verify_refuses_a_quote_that_is_a_device 4 'zero: not a regular file' -- \
	timeout 10 "$IMASNAP" verify --dir "$A" --log "$log" --quote /dev/zero --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1

# The boot_aggregate against the quoted PCRs 0-9, whose values the quote
# file carries and the quote's PCR digest binds.
"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q-ba" --log "$tmp/log+11" > "$tmp/q-ba.out"
expect quote_carries_pcrs_0_9_for_the_boot_aggregate 0 '^with sha256 PCRs 0-9 and their values, for the boot_aggregate$' -- \
	cat "$tmp/q-ba.out"
expect verify_checks_the_boot_aggregate_against_the_quote 0 \
	'^boot_aggregate: sha256, of 1 boot since the last cold boot, matches the quote.s PCRs 0-9$' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-ba" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
cp "$tmp/q-ba" "$tmp/q-ba-flip" && flip "$tmp/q-ba-flip" $(($(stat -c %s "$tmp/q-ba") - 64 + 3))	# the last value's digest
expect verify_refuses_pcr_values_the_quote_does_not_sign 5 'does not give the quote.s PCR digest' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-ba-flip" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
"$IMASNAP" quote --dir "$A" --nonce $N1 --out "$tmp/q-no-ba" --pcrs 10,11 > /dev/null
expect verify_refuses_a_quote_without_pcrs_0_9 5 'the quote carries no sha256 PCRs 0-9, which the boot_aggregate digests' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-no-ba" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
# A value the quote file carries for a PCR the quote does not select is the
# host's word only: a version 1 quote of PCRs 10 and 11 made version 2.
cp "$tmp/q-no-ba" "$tmp/q-forged-values"
printf '\x02' | dd of="$tmp/q-forged-values" bs=1 seek=4 conv=notrunc status=none
{
	printf '\x0a\x00\x00\x00'
	for p in 0 1 2 3 4 5 6 7 8 9; do
		printf "\\x01\\x0$p\\x0b\\x00\\x00\\x00\\x00\\x00"
		head -c 64 /dev/zero
	done
} >> "$tmp/q-forged-values"
expect verify_refuses_pcr_values_the_quote_does_not_select 5 \
	'the quote file carries a value of sha256 PCR 0, which the quote does not select' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-forged-values" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N1
# Root extends PCR 3 after boot: the boot_aggregate no longer tells the truth.
head -c "$("$IMASNAP" show "$log" | awk 'NR == 3 { print $2 }')" "$log" > "$tmp/pcr3-record"
printf '\x03\x00\x00\x00' | dd of="$tmp/pcr3-record" bs=1 conv=notrunc status=none
"$EXTEND" "$TSS2_TCTI" "$tmp/pcr3-record" > /dev/null
"$IMASNAP" quote --dir "$A" --nonce $N2 --out "$tmp/q-pcr3" --log "$tmp/log+11" > /dev/null
expect verify_refuses_a_boot_aggregate_the_quoted_pcrs_contradict 5 \
	'the sha256 boot_aggregate \(.*\) is not the quote.s PCRs 0-9' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11" --quote "$tmp/q-pcr3" --ak "$tmp/enrolled-ak-rsa.pem" --nonce $N2
expect verify_refuses_a_boot_aggregate_the_tpm_contradicts 5 \
	'the sha256 boot_aggregate \(.*\) is not the TPM.s PCRs 0-9' -- \
	"$IMASNAP" verify --dir "$A" --log "$tmp/log+11"

finish quote
