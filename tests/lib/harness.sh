# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The test harness of tests/cli and tests/qemu, sourced by their scripts:
#
#   $top      the top of the clone
#   $tmp      a scratch folder; on exit every command in cleanup_hooks runs,
#             then the folder is removed
#   ok NAME, ko NAME
#             count a pass or a failure; ko shows $tmp/out and $tmp/err, the
#             output of the command checked last
#   check NAME COMMAND...
#             passes when COMMAND exits 0
#   check_eq NAME WANT GOT
#             passes when the strings WANT and GOT are the same
#   expect NAME EXIT REGEX -- COMMAND...
#             passes when COMMAND exits EXIT and its stdout + stderr match
#             the extended REGEX (an empty one matches anything)
#   finish SUITE
#             print "SUITE: N passed, M failed"; false on any failure
#
# Test names say the behaviour they pin: <what>_<does what>.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
cleanup_hooks=()
# shellcheck disable=SC2317
cleanup() {
	local h
	for h in "${cleanup_hooks[@]}"; do eval "$h"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() {
	fail=$((fail + 1))
	echo "FAIL $1"
	cat "$tmp/out" "$tmp/err" 2>/dev/null | sed 's/^/     /'
}

check() {
	local name=$1
	shift
	if "$@" > "$tmp/out" 2> "$tmp/err"; then
		ok "$name"
	else
		ko "$name"
		return 1
	fi
}

check_eq() {
	printf 'want %s\ngot  %s\n' "$2" "$3" > "$tmp/out"
	: > "$tmp/err"
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		ko "$1"
		return 1
	fi
}

expect() {
	local name=$1 want=$2 re=$3 rc
	shift 4
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		ko "$name (exit $rc, want $want)"
	# grep reads the files itself: piped from cat, grep -q's early exit
	# could make cat die of SIGPIPE, which pipefail reports as no match.
	elif [ -n "$re" ] && ! grep -Eqh -- "$re" "$tmp/out" "$tmp/err"; then
		ko "$name (output does not match /$re/)"
	else
		ok "$name"
	fi
}

finish() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# Invert byte $2 of file $1 in place: always a change, whatever it was.
# Fails when the file has no byte $2.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || { echo "flip: $1 has no byte $2" >&2; return 1; }
	# shellcheck disable=SC2059	# the format is the byte, as an octal escape
	printf "$(printf '\\%03o' $((b ^ 0xff)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

# A port P on 127.0.0.1 with P + 1 free too (a swtpm server and its control
# channel), both free when this returns; another process may still take one
# before the caller binds it.  Shell cannot bind a socket to ask the kernel.
free_port_pair() {
	python3 -c 'import socket
while True:
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0))
    try:
        b.bind(("127.0.0.1", a.getsockname()[1] + 1))
        break
    except OSError:
        pass
print(a.getsockname()[1])'
}
