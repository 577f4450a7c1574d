#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test on a real kernel: boot Debian's stock kernel in QEMU with swtpm,
# load imasnap.ko (which replays the live log in the kernel with the lib/
# core), bring back the live log and every PCR, and check that
# `imasnap replay` on the host matches the TPM too.  A second boot cycles
# the module through load, arm, unload and reload under panic_on_warn=1.
set -uo pipefail
. "$(dirname "$0")/../lib/harness.sh"
IMASNAP=$top/userspace/imasnap

# boot NAME CASE: check NAME, that tests/qemu/cases/CASE boots and its
# guest finishes; its output goes to $tmp/CASE
boot() {
	check "$1" "$top/tests/qemu/run.sh" \
		--case "$top/tests/qemu/cases/$2" --out "$tmp/$2" --kernel "$KERNEL" --module || return
	sed 's/^/     /' "$tmp/out"
}

# module_replay_matches BANK DMESG: the module (verify_on_load=1) says the
# live log replays to the TPM's BANK PCRs; else show what it said
module_replay_matches() {
	grep "imasnap: live log: [0-9]* records replay to the TPM's $1 PCRs" "$2" ||
		{ grep imasnap "$2"; return 1; }
}

# The live log replays to the TPM, on the host and in the kernel.
check_live_log_replays() {
	local o=$tmp/smoke bank
	boot smoke_guest_brings_back_the_live_log_and_the_pcrs smoke || return
	echo "     the guest returned a live log of $(wc -l < "$o/ascii_runtime_measurements") records" \
		"and $(wc -l < "$o/pcrs.txt") PCR values"
	check smoke_host_replay_matches_the_tpm \
		"$IMASNAP" replay --log "$o/binary_runtime_measurements" --pcrs "$o/pcrs.txt"
	for bank in sha1 sha256; do
		check "smoke_module_replay_matches_the_tpms_${bank}_pcrs" module_replay_matches "$bank" "$o/dmesg"
	done
}

# Load, arm, unload, load, disarm, release, unload: every step works and
# none warns (the boot would panic: panic_on_warn=1).
check_module_cycle() {
	boot smoke_module_cycle_boots_without_a_warning module-cycle || return
	check smoke_module_cycle_runs_every_step grep -qx 'module cycle done' "$tmp/module-cycle/cycle"
}

KERNEL=${IMASNAP_KERNEL:-bookworm}
RELEASE=$("$top/scripts/kernels.sh" env "$KERNEL" | sed -n 's/^release=//p')
[ -n "$RELEASE" ] || exit 2
check_live_log_replays
check_module_cycle
finish "smoke on $KERNEL ($RELEASE)"
