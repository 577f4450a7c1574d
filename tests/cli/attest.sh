#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Quotes in shard trailers and the verifier's three starts, against a real
# software TPM on the host (swtpm, socket TCTI):
#   - snapshot --quote and quote --shard put a quote of the shard's end state
#     over its body digest in its trailer; verify checks every trailer;
#   - --anchored verifies an archive whose oldest shards were pruned, from
#     the quoted end of the oldest shard kept;
#   - --save-state / --from verify incrementally from a checkpoint;
#   - the TPM's clock counters across quotes must tell the archive's story
#     (the TPM is reset with swtpm_ioctl -i, as a cold boot would).
#   tests/cli/attest.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
EXTEND=$top/tests/cli/build/tpm-extend
start_swtpm

# The real log, its boot_aggregate made this swtpm's (its PCRs 0-9 are zero).
"$EXTEND" --boot-log "$TSS2_TCTI" "$data/ima-ng-sha1-sha256/binary_runtime_measurements" "$tmp/log" > /dev/null
log=$tmp/log
B1=11111111111111111111111111111111
B2=22222222222222222222222222222222
A=$tmp/archive && mkdir -p "$A"
head -c 395 "$log" > "$tmp/first4"		# records 0..3
tail -c +396 "$log" > "$tmp/last3"		# records 4..6
cat "$log" "$log" > "$tmp/twice"		# the same 7 records measured again
# The AK as the verifier enrolled it (a copy taken when it first appears),
# never read from the archive the host writes.
ak=$tmp/enrolled-ak.pem
n=0
# A fresh quote over a fresh nonce: what a verifier asks for.
fresh() {
	n=$((n + 1))
	nonce=$(printf '%032x' $n)
	"$IMASNAP" quote --dir "$A" --nonce "$nonce" --out "$tmp/q$n" --log "$log" > /dev/null || exit 1
	q=$tmp/q$n
}
# Flip byte $2 counted from the end of file $1 (1: the last byte).
flip_end() { flip "$1" $(($(stat -c %s "$1") - $2)); }
# Cut a shard's trailer off (trailer_size is at byte 64 of the header).
strip_trailer() {
	python3 - "$1" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack_from('<I', b, 64)[0]
struct.pack_into('<I', b, 64, 0)
open(sys.argv[1], 'wb').write(bytes(b[:len(b) - n]))
EOF
}
verify_q() { "$IMASNAP" verify --log "$1" --quote "$q" --ak "$ak" --nonce "$nonce" "${@:2}"; }

# --- trailers --------------------------------------------------------------
"$EXTEND" "$TSS2_TCTI" "$tmp/first4" > /dev/null
expect snapshot_quote_puts_an_end_state_quote_in_the_trailer 0 \
	'^shard 0: end state quoted by the rsa AK .*-byte trailer$' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$tmp/first4" --boot-id $B1 --quote rsa
cp "$A/ak-rsa.pem" "$ak"
"$EXTEND" "$TSS2_TCTI" "$tmp/last3" > /dev/null
expect snapshot_without_quote_leaves_no_trailer 0 '^shard 1: 3 records' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log" --boot-id $B1
digest1=$("$IMASNAP" show "$A/shard-00000001.ims" | awk '/^digest/ { print $2 }')
expect quote_shard_adds_a_trailer_to_the_newest_shard 0 \
	'^shard 1: its end state quoted over its body digest with the rsa AK' -- \
	"$IMASNAP" quote --dir "$A" --shard --boot-id $B1
expect quote_shard_of_another_boot_is_a_state_error 6 'is not of this boot' -- \
	"$IMASNAP" quote --dir "$A" --shard --boot-id $B2
expect a_trailer_does_not_change_the_shard_digest 0 "$digest1" -- \
	"$IMASNAP" show "$A/shard-00000001.ims"
expect show_json_names_the_trailer_quote_over_the_body_digest 0 '' -- python3 -c '
import json, subprocess, sys
j = json.loads(subprocess.run(sys.argv[1:], capture_output=True, check=True).stdout)
assert j["trailer_quote"]["qualifying_data"] == j["body_digest"], j' \
	"$IMASNAP" show --json "$A/shard-00000001.ims"
fresh
expect verify_checks_every_trailer_quote_with_the_ak 0 \
	'^trailer quotes: 2 shards, signatures checked with the AK$' -- \
	verify_q "$log" --dir "$A" --save-state "$tmp/cp1"
