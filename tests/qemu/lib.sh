# SPDX-License-Identifier: GPL-2.0
# Shell helpers shared by the host side of the QEMU tests and the demo.

# "…;sha1:PCR10:0x…,PCR11:0x…;sha256:…" (a snapshot_aggregate or a cut) ->
# "<alg> <pcr> <hex>" lines, the format `imasnap replay --start/--pcrs` reads.
agg_to_pcrs() {
	tr ';' '\n' | awk -F: '/^(sha1|sha256|sha384|sha512|sm3):/ {
		bank = $1; sub(/^[^:]*:/, "");
		n = split($0, items, ",");
		for (i = 1; i <= n; i++) { split(items[i], kv, ":0x"); sub(/^PCR/, "", kv[1]);
			print bank, kv[1], kv[2] } }'
}

# The value of one field of an aggregate or cut on stdin.
agg_field() { tr ';' '\n' | sed -n "s/^$1=//p"; }

# The snapshot_aggregate buffer of an ASCII IMA log (ima-buf prints it in hex).
agg_from_ascii_log() {
	grep -a ' snapshot_aggregate ' "$1" | awk '{print $NF}' | xxd -r -p
}
