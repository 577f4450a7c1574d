# SPDX-License-Identifier: GPL-2.0
#
# Sourced by init.sh (via a kexec case's workload) in both kernels of a kexec
# hop, with the imasnap tool (dynamic, its libraries bundled) doing the work:
#
# kernel 1: measure files; `imasnap snapshot` archives the log as shard 0 (TPM
#   via /dev/tpmrm0); `imasnap arm` hands the cut to the module; measure more
#   (the tail); kexec into the same kernel with the same command line plus
#   imasnap_test=stage2, the archive appended to the next initramfs.
# kernel 2: load imasnap (it takes the record and re-seeds IMA); `imasnap
#   collect` archives the tail; measure more; `imasnap snapshot` archives this
#   boot's log; `imasnap verify` checks everything against the TPM.
#
# /case/kexec names the mode: ok, or a way the handoff must fail.
mode=$(cat /case/kexec)
win=$(arg imasnap.window)
base=0x${win#*@0x}
A=/out/archive
export TSS2_TCTI=device:/dev/tpmrm0
# The good hop also puts a quote of each shard's end in its trailer (the
# kernel's TPM through /dev/tpmrm0) and verifies a nonce quote in the guest.
quote=
[ "$mode" = ok ] && quote="--quote rsa"
load_module() {
	insmod $KO window="$win" || fail "insmod imasnap.ko window=$win failed"
}
send_module_state() {
	cat /sys/kernel/security/imasnap/status > /out/extra-status
	cat /sys/kernel/security/imasnap/carried > /out/extra-carried
	cat /sys/kernel/security/imasnap/carried_tail > /out/extra-carried_tail
}
# Run imasnap; its exit code and output go to the host as <name>.{rc,out}.
run() {
	name=$1
	shift
	imasnap "$@" > /out/extra-$name.out 2>&1
	echo $? > /out/extra-$name.rc
}

# Write a 32-bit word into the window (the window is reserved, not RAM:
# /dev/mem may touch it before the module maps it write-back).
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
	mkdir -p $A
	[ -d /archive ] && cp /archive/* $A/
	run collect collect --dir $A
	# Files measured in the new kernel after the re-seed.
	cat /data/hello.txt > /dev/null 2>&1
	echo "measured in the next kernel" > /data/after
	cat /data/after > /dev/null
	# shellcheck disable=SC2086
	run snapshot2 snapshot --dir $A $quote
	run verify verify --dir $A
	if [ -n "$quote" ]; then
		run quote quote --dir $A --nonce 0123456789abcdef0123456789abcdef --out /out/quote.bin
		# The guest stands in for the verifier, which enrolled the AK when
		# kernel 1 made it, and keeps it outside the archive the host writes.
		cp $A/ak-rsa.pem /out/enrolled-ak.pem
		run verify-quote verify --dir $A --quote /out/quote.bin --ak /out/enrolled-ak.pem \
			--nonce 0123456789abcdef0123456789abcdef
	fi
	(cd /out && tar cf /out/extra-archive.tar archive)
	return 0
fi

if [ "$mode" = garbage ]; then
	poke32 0 0xdeadbeef
	poke32 4 0x12345678
fi
load_module
# The module's ima_log is IMA's log byte for byte (read until the log held
# still between the two reads), also from an offset.
for try in 1 2 3; do
	cat /sys/kernel/security/imasnap/ima_log > /out/ima_log.mod
	cat $IMA/binary_runtime_measurements > /out/ima_log.ima
	cmp -s /out/ima_log.mod /out/ima_log.ima && break
done
cmp /out/ima_log.mod /out/ima_log.ima > /out/extra-ima-log-cmp.out 2>&1
echo $? > /out/extra-ima-log-cmp.rc
dd if=/sys/kernel/security/imasnap/ima_log bs=1000 skip=1 2> /dev/null | head -c 1000 > /out/ima_log.at
tail -c +1001 /out/ima_log.ima | head -c 1000 | cmp -s - /out/ima_log.at
echo $? > /out/extra-ima-log-seek.rc
rm -f /out/ima_log.*
# --ima-snapshot=required refuses while nothing is armed.
kexec --ima-snapshot=required -s -l /boot/vmlinuz --initrd=/boot/initrd.gz \
	--command-line="$(cat /proc/cmdline)" > /out/extra-kexec-required.out 2>&1
echo $? > /out/extra-kexec-required.rc
if [ "$mode" = stale ] && grep -q '^carried=rejected' /sys/kernel/security/imasnap/status; then
	# Second boot of the same command line, after the warm reset.
	send_module_state
	return 0
fi

mkdir -p $A
if [ "$mode" != garbage ]; then
	# shellcheck disable=SC2086
	run snapshot1 snapshot --dir $A $quote
	[ "$(cat /out/extra-snapshot1.rc)" = 0 ] || fail "imasnap snapshot failed: $(cat /out/extra-snapshot1.out)"
	if [ "$mode" = wrong-state ]; then
		# A cut whose sha256 PCR 10 is one bit off.
		imasnap arm --dir $A --print | sed 's/\(sha256:PCR10:0x\)\(.\)/\1X\2/; s/X0/1/; s/X[1-9a-f]/0/' > /out/cut
		cat /out/cut > /sys/kernel/security/imasnap/arm || fail "arm rejected the wrong cut"
	else
		run arm arm --dir $A
		[ "$(cat /out/extra-arm.rc)" = 0 ] || fail "imasnap arm failed: $(cat /out/extra-arm.out)"
	fi
fi
# The tail: files measured after the cut.
echo "measured after the cut" > /data/tail1
cat /data/tail1 > /dev/null
seq 1 50 > /data/tail2
cat /data/tail2 > /dev/null
cat /sys/kernel/security/imasnap/status > /out/status1
emit stage1-status /out/status1
cat /sys/kernel/security/ima/binary_runtime_measurements > /out/log1
emit stage1-log /out/log1
for f in $A/* /out/extra-*; do
	name=${f##*/}
	[ -f "$f" ] && emit "stage1-${name#extra-}" "$f"
