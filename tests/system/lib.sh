# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What tests/system/hops.sh (make check) and scripts/demo.sh (make demo) do
# alike with a run of tests/system/run.sh: read what the guest sent,
# verify a poll as a remote verifier would, take a shard apart, and the
# table of what each hop carried.  The caller sets IMASNAP (the tool) and
# o (run.sh's --out folder).

# status_of N KEY: KEY= of kernel N's imasnap status at its boot
status_of() { sed -n "s/^$2=//p" "$o/hop$1-status"; }
# archive_of N: the archive kernel N sent at its poll (unpack_archive N first)
archive_of() { echo "$o/a$1/imasnap"; }
unpack_archive() { mkdir -p "$o/a$1" && tar -xf "$o/hop$1-archive.tar" -C "$o/a$1"; }

# verify_poll POLL DIR [ARG...]: verify POLL's quote (POLL: hop<N>, or
# hop<N>-fake) with the archive DIR and the AK enrolled at the cold boot
verify_poll() {
	local p=$1 d=$2
	shift 2
	"$IMASNAP" verify --dir "$d" --log "$o/$p-binary_runtime_measurements" \
		--quote "$o/$p-quote.bin" --ak "$o/hop0-ak-rsa.pem" --nonce "$(cat "$o/$p-nonce")" "$@"
}
# verify_at N [ARG...]: kernel N's poll with its own archive
verify_at() {
	local n=$1
	shift
	verify_poll "hop$n" "$(archive_of "$n")" "$@"
}

shard_file() { printf '%s/shard-%08d.ims' "$1" "$2"; }
# kinds DIR: "<seq> <log|tail>" of every shard in DIR
kinds() {
	local f
	for f in "$1"/shard-*.ims; do
		"$IMASNAP" show "$f" | sed -n 's/^shard  *\([0-9]*\) (\(log\|tail\)[^)]*)$/\1 \2/p'
	done
}
# field SHARD NAME: a line of `imasnap show SHARD`, without its name
field() { "$IMASNAP" show "$1" | sed -n "s/^$2  *//p"; }
# body_at SHARD: the body's offset, after the header and the PCR values
# (Documentation/abi.md, "Shard files")
body_at() { echo $((184 + 72 * $("$IMASNAP" show "$1" | grep -c '^\(start\|end\) '))); }
# edit_body SHARD: one bit of one byte, half-way into the body
edit_body() {
	local at
	at=$(($(body_at "$1") + $(field "$1" body_bytes) / 2))
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $(($(od -An -tu1 -j "$at" -N1 "$1") ^ 1)))" |
		dd of="$1" bs=1 seek="$at" conv=notrunc status=none
}

# int VALUE: VALUE when it is a decimal number, else "?" (and false).  What
# the guest sent is the attested host's word: never arithmetic unchecked
# (bash would evaluate a "a[$(cmd)]" in $(( ))).
int() {
	if [[ $1 =~ ^[0-9]{1,18}$ ]]; then echo "$1"; else echo "?"; return 1; fi
}

# report PLAN LAST: per hop 1..LAST, records since the cold boot, records
# in the kernel's list, the bytes imasnap carried, those CONFIG_IMA_KEXEC
# would have carried (its 24-byte header and the whole binary list at the
# jump), the capture's time in the reboot notifier, and the records of the
# full-history view (imasnap log) of kernel N's poll
report() {
	local plan=$1 last=$2 n p since=0 via
	printf '%-5s %-22s %-6s %12s %12s %14s %18s %12s %12s\n' hop "into kernel" "via" "since cold" "in list" \
		"imasnap B" "CONFIG_IMA_KEXEC B" "capture ns" "in view"
	local e t c b l ns v bad=0
	for ((n = 1; n <= last; n++)); do
		p=$((n - 1))
		e=$(int "$(status_of $n carried_entries)") || bad=1
		t=$(int "$(status_of $n carried_tail_entries)") || bad=1
		c=$(int "$(cat "$o/hop$n-count" 2>/dev/null)") || bad=1
		b=$(int "$(status_of $n carried_bytes)") || bad=1
		l=$(int "$(cat "$o/hop$p-list-bytes" 2>/dev/null)") || bad=1
		ns=$(int "$(status_of $n carried_capture_ns)") || bad=1
		v=$(int "$(cat "$o/view$n-records" 2>/dev/null)") || v="?"
		[ $bad = 0 ] && since=$((since + e + t)) || since="?"
		via=$(sed -n "${n}p" "$plan" 2>/dev/null | awk '{ print $NF == "" ? "?" : $(NF - 1) }')
		printf '%-5s %-22s %-6s %12s %12s %14s %18s %12s %12s\n' "$p->$n" \
			"$(sed -n "$((n + 1))p" "$o/kernels" | tr -cd '[:alnum:]._+-' | cut -c1-40)" \
			"$via" "$([ $bad = 0 ] && echo $((since + c)) || echo "?")" "$c" "$b" \
			"$([ "$l" = "?" ] && echo "?" || echo $((24 + l)))" "$ns" "$v"
	done
	return $bad
}
