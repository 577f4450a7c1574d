# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by tests/qemu/run.sh and tests/system/run.sh.
#
# swtpm_start DIR BANKS LOGDIR: a fresh TPM 2.0 in DIR with the PCR banks
# BANKS (e.g. sha1,sha256), served on DIR/ctrl.sock for QEMU's tpm-tis
# (-chardev socket,path=DIR/ctrl.sock); sets swtpm_pid.  Its logs go to
# LOGDIR; on a failed setup, the setup's log to stderr and false.
swtpm_start() {
	local dir=$1 banks=$2 logs=$3
	mkdir -p "$dir"
	swtpm_setup --tpm2 --tpmstate "$dir" --pcr-banks "$banks" \
		--config /etc/swtpm_setup.conf > "$logs/swtpm_setup.log" 2>&1 || {
		cat "$logs/swtpm_setup.log" >&2; return 1; }
	swtpm socket --tpm2 --tpmstate dir="$dir" \
		--ctrl type=unixio,path="$dir/ctrl.sock" --terminate \
		--log file="$logs/swtpm.log" &
	swtpm_pid=$!
	for _ in $(seq 50); do [ -S "$dir/ctrl.sock" ] && break; sleep 0.1; done
}
