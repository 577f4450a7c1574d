# SPDX-License-Identifier: GPL-2.0
# Sourced by the CLI tests: a scratch folder, pass/fail counting, and
# expect NAME EXIT REGEX -- command...  (REGEX against stdout + stderr).
top=$(cd "$(dirname "$0")/../.." && pwd)
IMASNAP=${1:-$top/userspace/imasnap}
data=$top/tests/data
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

expect() {
	local name=$1 want=$2 re=$3 rc
	shift 4
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		ko "$name (exit $rc, want $want)"
	elif [ -n "$re" ] && ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$re"; then
		ko "$name (output does not match /$re/)"
	else
		ok "$name"
	fi
}

# Invert byte $2 of file $1 in place: always a change, whatever it was.
flip() {
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}

# Print the totals and exit non-zero on any failure.
finish() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