expect verify_without_ak_says_trailer_signatures_were_not_checked 0 \
	'signatures NOT checked \(no --ak\)' -- \
	"$IMASNAP" verify --dir "$A" --log "$log"
expect snapshot_quote_needs_a_tpm 2 'snapshot: --quote and --pcrs conflict' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log" --pcrs /dev/null --quote rsa

# Tampered trailers, each on a copy of the archive.
t=0
tamper() { t=$((t + 1)); rm -rf "$tmp/t$t"; cp -a "$A" "$tmp/t$t"; T=$tmp/t$t; }
tamper; flip_end "$T/shard-00000001.ims" 5
expect verify_rejects_a_flipped_byte_in_a_trailer_signature 5 \
	'shard 1: its trailer quote: the signature does not verify with the AK' -- \
	verify_q "$log" --dir "$T"
tamper; flip_end "$T/shard-00000000.ims" 400
expect verify_rejects_a_flipped_byte_in_a_trailer_attestation 5 'shard 0: its trailer quote' -- \
	verify_q "$log" --dir "$T"
tamper; flip_end "$T/shard-00000001.ims" 429
expect verify_rejects_a_trailer_that_is_no_quote 5 'shard 1: its trailer quote: not an imasnap quote' -- \
	verify_q "$log" --dir "$T"
tamper
python3 - "$T/shard-00000000.ims" "$T/shard-00000001.ims" <<'EOF'
import struct, sys
def trailer(p):
    b = open(p, 'rb').read()
    n = struct.unpack_from('<I', b, 64)[0]
    return b, n
a, na = trailer(sys.argv[1])
b, nb = trailer(sys.argv[2])
assert na == nb
open(sys.argv[2], 'wb').write(b[:len(b) - nb] + a[len(a) - na:])
EOF
expect verify_rejects_a_trailer_moved_from_another_shard 5 \
	"shard 1: its trailer quote: it is not over this shard's body digest" -- \
	verify_q "$log" --dir "$T"
tamper; "$IMASNAP" quote --dir "$T" --shard --alg ecc --boot-id $B1 > /dev/null
expect verify_rejects_a_trailer_signed_by_another_ak 5 \
	'shard 1: its trailer quote: the signature does not verify with the AK' -- \
	verify_q "$log" --dir "$T"

# --- quote-anchored: the oldest shards pruned ------------------------------
tamper; rm "$T/shard-00000000.ims"
expect verify_of_a_pruned_archive_needs_a_trusted_start 5 \
	'shards 0..0 are missing: verify from a checkpoint \(--from\) or a quoted shard \(--anchored\)' -- \
	verify_q "$log" --dir "$T"
expect verify_anchored_starts_at_the_oldest_quoted_shard 0 \
	'^verified: 1 shard, live log of 7 records \(0 past shard 1; the 7 up to its end NOT verified\), anchored on the quoted end of shard 1, quoted by the AK$' -- \
	verify_q "$log" --dir "$T" --anchored --save-state "$tmp/cp-anchored"
expect an_anchored_checkpoint_vouches_for_no_history 0 '^prefix -$' -- cat "$tmp/cp-anchored"
expect verify_from_an_anchored_checkpoint_still_says_what_is_not_verified 0 \
	'\(0 past shard 1; the 7 up to its end NOT verified\), from the checkpoint at shard 1' -- \
	verify_q "$log" --dir "$T" --from "$tmp/cp-anchored"
fresh
verify_q "$log" --dir "$T" --from "$tmp/cp-anchored" --save-state "$tmp/cp-anchored2" > /dev/null
expect a_checkpoint_saved_from_an_anchored_one_vouches_for_no_history 0 '^prefix -$' -- \
	cat "$tmp/cp-anchored2"
cp "$log" "$tmp/log-r5" && flip "$tmp/log-r5" 590	# a file name byte of record 5, in shard 1
expect verify_anchored_checks_the_anchor_shards_bytes_in_the_live_log 5 \
	'the live log differs from shard 1' -- \
	verify_q "$tmp/log-r5" --dir "$T" --anchored
expect snapshot_goes_on_with_a_pruned_archive 0 '^nothing new since the archive.s end \(its newest shard\)$' -- \
	"$IMASNAP" snapshot --dir "$T" --log "$log" --boot-id $B1
expect status_shows_where_a_pruned_archive_starts 0 '^archive.oldest=1$' -- \
	"$IMASNAP" status --dir "$T" --securityfs "$tmp/nonexistent"
