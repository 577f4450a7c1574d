#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the imasnap test initramfs (busybox).  Runs /case/workload, then
# sends the IMA log and every PCR of every bank to the host over ttyS1:
#
#   IMASNAP-BEGIN <name>  ... base64 ...  IMASNAP-END <name>
#   IMASNAP-FAIL <what>     (any number, as failures happen)
#   IMASNAP-DONE <status>
#
# The root filesystem is ramfs (rootfstype=ramfs): the tcb policy measures
# files read from it.  Results are staged on a tmpfs, which tcb does not
# measure, so collecting them does not change the log.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs -o mode=0700 tmpfs /out
IMA=/sys/kernel/security/ima
RES=/dev/ttyS1
status=ok
# The module built for this kernel (run.sh --module).
KO=/lib/imasnap/$(uname -r)/imasnap.ko
echo "IMASNAP-KERNEL $(uname -r)" > $RES

# Reported at once: a kexec case's first kernel never reaches IMASNAP-DONE.
fail() {
	echo "imasnap-init: $*"
	echo "IMASNAP-FAIL $*" > $RES
	status="fail: $*"
}

emit() {
	echo "IMASNAP-BEGIN $1" > $RES
	base64 < "$2" > $RES
	echo "IMASNAP-END $1" > $RES
}

# A kernel command line argument's value: arg imasnap.window
arg() {
	tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}

# Every bank and PCR the TPM has, as "<alg> <pcr> <hex>" lines.
read_pcrs() {
	for dir in /sys/class/tpm/tpm0/pcr-*; do
		[ -d "$dir" ] || continue
		alg=${dir##*/pcr-}
		for n in $(seq 0 23); do
			echo "$alg $n $(cat "$dir/$n")"
		done
	done
}

if [ -f /case/policy ]; then
	cat /case/policy > $IMA/policy || fail "IMA rejected /case/policy"
fi
. /lib/workload.sh || fail "common workload failed"
if [ -f /case/workload ]; then
	. /case/workload || fail "workload failed"
fi

# Load the module unless the workload did (kexec cases load it themselves).
if [ -f $KO ] && [ ! -d /sys/module/imasnap ]; then
	# shellcheck disable=SC2046
	insmod $KO $(cat /case/module-args 2>/dev/null) ||
		fail "insmod imasnap.ko failed"
fi

# The log and the PCRs, read until the log did not change while the PCRs
# were read: then the PCRs are exactly the log's end state.
stable=no
for try in 1 2 3 4 5; do
	cat $IMA/binary_runtime_measurements > /out/log
	read_pcrs > /out/pcrs.txt
	cat $IMA/binary_runtime_measurements > /out/log2
	if cmp -s /out/log /out/log2; then
		stable=yes
		break
	fi
done
[ $stable = yes ] || fail "IMA log kept changing while PCRs were read"
[ -s /out/pcrs.txt ] || fail "no TPM PCRs in sysfs"
cat $IMA/ascii_runtime_measurements > /out/ascii 2>/dev/null
dmesg > /out/dmesg
cat /proc/iomem > /out/iomem

emit binary_runtime_measurements /out/log
emit pcrs.txt /out/pcrs.txt
emit ascii_runtime_measurements /out/ascii
emit dmesg /out/dmesg
emit iomem /out/iomem
for f in /out/extra-*; do
	[ -f "$f" ] && emit "${f#/out/extra-}" "$f"
done
echo "IMASNAP-DONE $status" > $RES
sync
poweroff -f
