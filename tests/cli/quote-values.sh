#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A quote file carries PCR values besides the quote; the signature covers
# only the digest of the selected PCRs, each taken from the replay where a
# lane has a value for it.  A value in the file for such a PCR is not
# signed and must decide nothing: here an anchor's start names PCR 4, the
# TPM's real PCR 4 is extended after the boot_aggregate, and a forged file
# value of PCR 4 must not make the boot_aggregate check pass.
#   tests/cli/quote-values.sh [path/to/imasnap]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
EXTEND=$top/tests/cli/build/tpm-extend
FORGE=$top/tests/cli/build/forge-shard
start_swtpm
"$EXTEND" --boot-log "$TSS2_TCTI" "$data/ima-ng-sha1-sha256/binary_runtime_measurements" "$tmp/log" > /dev/null
log=$tmp/log
"$EXTEND" "$TSS2_TCTI" "$log" > /dev/null
# PCR 4 moves after IMA's boot_aggregate was taken (root, or a bad boot chain).
head -c "$("$IMASNAP" show "$log" | awk 'NR == 3 { print $2 }')" "$log" > "$tmp/pcr4-record"
printf '\x04\x00\x00\x00' | dd of="$tmp/pcr4-record" bs=1 conv=notrunc status=none
"$EXTEND" "$TSS2_TCTI" "$tmp/pcr4-record" > /dev/null
"$IMASNAP" replay --log "$tmp/pcr4-record" > "$tmp/p4"
"$IMASNAP" replay --log "$log" > "$tmp/p10"
sort -k1,1 -k2,2n "$tmp/p4" "$tmp/p10" > "$tmp/end"
BID=00112233-4455-6677-8899-aabbccddeeff
A=$tmp/A && mkdir -p "$A"
"$FORGE" "$A" 0 log $BID 0 0 "$log" zero "$tmp/p4" "$tmp/end" > /dev/null
"$IMASNAP" quote --dir "$A" --shard --boot-id $BID > /dev/null
cp "$A/ak-rsa.pem" "$tmp/ak.pem"
N=00112233445566778899aabbccddeeff
"$IMASNAP" quote --dir "$A" --nonce $N --out "$tmp/q" --log "$log" > /dev/null
expect verify_checks_boot_aggregate_against_the_signed_pcr 5 \
	'the sha256 boot_aggregate .* is not the quote.s PCRs 0-9' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --anchored --quote "$tmp/q" --ak "$tmp/ak.pem" --nonce $N
# The file's sha256 PCR 4 set back to zero, as if nothing had moved it.
python3 - "$tmp/q" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
n = struct.unpack_from('<I', b, 8)[0]
m = struct.unpack_from('<I', b, 12 + n)[0]
end = 16 + n + m
for i in range(struct.unpack_from('<I', b, end)[0]):
    o = end + 4 + i * 72
    if b[o] == 1 and b[o + 1] == 4:
        b[o + 8:o + 40] = bytes(32)
open(p, 'wb').write(b)
PY
expect verify_ignores_an_unsigned_quote_file_value_of_a_replayed_pcr 5 \
	'the sha256 boot_aggregate .* is not the quote.s PCRs 0-9' -- \
	"$IMASNAP" verify --dir "$A" --log "$log" --anchored --quote "$tmp/q" --ak "$tmp/ak.pem" --nonce $N
finish quote-values