expect verify_anchored_needs_the_ak 2 'Usage' -- \
	"$IMASNAP" verify --dir "$T" --log "$log" --anchored
strip_trailer "$T/shard-00000001.ims"
expect verify_anchored_refuses_a_shard_without_a_quote 5 \
	'shard 1 has no quote in its trailer to anchor on' -- \
	verify_q "$log" --dir "$T" --anchored
expect verify_the_shard_without_its_trailer_still_links 0 '^verified: 2 shards' -- \
	verify_q "$log" --dir "$A"

# --- incremental: from a checkpoint the verifier saved ---------------------
cp "$log" "$tmp/log-r2" && flip "$tmp/log-r2" 280	# a file name byte of record 2
expect verify_from_a_checkpoint_checks_the_log_it_vouched_for 5 \
	"the live log's first 699 bytes are not those the checkpoint vouched for" -- \
	verify_q "$tmp/log-r2" --dir "$A" --from "$tmp/cp1"
expect verify_save_state_refuses_a_pcr_file 2 'needs PCRs from the TPM or a signed quote' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --pcrs /dev/null --save-state "$tmp/cp-x"
expect verify_from_a_checkpoint_with_nothing_new 0 \
	'^verified: 0 shards, live log of 7 records \(0 past shard 1\), from the checkpoint at shard 1' -- \
	verify_q "$log" --dir "$A" --from "$tmp/cp1"
"$EXTEND" "$TSS2_TCTI" "$log" > /dev/null
cp "$A/shard-00000001.ims" "$tmp/shard1.before"
expect quote_shard_refuses_once_the_pcrs_moved_on 5 \
	"the TPM's PCRs moved on since shard 1 was cut" -- \
	"$IMASNAP" quote --dir "$A" --shard --boot-id $B1
expect a_refused_quote_shard_leaves_the_shard_as_it_was 0 '' -- \
	cmp "$A/shard-00000001.ims" "$tmp/shard1.before"
expect snapshot_quote_after_a_checkpoint 0 '^shard 2: end state quoted' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$tmp/twice" --boot-id $B1 --quote rsa
fresh
expect verify_from_a_checkpoint_walks_only_newer_shards 0 \
	'^verified: 1 shard, live log of 14 records \(7 past shard 1\), from the checkpoint at shard 1, quoted by the AK$' -- \
	verify_q "$tmp/twice" --dir "$A" --from "$tmp/cp1" --save-state "$tmp/cp2"
tamper; rm "$T/shard-00000000.ims" "$T/shard-00000001.ims"
expect verify_from_a_checkpoint_needs_no_older_shard 0 'from the checkpoint at shard 1' -- \
	verify_q "$tmp/twice" --dir "$T" --from "$tmp/cp1"
tamper; rm "$T/shard-00000002.ims"
expect verify_rejects_an_archive_rolled_back_behind_the_checkpoint 5 \
	'the archive ends before shard 2, the checkpoint' -- \
	verify_q "$tmp/twice" --dir "$T" --from "$tmp/cp2"
awk '/^digest / { c = substr($2, 1, 1); $2 = (c == "0" ? "1" : "0") substr($2, 2) } 1' \
	"$tmp/cp1" > "$tmp/cp-other"
expect verify_rejects_a_checkpoint_the_archive_does_not_continue 5 \
	'shard 2 does not link to shard 1' -- \
	verify_q "$tmp/twice" --dir "$A" --from "$tmp/cp-other"
echo garbage > "$tmp/cp-garbage"
expect verify_rejects_a_file_that_is_no_checkpoint 4 'not an imasnap checkpoint' -- \
	verify_q "$tmp/twice" --dir "$A" --from "$tmp/cp-garbage"
expect verify_from_and_anchored_exclude_each_other 2 'Usage' -- \
	verify_q "$tmp/twice" --dir "$A" --from "$tmp/cp1" --anchored

# --- clock counters: a TPM reset must be a cold boot in the archive --------
tamper; rm "$T/shard-00000000.ims" "$T/shard-00000002.ims"
swtpm_ioctl --tcp "$swtpm_ctrl" -i > /dev/null
"$EXTEND" "$TSS2_TCTI" "$log" > /dev/null	# the same 7 records: the same PCRs as shard 1's end
fresh
expect verify_rejects_an_anchor_quoted_before_a_tpm_reset 5 \
	'the quote does not follow the quote of shard 1: the TPM was reset in between \(resetCount moved\), but the archive shows no cold boot' -- \
	verify_q "$log" --dir "$T" --anchored
