# SPDX-License-Identifier: GPL-2.0
#
# Sourced by init.sh (the scale-bench case, run by bench/qemu-scale.sh) in
# both kernels of one kexec hop; each figure goes to the host at once as a
# line "IMASNAP-SCALE <what> key=value..." (the guest may not live to send
# more).
#
# kernel 1: IMA's log made about imasnap_scale= records long (the scale
#   helper creates and reads files); read it whole from IMA's file (unless
#   imasnap_scale_cat=0) and from the module's ima_log; `imasnap snapshot`,
#   64 records more and a second (incremental) snapshot; the cut written
#   into arm by hand (imasnap arm --print), timed (not with
#   imasnap_scale_arm=0: the unarmed kexec to compare with); 64 records
#   more (the tail); the log's length then; `kexec -s` into the same kernel,
#   with the time stamp counter read just before.
# kernel 2: the time stamp counter first (kexec does not reset it: the
#   jump's wall time from kernel 1's reading), then load imasnap: its
#   status says what was carried and what the capture in the reboot
#   notifier cost.
N=$(arg imasnap_scale)
win=$(arg imasnap.window)
A=/out/archive
export TSS2_TCTI=device:/dev/tpmrm0
say() { echo "IMASNAP-SCALE $*" > $RES; }
# timed WHAT CMD...: CMD's own line (the scale helper's), said as WHAT
timed() {
	what=$1
	shift
	line=$("$@") || { fail "$what: $* failed"; return 1; }
	say "$what $line"
}
if [ "${imasnap_test:-}" = stage2 ]; then
	say "tsc-next $(scale tsc)"
	insmod $KO window="$win" || fail "insmod imasnap.ko window=$win failed"
	say "carried $(grep -E '^(carried|carried_bytes|carried_capture_ns|carried_tail_entries)=' \
		/sys/kernel/security/imasnap/status | tr '\n' ' ')"
	return 0
fi

insmod $KO window="$win" || fail "insmod imasnap.ko window=$win failed"
say "tsc0 $(scale tsc)"
mkdir -p /data/scale $A
timed files scale files "$N" /data/scale
[ "$(arg imasnap_scale_cat)" = 0 ] || timed cat scale read $IMA/binary_runtime_measurements
# The same bytes through the module (what imasnap snapshot reads by default).
timed cat-module scale read /sys/kernel/security/imasnap/ima_log
timed snapshot scale run imasnap snapshot --dir $A 2> /out/snapshot.out
imasnap show --json $A/shard-00000000.ims > /out/shard0.json 2>&1
say "shard0 $(sed -n 's/.*"entries":\([0-9]*\).*/entries=\1/p' /out/shard0.json)"
timed files-incremental scale files 64 /data/scale
timed snapshot-incremental scale run imasnap snapshot --dir $A 2> /out/snapshot2.out
imasnap arm --dir $A --print > /out/cut || fail "imasnap arm --print failed"
[ "$(arg imasnap_scale_arm)" = 0 ] ||
	timed arm scale write /sys/kernel/security/imasnap/arm "$(cat /out/cut)"
timed files-tail scale files 64 /data/scale
timed log-again scale read /sys/kernel/security/imasnap/ima_log
next=$(tr ' ' '\n' < /proc/cmdline | grep -v -e '^memmap=' -e '^imasnap\.window=' -e '^$' | tr '\n' ' ')
kexec -s -l /boot/vmlinuz --initrd=/boot/initrd.gz --command-line="${next}imasnap_test=stage2" \
	> /out/kexec.out 2>&1 || { cat /out/kexec.out; fail "kexec -s -l failed"; return 1; }
say "kexec-exec $(scale tsc)"
kexec -e
fail "kexec -e failed"
return 1
