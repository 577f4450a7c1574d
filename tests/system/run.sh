#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest of tests/system/image.sh in QEMU (TCG) with a swtpm TPM 2.0
# and let it run its plan: cold boot, then one `systemctl kexec` a hop.
# Each kernel asks for a nonce on its third serial port and quotes it; the
# last one then powers off.  Everything the guest reported
# (tests/system/guest/driver) lands in OUT as files named hop<N>-<what>;
# OUT/hop<N>-nonce is the nonce sent to kernel N.
#
#   tests/system/run.sh --out DIR [--image DIR] [--verbose]
#
# Environment: IMASNAP_SYSTEM_TIMEOUT (seconds, default 1800),
# IMASNAP_QEMU_MEM (default 1G), IMASNAP_SYSTEM_CMDLINE (more kernel
# arguments, e.g. loglevel=7).  Progress lines go to stderr as the guest
# reports them.  Exit: 0 when the guest reported IMASNAP-DONE ok.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/swtpm.sh"
out= img= verbose=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--image) img=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: run.sh --out DIR [--image DIR] [--verbose]" >&2; exit 2; }
[ -n "$img" ] || img=$("$top/tests/system/image.sh")
rel=$(sed -n 's/^release=//p' "$img/env")
TIMEOUT=${IMASNAP_SYSTEM_TIMEOUT:-1800}
MEM=${IMASNAP_QEMU_MEM:-1G}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
swtpm_pid= qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
	[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)
step() { printf '[%4ds] %s\n' $(($(date +%s) - t0)) "$*" >&2; }

cp --sparse=always "$img/root.img" "$work/root.img"
tpm=$work/tpm
swtpm_start "$tpm" sha1,sha256 "$work" || exit 1
mkfifo "$work/nonce.in" "$work/nonce.out"

# The admin's kernel command line, set once (GRUB's, here QEMU's): the
# carry window of `imasnap window suggest --size 256K` for this machine.
cmdline="root=/dev/vda rw console=ttyS0 memmap=256K\$0x30000000 imasnap.window=256K@0x30000000"
cmdline+=" ima_template=ima-ng ima_hash=sha256 panic=-1 panic_on_warn=1 loglevel=4"
# More for a look at what the guest does (e.g. "loglevel=7").
cmdline+=${IMASNAP_SYSTEM_CMDLINE:+ $IMASNAP_SYSTEM_CMDLINE}
: > "$out/results.txt"
step "cold boot of Debian 12 (systemd, kernel $rel) with a software TPM"
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-machine pc -accel tcg -m "$MEM" -smp 1 \
	-nographic -no-reboot -monitor none \
	-kernel "$img/vmlinuz-$rel" -initrd "$img/initrd.img-$rel" -append "$cmdline" \
	-drive file="$work/root.img",if=virtio,format=raw,cache=unsafe \
	-chardev socket,id=chrtpm,path="$tpm/ctrl.sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 \
	-serial stdio -serial file:"$out/results.txt" -serial pipe:"$work/nonce" \
	< /dev/null > "$out/console.log" 2>&1 &
qemu_pid=$!

# Follow the guest's reports; answer its request for a nonce.
seen=0 k=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 1
	n=$(grep -c '' "$out/results.txt" || true)
	[ "$n" -gt "$seen" ] || continue
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"IMASNAP-KERNEL "*) step "kernel ${line#IMASNAP-KERNEL } is up (systemd ran imasnap-collect.service)" ;;
		"IMASNAP-HOP "*) read -r _ h mode r <<< "$line"
			if [ "$mode" = file ]; then how="kexec -s: kexec_file_load"; else how="kexec -c: kexec_load"; fi
			step "kernel $h: the snapshot unit archives and arms, systemctl kexec into $r ($how)"
			;;
		"IMASNAP-NONCE?") openssl rand -hex 20 > "$out/hop$k-nonce"
			step "verifier: nonce $(cat "$out/hop$k-nonce") to kernel $k, which quotes and sends its archive"
			cat "$out/hop$k-nonce" > "$work/nonce.in"
			k=$((k + 1))
			;;
		"IMASNAP-FAIL"*) step "${line}" ;;
		"IMASNAP-DONE"*) step "the guest is done: powering off" ;;
		esac
	done < <(sed -n "$((seen + 1)),${n}p" "$out/results.txt" | grep -a '^IMASNAP-[A-Z]' | grep -av '^IMASNAP-\(BEGIN\|END\)')
	seen=$n
done
wait "$qemu_pid" && qrc=0 || qrc=$?
qemu_pid=
[ $verbose = 1 ] && cat "$out/console.log"
step "QEMU exited ($qrc)"

tr -d '\r' < "$out/results.txt" > "$work/results"
for name in $(sed -n 's/^IMASNAP-BEGIN //p' "$work/results"); do
	# A name is a file in OUT, nothing else (no slash, no dot first).
	[[ $name =~ ^hop[0-9]+-[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || {
		echo "run.sh: the guest sent a result named '$name': ignored" >&2; continue; }
	sed -n "/^IMASNAP-BEGIN $name\$/,/^IMASNAP-END $name\$/p" "$work/results" |
		sed '1d;$d' | base64 -d > "$out/$name"
done
sed -n 's/^IMASNAP-KERNEL //p' "$work/results" > "$out/kernels"
if grep '^IMASNAP-FAIL' "$work/results" >&2 || ! grep -qx 'IMASNAP-DONE ok' "$work/results"; then
	echo "run.sh: the guest did not finish its plan (qemu exit $qrc)" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