done
rm -f /out/extra-*
if [ "$mode" = stale ]; then
	kexec-load --restart2
	fail "reboot(RESTART2) returned"
	return 1
fi
# The archive travels to the next kernel appended to its initramfs.
mkdir -p /out/next/archive
cp $A/* /out/next/archive/ 2>/dev/null
(cd /out/next && find . | cpio -o -H newc > /out/archive.cpio 2>/dev/null)
# The kernel finds an appended archive only at a 4-byte boundary.
cp /boot/initrd.gz /out/initrd
size=$(stat -c %s /out/initrd)
head -c $(( (4 - size % 4) % 4 )) /dev/zero >> /out/initrd
cat /out/archive.cpio >> /out/initrd
# The patched kexec must put the window back on the next kernel's command
# line (it is left out here) and, with kexec_load, keep segments out of it.
next=$(tr ' ' '\n' < /proc/cmdline | grep -v -e '^memmap=' -e '^imasnap\.window=' -e '^$' | tr '\n' ' ')
# kexec_load in two modes, with --mem-max at the window's end: without the
# window excluded, the first segment would end inside it.
# no-policy reuses this kernel's command line, which has the window already:
# kexec must not add it twice.
syscall=-s
cmdline="--command-line=${next}imasnap_test=stage2"
case $mode in
custom-policy) syscall="-c --mem-max=0x3000ffff" ;;
no-policy) syscall="-c --mem-max=0x3000ffff --reuse-cmdline"; cmdline="--append=imasnap_test=stage2" ;;
esac
kexec $syscall --debug -l /boot/vmlinuz --initrd=/out/initrd "$cmdline" > /out/kexec-debug 2>&1 || {
	cat /out/kexec-debug
	fail "kexec $syscall -l failed"
}
emit stage1-kexec-debug /out/kexec-debug
if [ "$mode" = garbage ]; then
	# Nothing is armed: --ima-snapshot=required must refuse to jump.
	kexec --ima-snapshot=required -e > /out/required-exec.out 2>&1
	echo "rc=$?" >> /out/required-exec.out
	emit stage1-kexec-required-exec /out/required-exec.out
fi
kexec -e
fail "kexec -e failed"
return 1
