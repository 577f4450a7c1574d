# SPDX-License-Identifier: GPL-2.0
#
# Sourced by init.sh (via a kexec case's workload) in both kernels of a kexec
# hop.  The first kernel measures files, arms imasnap with a cut of the live
# log (tests/qemu/helpers/mkcut), measures more files (the tail), and
# kexecs into the same kernel with the same command line plus
# imasnap_test=stage2.  The second kernel loads imasnap, which takes the
# record from the window and re-seeds IMA; init.sh then sends its log and
# PCRs.  /case/kexec names the mode: ok, or a way the handoff must fail.
mode=$(cat /case/kexec)
win=$(arg imasnap.window)
base=0x${win#*@0x}
load_module() {
	insmod /case/imasnap.ko window="$win" || fail "insmod imasnap.ko window=$win failed"
}
send_module_state() {
	cat /sys/kernel/security/imasnap/status > /out/extra-status
	cat /sys/kernel/security/imasnap/carried > /out/extra-carried
	cat /sys/kernel/security/imasnap/carried_tail > /out/extra-carried_tail
}

# Write a 32-bit word into the window (the window is reserved, not RAM:
# /dev/mem may touch it).
poke32() {
	devmem $(printf '0x%x' $((base + $1))) 32 "$2" || fail "devmem $1 failed"
}

if [ "${imasnap_test:-}" = stage2 ]; then
	case $mode in
	truncated)  poke32 8 0x00010008 ;;	# total_size beyond the window
	bad-digest) poke32 176 0x5a5a5a5a ;;	# self_digest
	esac
	load_module
	send_module_state
	# Files measured in the new kernel after the re-seed.
	cat /data/hello.txt > /dev/null 2>&1
	echo "measured in the next kernel" > /data/after
	cat /data/after > /dev/null
	return 0
fi

# The window is mapped write-back by the module: /dev/mem may not map it
# then (PAT), so the garbage goes in first.
if [ "$mode" = garbage ]; then
	poke32 0 0xdeadbeef
	poke32 4 0x12345678
fi
load_module
if [ "$mode" = stale ] && grep -q '^carried=rejected' /sys/kernel/security/imasnap/status; then
	# Second boot of the same command line, after the warm reset.
	send_module_state
	return 0
fi

case $mode in
garbage)
	;;
*)
	flag=
	[ "$mode" = wrong-state ] && flag=--wrong-state
	mkcut /out/shard 1 $flag > /out/cut || fail "mkcut failed"
	cat /out/cut > /sys/kernel/security/imasnap/arm || fail "arm rejected the cut"
	emit stage1-shard /out/shard
	emit stage1-cut /out/cut
	;;
esac
# The tail: files measured after the cut.
echo "measured after the cut" > /data/tail1
cat /data/tail1 > /dev/null
seq 1 50 > /data/tail2
cat /data/tail2 > /dev/null
cat /sys/kernel/security/imasnap/status > /out/status1
emit stage1-status /out/status1
cat /sys/kernel/security/ima/binary_runtime_measurements > /out/log1
emit stage1-log /out/log1
if [ "$mode" = stale ]; then
	kexec-load --restart2
	fail "reboot(RESTART2) returned"
	return 1
fi
kexec-load /boot/vmlinuz /boot/initrd.gz "$(cat /proc/cmdline) imasnap_test=stage2"
fail "kexec failed"
return 1