older_q=$q older_nonce=$nonce
expect snapshot_quote_of_a_cold_boot_after_the_reset 0 '^shard 3: end state quoted' -- \
	"$IMASNAP" snapshot --dir "$A" --log "$log" --boot-id $B2 --quote rsa
fresh
expect verify_accepts_a_tpm_reset_with_a_cold_boot 0 \
	'^verified: 4 shards, live log of 7 records, quoted by the AK$' -- \
	verify_q "$log" --dir "$A"
expect verify_counts_shards_before_a_signed_trailer_quote_as_attested 0 \
	'"attested_shards":4,"linked_shards":0' -- \
	verify_q "$log" --dir "$A" --json --require-attested
expect verify_from_a_checkpoint_across_the_cold_boot 0 'from the checkpoint at shard 2' -- \
	verify_q "$log" --dir "$A" --from "$tmp/cp2"
q=$older_q nonce=$older_nonce
expect verify_rejects_a_quote_older_than_the_newest_trailer_quote 5 \
	'the quote does not follow the quote of shard 3: its clock is earlier' -- \
	verify_q "$log" --dir "$A"

# --- prune: delete the oldest shards, up to one with a quoted end ------------
tamper
fresh
expect prune_needs_the_enrolled_ak 2 'prune: --ak PEM is required \(the AK the verifier enrolled\)' -- \
	"$IMASNAP" prune --dir "$T" --dry-run
expect prune_refuses_an_ak_from_the_archive 2 'is inside the archive --dir' -- \
	"$IMASNAP" prune --dir "$T" --ak "$T/ak-rsa.pem" --dry-run
# A copy of a quoted shard under a later number anchors nothing, and what
# would be left must verify from the anchor on: nothing is deleted.
P=$tmp/prune-copy && rm -rf "$P" && cp -a "$T" "$P"
cp "$P/shard-00000001.ims" "$P/shard-00000003.ims"
expect prune_refuses_an_anchor_whose_header_holds_another_seq 5 \
	'shard 3 cannot be the archive.s oldest: its header holds another seq' -- \
	"$IMASNAP" prune --dir "$P" --ak "$ak" --before 3
expect prune_checks_the_chain_after_the_anchor_before_deleting 5 \
	'prune: the archive from shard 2 on does not verify: nothing deleted' -- \
	"$IMASNAP" prune --dir "$P" --ak "$ak"
[ -e "$P/shard-00000000.ims" ] && [ -e "$P/shard-00000001.ims" ] &&
	ok prune_deletes_nothing_when_the_rest_does_not_verify ||
	ko prune_deletes_nothing_when_the_rest_does_not_verify
expect prune_dry_run_names_what_it_would_delete 0 \
	'^would delete shards 0\.\.2 \([0-9]+ bytes\); the archive starts at shard 3' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak" --dry-run
expect prune_dry_run_deletes_nothing 0 '' -- test -e "$T/shard-00000000.ims"
expect prune_before_a_shard_that_does_not_exist_is_a_state_error 6 'holds shards 0\.\.3: there is no shard 9' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak" --before 9
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null | openssl pkey -pubout > "$tmp/other.pem"
expect prune_refuses_a_quote_another_key_signed 5 \
	'shard 2 cannot be the archive.s oldest: the signature does not verify with the AK' -- \
	"$IMASNAP" prune --dir "$T" --before 2 --ak "$tmp/other.pem"
strip_trailer "$T/shard-00000002.ims"
expect prune_refuses_a_shard_without_a_quote 5 \
	'shard 2 cannot be the archive.s oldest: it has no quote in its trailer' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak" --before 2
expect prune_before_a_quoted_shard 0 '^deleted shards 0\.\.0 ' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak" --before 1
expect verify_anchored_after_prune 0 'anchored on the quoted end of shard 1, quoted by the AK$' -- \
	verify_q "$log" --dir "$T" --anchored
expect prune_json_by_default_up_to_the_newest_quoted_shard 0 '^\{"pruned":2,"bytes":[0-9]+,"oldest":3,"dry_run":false\}$' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak" --json
expect prune_again_finds_nothing_to_delete 0 '^nothing to prune: shard 3, the oldest, is the anchor$' -- \
	"$IMASNAP" prune --dir "$T" --ak "$ak"
expect verify_anchored_after_prune_to_the_newest 0 'anchored on the quoted end of shard 3' -- \
	verify_q "$log" --dir "$T" --anchored

finish attest
