#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest of tests/system/image.sh in QEMU (TCG) with a swtpm TPM 2.0
# and let it run its plan: cold boot, then one `systemctl kexec` a hop.
# Each kernel asks for a nonce on its third serial port ("IMASNAP-NONCE?
# <name>") and quotes it; the last one then powers off.  Everything the guest reported
# (tests/system/guest/driver) lands in OUT as files named hop<N>-<what>;
# OUT/<name>-nonce is the nonce sent for <name> (hop<N>: kernel N's poll).
#
#   tests/system/run.sh --out DIR [--image DIR] [--verbose] [--progress]
#
# --progress: when no step was said for 10 s, what the guest's console
# said last (systemd's [  OK  ] lines), so nobody stares at a silent boot.
#
# Environment: IMASNAP_SYSTEM_TIMEOUT (seconds, default 1800),
# IMASNAP_QEMU_MEM (default 1G), IMASNAP_SYSTEM_CMDLINE (more kernel
# arguments, e.g. loglevel=7), IMASNAP_QEMU_ARGS (more QEMU arguments),
# IMASNAP_QEMU_ACCEL (default tcg,tb-size=128: see below),
# IMASNAP_SYSTEM_PLAN (the guest's plan: check, the default, or demo),
# IMASNAP_T0 (the epoch the progress lines count from).
# Progress lines go to stderr as the guest reports them.  Exit: 0 when the
# guest reported IMASNAP-DONE ok.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/swtpm.sh"
out= img= verbose=0 progress=0
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--image) img=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--progress) progress=1; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: run.sh --out DIR [--image DIR] [--verbose] [--progress]" >&2; exit 2; }
[ -n "$img" ] || img=$("$top/tests/system/image.sh")
rel=$(sed -n 's/^release=//p' "$img/env")
TIMEOUT=${IMASNAP_SYSTEM_TIMEOUT:-1800}
MEM=${IMASNAP_QEMU_MEM:-1G}
[[ ${IMASNAP_SYSTEM_PLAN:-check} =~ ^[a-z]+$ ]] || {
	echo "run.sh: IMASNAP_SYSTEM_PLAN is a plan's name (check, demo), not '$IMASNAP_SYSTEM_PLAN'" >&2; exit 2; }
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
t0=${IMASNAP_T0:-$(date +%s)}
said=$t0
step() { said=$(date +%s); printf '[%4ds] %s\n' $((said - t0)) "$*" >&2; }
# The console's last line with text, without colours and control bytes.
console_said() {
	tail -c 4096 "$out/console.log" 2>/dev/null | tr -d '\r' |
		sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[A-Za-z]//g' |
		tr -cd '[:print:]\n' | grep -v '^ *$' | tail -n 1 | sed 's/^ *//' | cut -c1-100
}
last_said=

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
# The test's plan (tests/system/guest/driver), kept across the hops by
# --reuse-cmdline.
cmdline+=" imasnap_test.plan=${IMASNAP_SYSTEM_PLAN:-check}"
: > "$out/results.txt"
step "cold boot of Debian 12 (systemd, kernel $rel) with a software TPM"
# tb-size: QEMU's translation buffer, 128 MiB instead of 1 GiB.  kexec
# keeps TCG's translation blocks; with a large buffer a systemd boot leaves
# so many on its shared libraries' pages that the next kernel, zeroing them,
# crawls at a few bytes a second (Documentation/design.md, "The system test").
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-machine pc -accel "${IMASNAP_QEMU_ACCEL:-tcg,tb-size=128}" -m "$MEM" -smp 1 \
	-nographic -no-reboot -monitor none \
	-kernel "$img/vmlinuz-$rel" -initrd "$img/initrd.img-$rel" -append "$cmdline" \
	-drive file="$work/root.img",if=virtio,format=raw,cache=unsafe \
	-chardev socket,id=chrtpm,path="$tpm/ctrl.sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 \
	-serial stdio -serial file:"$out/results.txt" -serial pipe:"$work/nonce" \
	${IMASNAP_QEMU_ARGS:-} \
	< /dev/null > "$out/console.log" 2>&1 &
qemu_pid=$!

# Follow the guest's reports; answer its request for a nonce.
seen=0 boots=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 1
	n=$(grep -c '' "$out/results.txt" || true)
	if [ "$n" -le "$seen" ]; then
		# A new console line after 10 s of quiet; the same one again after 30.
		if [ $progress = 1 ] && [ $(($(date +%s) - said)) -ge 10 ]; then
			now_said=$(console_said)
			if [ "$now_said" != "$last_said" ] || [ $(($(date +%s) - said)) -ge 30 ]; then
				step "  ... $now_said"
				last_said=$now_said
			fi
		fi
		continue
	fi
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"IMASNAP-KERNEL "*) boots=$((boots + 1))
			step "kernel $boots (${line#IMASNAP-KERNEL }) is up (systemd ran imasnap-collect.service)" ;;
		"IMASNAP-HOP "*) read -r _ h mode r unarmed <<< "$line"
			# The guest's words: a number before any arithmetic with it.
			[[ $h =~ ^[0-9]{1,4}$ ]] || { step "the guest reported a hop '$h': ignored"; continue; }
			if [ "$mode" = file ]; then how="kexec -s: kexec_file_load"; else how="kexec -c: kexec_load"; fi
			if [ -n "$unarmed" ]; then
				step "kernel $((h + 1)): imasnap-snapshot.service masked, systemctl kexec into $r ($how) with nothing armed"
			else
				step "kernel $((h + 1)): the snapshot unit archives and arms, systemctl kexec into $r ($how)"
			fi
			;;
		"IMASNAP-NONCE? "*) name=${line#IMASNAP-NONCE? }
			# The nonce lands in OUT/<name>-nonce: a name is a file name.
			[[ $name =~ ^hop[0-9]+(-[A-Za-z0-9._]+)?$ ]] || {
				step "the guest asked for a nonce named '$name': refused"; break; }
			openssl rand -hex 20 > "$out/$name-nonce"
			step "verifier: nonce $(cat "$out/$name-nonce") to the guest ($name), which quotes and sends its archive"
			cat "$out/$name-nonce" > "$work/nonce.in"
			;;
		# The guest's operator gave up: nothing more will come.
		"IMASNAP-FAIL"*) step "${line}"; sleep 2; kill "$qemu_pid" 2>/dev/null || true ;;
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
