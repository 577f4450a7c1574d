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

# A software TPM on the host (sha1 and sha256 banks) for this test:
# TSS2_TCTI points at it, $swtpm_ctrl is its control channel (swtpm_ioctl
# --tcp), and it is stopped on exit.  The ports are picked free; another
# process may take one before swtpm binds it, so a start that does not come
# up is retried on new ports.
start_swtpm() {
	local ports port ctrl try
	mkdir -p "$tmp/tpm"
	swtpm_setup --tpm2 --tpmstate "$tmp/tpm" --pcr-banks sha1,sha256 \
		--config /etc/swtpm_setup.conf > "$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
	cleanup_hooks+=('[ -n "${swtpm_pid:-}" ] && kill "$swtpm_pid" 2>/dev/null')
	for try in 1 2 3 4 5; do
		# The swtpm TCTI talks to the control channel on port + 1.
		port=$(python3 -c 'import socket
while True:
    a, b = socket.socket(), socket.socket()
    a.bind(("127.0.0.1", 0))
    try:
        b.bind(("127.0.0.1", a.getsockname()[1] + 1))
        break
    except OSError:
        pass
print(a.getsockname()[1])')
		ctrl=$((port + 1))
		swtpm socket --tpm2 --tpmstate dir="$tmp/tpm" --flags not-need-init,startup-clear \
			--server type=tcp,bindaddr=127.0.0.1,port=$port \
			--ctrl type=tcp,bindaddr=127.0.0.1,port=$ctrl 2>> "$tmp/swtpm.log" &
		swtpm_pid=$!
		swtpm_ctrl=127.0.0.1:$ctrl
		export TSS2_TCTI="swtpm:host=127.0.0.1,port=$port"
		for _ in $(seq 50); do
			kill -0 "$swtpm_pid" 2>/dev/null || break
			"$top/tests/cli/build/tpm-extend" "$TSS2_TCTI" /dev/null > /dev/null 2>&1 && return 0
			sleep 0.1
		done
		kill "$swtpm_pid" 2>/dev/null
		wait "$swtpm_pid" 2>/dev/null
		echo "swtpm did not come up on ports $port/$ctrl (try $try)" >&2
	done
	cat "$tmp/swtpm.log" >&2
	exit 1
}
