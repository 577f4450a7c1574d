#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's stock kernel in QEMU (TCG) with a swtpm TPM 2.0 and a busybox
# initramfs, run a case's workload, and bring back the IMA binary log, every
# PCR of every bank, the ASCII log and dmesg.
#
#   tests/qemu/run.sh --case DIR --out DIR [--module imasnap.ko] [--verbose]
#
# A case folder holds:
#   banks      PCR banks for swtpm_setup, e.g. "sha1,sha256"
#   cmdline    extra kernel arguments (ima_policy=, ima_template=, ...)
#   workload   optional shell fragment the guest sources before collecting
#   policy     optional IMA policy the guest writes to securityfs first
#   module-args  arguments for insmod when --module is given
#   kexec      a kexec case: its content is the mode tests/qemu/kexec-stage.sh
#              runs (ok, wrong-state, garbage, truncated, bad-digest, stale);
#              the initramfs then also holds the kernel, a second initramfs
#              for the next kernel and the static helpers
#   tool       put the imasnap tool (and its libraries) into the initramfs
#   warm-reset QEMU may reset the machine (no -no-reboot): RAM survives,
#              swtpm starts over
#
# Exit: 0 when the guest reported IMASNAP-DONE ok, 1 otherwise (the console
# log is in OUT/console.log).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
case_dir= out= module= verbose=0
TIMEOUT=${IMASNAP_QEMU_TIMEOUT:-180}

while [ $# -gt 0 ]; do
	case "$1" in
	--case) case_dir=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$case_dir" ] && [ -n "$out" ] || { echo "usage: run.sh --case DIR --out DIR [--module KO] [--verbose]" >&2; exit 2; }
[ -f "$case_dir/banks" ] || { echo "run.sh: $case_dir/banks is missing" >&2; exit 2; }

abi=$(cat "$CACHE/kernel/ABI" 2>/dev/null) || {
	echo "run.sh: no kernel in $CACHE; run scripts/deps.sh" >&2; exit 2; }
kernel=$CACHE/kernel/$abi/boot/vmlinuz-$abi
[ -f "$kernel" ] || { echo "run.sh: $kernel is missing; run scripts/deps.sh" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
swtpm_pid=
cleanup() {
	[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# --- initramfs ---------------------------------------------------------
root=$work/root
mkdir -p "$root"/{bin,lib,proc,sys,dev,out,case,tmp}
cp /bin/busybox "$root/bin/busybox"
for app in $(/bin/busybox --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
install -m 0755 "$top/tests/qemu/init.sh" "$root/init"
cp "$top/tests/qemu/workload.sh" "$root/lib/workload.sh"
for f in workload policy module-args kexec; do
	[ -f "$case_dir/$f" ] && cp "$case_dir/$f" "$root/case/$f"
done
[ -n "$module" ] && cp "$module" "$root/case/imasnap.ko"
mkcpio() { (cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$2"; }
# A host binary and the shared libraries it needs (the TCTI is dlopen()ed).
bundle() {
	local f lib
	for f in "$@"; do
		for lib in $(ldd "$f" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}
if [ -f "$case_dir/tool" ] || [ -f "$case_dir/kexec" ]; then
	cp "$top/userspace/imasnap" "$root/bin/imasnap"
	tcti=$(ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0)
	mkdir -p "$root/usr/lib/x86_64-linux-gnu"
	cp -L "$tcti" "$root/usr/lib/x86_64-linux-gnu/"
	bundle "$top/userspace/imasnap" "$tcti"
fi
if [ -f "$case_dir/kexec" ]; then
	make -s -C "$top/tests/qemu/helpers"
	cp "$top/tests/qemu/helpers/kexec-load" "$root/bin/"
	# kexec-tools with imasnap's patches (kexec/), static.
	cp "$("$top/kexec/build.sh" 2>/dev/null)" "$root/bin/kexec"
	cp "$top/tests/qemu/kexec-stage.sh" "$root/lib/kexec-stage.sh"
	# The next kernel boots this initramfs without /boot.
	mkcpio "$root" "$work/initrd-next.gz"
	mkdir -p "$root/boot"
	cp "$kernel" "$root/boot/vmlinuz"
	cp "$work/initrd-next.gz" "$root/boot/initrd.gz"
fi
mkcpio "$root" "$work/initrd.gz"

# --- swtpm -------------------------------------------------------------
tpm=$work/tpm
mkdir -p "$tpm"
banks=$(tr -d ' \n' < "$case_dir/banks")
swtpm_setup --tpm2 --tpmstate "$tpm" --pcr-banks "$banks" \
	--config /etc/swtpm_setup.conf >"$work/swtpm_setup.log" 2>&1 || {
	cat "$work/swtpm_setup.log" >&2; exit 1; }
swtpm socket --tpm2 --tpmstate dir="$tpm" \
	--ctrl type=unixio,path="$tpm/ctrl.sock" --terminate \
	--log file="$work/swtpm.log" &
swtpm_pid=$!
for _ in $(seq 50); do [ -S "$tpm/ctrl.sock" ] && break; sleep 0.1; done

# --- boot ----------------------------------------------------------------
cmdline="console=ttyS0 rdinit=/init rootfstype=ramfs panic=-1 panic_on_warn=1 loglevel=4"
[ -f "$case_dir/cmdline" ] && cmdline="$cmdline $(tr '\n' ' ' < "$case_dir/cmdline")"
: > "$out/results.txt"
reboot=-no-reboot
[ -f "$case_dir/warm-reset" ] && reboot=
set +e
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-machine pc -accel tcg -m 1G -smp 1 \
	-nographic $reboot -monitor none \
	-kernel "$kernel" -initrd "$work/initrd.gz" -append "$cmdline" \
	-chardev socket,id=chrtpm,path="$tpm/ctrl.sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 \
	-serial stdio -serial file:"$out/results.txt" \
	</dev/null > "$out/console.log" 2>&1
qrc=$?
set -e
[ $verbose = 1 ] && cat "$out/console.log"

# --- results -------------------------------------------------------------
tr -d '\r' < "$out/results.txt" > "$work/results"
for name in $(sed -n 's/^IMASNAP-BEGIN //p' "$work/results"); do
	sed -n "/^IMASNAP-BEGIN $name\$/,/^IMASNAP-END $name\$/p" "$work/results" |
		sed '1d;$d' | base64 -d > "$out/$name"
done
done_line=$(grep '^IMASNAP-DONE' "$work/results" || true)
if grep '^IMASNAP-FAIL' "$work/results" >&2 || [ "$done_line" != "IMASNAP-DONE ok" ]; then
	echo "run.sh: guest did not finish cleanly (qemu exit $qrc, '${done_line:-no result}')" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
exit 0
