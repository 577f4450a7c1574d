# SPDX-License-Identifier: GPL-2.0
#
# Sourced by init.sh (via the kexec-hops case's workload) in every kernel of
# a chain of kexec hops, each kernel possibly another release (run.sh
# --kernel A --kernel B ...).  Kernel N (imasnap_hop=N on its command line,
# none for the first) does what a host's units would:
#
#   load the module built for this kernel (/lib/imasnap/<release>/);
#   N > 0: `imasnap collect` archives the tail the module carried;
#   measure files of its own; `imasnap snapshot` archives this boot's log;
#   a next kernel in /boot: `imasnap arm`, measure more (the tail), then
#     `kexec -s` into it with imasnap_hop=N+1, the archive appended to its
#     initramfs;
#   the last kernel: `imasnap verify` against the TPM; the archive goes to
#     the host.
#
# What each kernel sends the host is named hop<N>-<what>.
win=$(arg imasnap.window)
hop=$(arg imasnap_hop)
hop=${hop:-0}
A=/out/archive
export TSS2_TCTI=device:/dev/tpmrm0

# Run imasnap; its exit code and output go to the host as hop<N>-<name>.{rc,out}.
hop_run() {
	name=$1
	shift
	imasnap "$@" > /out/hop-$name.out 2>&1
	echo $? > /out/hop-$name.rc
	[ "$(cat /out/hop-$name.rc)" = 0 ] || fail "kernel $hop: imasnap $*: $(cat /out/hop-$name.out)"
	emit "hop$hop-$name.out" /out/hop-$name.out
}

# measure TAG COUNT: COUNT files of this kernel, each read once
measure() {
	i=0
	while [ $i -lt "$2" ]; do
		echo "kernel $hop ($(uname -r)), $1 file $i" > /data/hop$hop-$1-$i
		cat /data/hop$hop-$1-$i > /dev/null
		i=$((i + 1))
	done
}

# The first module in /lib/imasnap built for another of the kernels must not
# load here (the kernel says why: struct module's size, a symbol version,
# or vermagic, which is all that is left with MODVERSIONS off, as on sid).
: > /out/hop-foreign
for ko in /lib/imasnap/*/imasnap.ko; do
	[ "$ko" = "$KO" ] && continue
	if insmod "$ko" window="$win" 2> /dev/null; then
		rmmod imasnap
		fail "kernel $hop: $ko, built for another kernel, loaded"
	else
		echo "refused $ko" > /out/hop-foreign
		dmesg | grep 'imasnap: ' | tail -n 1 >> /out/hop-foreign
	fi
	break
done
emit "hop$hop-foreign" /out/hop-foreign
insmod "$KO" window="$win" || fail "kernel $hop: insmod $KO window=$win failed"
mkdir -p $A
if [ "$hop" -gt 0 ]; then
	cat /sys/kernel/security/imasnap/status > /out/hop-status
	emit "hop$hop-status" /out/hop-status
	[ -d /archive ] && cp /archive/* $A/
	hop_run collect collect --dir $A
fi
measure work 20
hop_run snapshot snapshot --dir $A

if [ ! -f /boot/vmlinuz ]; then
	hop_run verify verify --dir $A
	(cd /out && tar cf /out/extra-archive.tar archive)
	return 0
fi

hop_run arm arm --dir $A
measure tail 5
# This kernel's whole log: the shard it archived + the tail the module
# carries are cut from it.
cat /sys/kernel/security/ima/binary_runtime_measurements > /out/hop-log
emit "hop$hop-log" /out/hop-log
cat /sys/kernel/security/ima/ascii_runtime_measurements > /out/hop-ascii
emit "hop$hop-ascii" /out/hop-ascii
mkdir -p /out/next/archive
cp $A/* /out/next/archive/
(cd /out/next && find . | cpio -o -H newc > /out/archive.cpio 2>/dev/null)
cp /boot/initrd.gz /out/initrd
size=$(stat -c %s /out/initrd)
head -c $(( (4 - size % 4) % 4 )) /dev/zero >> /out/initrd
cat /out/archive.cpio >> /out/initrd
rm -rf /out/next /out/archive.cpio
next=$(tr ' ' '\n' < /proc/cmdline | grep -v -e '^memmap=' -e '^imasnap\.window=' \
	-e '^imasnap_hop=' -e '^$' | tr '\n' ' ')
kexec -s -l /boot/vmlinuz --initrd=/out/initrd --command-line="${next}imasnap_hop=$((hop + 1))" \
	> /out/kexec.out 2>&1 || fail "kernel $hop: kexec -s -l failed: $(cat /out/kexec.out)"
kexec -e
fail "kernel $hop: kexec -e failed"
return 1
