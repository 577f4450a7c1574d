#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Peak RSS of the commands that need a TPM, at 100k and 1M records: a
# software TPM (swtpm) extended with bench/mklog's log, `imasnap snapshot
# --quote rsa` of it into an empty archive (shard 0, its trailer quoted),
# 64 records more and a second quoted snapshot, then `imasnap prune` (shard
# 0 deleted: the newest quoted shard kept) and `imasnap verify --anchored`
# of what is left against a fresh quote.
#
#   bench/tpm-rss.sh [N...]          default: 100000 1000000
#
# Prints "<command>_peak_rss_mib_<N>: value" lines.  Extending swtpm with a
# million records takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The CLI tests' software TPM (start_swtpm) and tpm-extend helper.
. "$here/../tests/cli/lib.sh" "$here/../userspace/imasnap"
EXTEND=$top/tests/cli/build/tpm-extend
[ -x "$EXTEND" ] || { echo "tpm-rss: $EXTEND is missing: make test-helpers" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
start_swtpm

. "$here/lib.sh"
# said NAME CMD...: "NAME: <peak RSS of CMD in MiB>"
said() {
	local name=$1
	shift
	echo "$name: $(rss "$@")"
}

B=00112233445566778899aabbccddeeff
for n in "${sizes[@]}"; do
	swtpm_ioctl --tcp "$swtpm_ctrl" -i > /dev/null	# a cold boot
	"$here/mklog" -n "$n" "$tmp/gen" > /dev/null
	"$here/mklog" -n 64 "$tmp/more-gen" > /dev/null
	"$EXTEND" --boot-log "$TSS2_TCTI" "$tmp/gen" "$tmp/log" > /dev/null
	"$EXTEND" "$TSS2_TCTI" "$tmp/log" > /dev/null
	A=$tmp/archive-$n && mkdir -p "$A"
	said "snapshot_quote_peak_rss_mib_$n" "$IMASNAP" snapshot --dir "$A" --log "$tmp/log" \
		--quote rsa --boot-id $B
	cp "$A/ak-rsa.pem" "$tmp/ak.pem"
	# 64 records more (mklog's, without its boot_aggregate), measured after.
	off=$("$IMASNAP" show "$tmp/more-gen" | awk 'NR == 3 { print $2 }')
	tail -c +$((off + 1)) "$tmp/more-gen" > "$tmp/more"
	"$EXTEND" "$TSS2_TCTI" "$tmp/more" > /dev/null
	cat "$tmp/log" "$tmp/more" > "$tmp/log2"
	"$IMASNAP" snapshot --dir "$A" --log "$tmp/log2" --quote rsa --boot-id $B > /dev/null
	said "prune_peak_rss_mib_$n" "$IMASNAP" prune --dir "$A" --ak "$tmp/ak.pem"
	[ ! -e "$A/shard-00000000.ims" ] && [ -e "$A/shard-00000001.ims" ] ||
		{ echo "tpm-rss: prune did not delete shard 0 alone" >&2; exit 1; }
	"$IMASNAP" quote --dir "$A" --nonce $B --out "$tmp/q" --log "$tmp/log2" > /dev/null
	said "verify_anchored_quote_peak_rss_mib_$n" "$IMASNAP" verify --dir "$A" --log "$tmp/log2" \
		--anchored --quote "$tmp/q" --ak "$tmp/ak.pem" --nonce $B
done
