# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the CLI tests: the harness (tests/lib/harness.sh: a scratch
# folder, pass/fail counting, check, expect, flip, finish), the tool under
# test ($1, default userspace/imasnap), the real logs in $data, and a
# software TPM on the host.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
IMASNAP=${1:-$top/userspace/imasnap}
data=$top/tests/data
# Two boots' ids (--boot-id), for archives of two boots.
BOOT1=11111111-2222-3333-4444-555555555555
BOOT2=99999999-8888-7777-6666-555555555555

# A software TPM on the host (sha1 and sha256 banks) for this test:
# TSS2_TCTI points at it, $swtpm_ctrl is its control channel (swtpm_ioctl
# --tcp), and it is stopped on exit.  The ports are picked free; another
# process may take one before swtpm binds it, so a start that does not come
# up is retried on new ports.
start_swtpm() {
	local port ctrl try
	mkdir -p "$tmp/tpm"
	swtpm_setup --tpm2 --tpmstate "$tmp/tpm" --pcr-banks sha1,sha256 \
		--config /etc/swtpm_setup.conf > "$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; exit 1; }
	cleanup_hooks+=('[ -n "${swtpm_pid:-}" ] && kill "$swtpm_pid" 2>/dev/null')
: > "$tmp/no-records"	# tpm-extend of no record: is the TPM there?
	for try in 1 2 3 4 5; do
		# The swtpm TCTI talks to the control channel on port + 1.
		port=$(free_port_pair)
		ctrl=$((port + 1))
		swtpm socket --tpm2 --tpmstate dir="$tmp/tpm" --flags not-need-init,startup-clear \
			--server type=tcp,bindaddr=127.0.0.1,port=$port \
			--ctrl type=tcp,bindaddr=127.0.0.1,port=$ctrl 2>> "$tmp/swtpm.log" &
		swtpm_pid=$!
		swtpm_ctrl=127.0.0.1:$ctrl
		export TSS2_TCTI="swtpm:host=127.0.0.1,port=$port"
		for _ in $(seq 50); do
			kill -0 "$swtpm_pid" 2>/dev/null || break
			"$top/tests/cli/build/tpm-extend" "$TSS2_TCTI" "$tmp/no-records" > /dev/null 2>&1 && return 0
			sleep 0.1
		done
		kill "$swtpm_pid" 2>/dev/null
		wait "$swtpm_pid" 2>/dev/null
		echo "swtpm did not come up on ports $port/$ctrl (try $try)" >&2
	done
	cat "$tmp/swtpm.log" >&2
	exit 1
}
