#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of Debian's kernels (scripts/kernels.sh) in QEMU (TCG) with a
# swtpm TPM 2.0 and a busybox initramfs, run a case's workload, and bring
# back the IMA binary log, every PCR of every bank, the ASCII log and dmesg.
#
#   tests/qemu/run.sh --case DIR --out DIR [--kernel NAME]... [--module] [--verbose]
#
# --kernel    the kernel to boot (default: bookworm); a kexec case jumps into
#             the next one named, in order (default: the same kernel again)
# --module    put imasnap.ko into the initramfs, for every kernel named: the
#             one `scripts/kernels.sh build NAME build/kernels/NAME` made, as
#             /lib/imasnap/<release>/imasnap.ko (its copy without debug info)
#
# The guest prints its `uname -r`; run.sh prints "kernel: <release>" for every
# kernel that booted and fails when they are not the kernels named, in order.
#
# A case folder holds:
#   banks      PCR banks for swtpm_setup, e.g. "sha1,sha256"
#   cmdline    extra kernel arguments (ima_policy=, ima_template=, ...)
#   workload   optional shell fragment the guest sources before collecting
#   policy     optional IMA policy the guest writes to securityfs first
#   module-args  arguments for insmod when --module is given
#   kexec      a kexec case: its content is the mode tests/qemu/kexec-stage.sh
#              runs (ok, wrong-state, garbage, truncated, bad-digest, stale;
#              scale-stage.sh and hop-stage.sh ignore it); the initramfs then
#              also holds the kernel, a second initramfs for the next kernel,
#              the static helpers and every tests/qemu/*-stage.sh
#   tool       put the imasnap tool (and its libraries) into the initramfs
#   warm-reset QEMU may reset the machine (no -no-reboot): RAM survives,
#              swtpm starts over
#
# Environment: IMASNAP_QEMU_TIMEOUT (seconds, default 90 a kernel, at least
# 180), IMASNAP_QEMU_MEM (the guest's RAM, default 1G).
#
# Exit: 0 when the guest reported IMASNAP-DONE ok, 1 otherwise (the console
# log is in OUT/console.log).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/swtpm.sh"
case_dir= out= module= verbose=0 names=()

while [ $# -gt 0 ]; do
	case "$1" in
	--case) case_dir=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--kernel) names+=("$2"); shift 2 ;;
	--module) module=1; shift ;;
	--verbose) verbose=1; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$case_dir" ] && [ -n "$out" ] || {
	echo "usage: run.sh --case DIR --out DIR [--kernel NAME]... [--module] [--verbose]" >&2; exit 2; }
[ -f "$case_dir/banks" ] || { echo "run.sh: $case_dir/banks is missing" >&2; exit 2; }
[ ${#names[@]} -gt 0 ] || names=(bookworm)
# A kexec case without a second kernel jumps into the same one.
[ -f "$case_dir/kexec" ] && [ ${#names[@]} -eq 1 ] && names+=("${names[0]}")

# images[i], releases[i]: the kernels, in boot order
images=() releases=()
for n in "${names[@]}"; do
	envf=$("$top/scripts/kernels.sh" env "$n") || exit 2
	images+=("$(sed -n 's/^image=//p' <<< "$envf")")
	releases+=("$(sed -n 's/^release=//p' <<< "$envf")")
	[ -f "${images[-1]}" ] || { echo "run.sh: ${images[-1]} is missing: scripts/kernels.sh prepare $n" >&2; exit 2; }
	if [ -n "$module" ] && [ ! -f "$top/build/kernels/$n/imasnap.stripped.ko" ]; then
		echo "run.sh: $top/build/kernels/$n/imasnap.stripped.ko is missing: make module KERNEL=$n" >&2
		exit 2
	fi
done
kernel=${images[0]}
# 90 s of TCG per kernel booted (a kexec case boots two, a chain more).
TIMEOUT=${IMASNAP_QEMU_TIMEOUT:-$((90 * (${#names[@]} < 2 ? 2 : ${#names[@]})))}
MEM=${IMASNAP_QEMU_MEM:-1G}

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
if [ -n "$module" ]; then
	for i in "${!names[@]}"; do
		mkdir -p "$root/lib/imasnap/${releases[i]}"
		cp "$top/build/kernels/${names[i]}/imasnap.stripped.ko" \
			"$root/lib/imasnap/${releases[i]}/imasnap.ko"
	done
fi
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
	cp "$top/tests/qemu/helpers/kexec-load" "$top/tests/qemu/helpers/scale" "$root/bin/"
	# kexec-tools with imasnap's patches (kexec/), static.
	cp "$("$top/kexec/build.sh" 2>/dev/null)" "$root/bin/kexec"
	cp "$top"/tests/qemu/*-stage.sh "$root/lib/"
	# From the last kernel back to the first: each initramfs holds, in
	# /boot, the next kernel and the initramfs it boots.
	mkcpio "$root" "$work/initrd.gz"
	for ((i = ${#names[@]} - 1; i > 0; i--)); do
		mkdir -p "$root/boot"
		cp "${images[i]}" "$root/boot/vmlinuz"
		mv "$work/initrd.gz" "$root/boot/initrd.gz"
		mkcpio "$root" "$work/initrd.gz"
	done
else
	mkcpio "$root" "$work/initrd.gz"
fi

# --- swtpm -------------------------------------------------------------
tpm=$work/tpm
swtpm_start "$tpm" "$(tr -d ' \n' < "$case_dir/banks")" "$work" || exit 1

# --- boot ----------------------------------------------------------------
cmdline="console=ttyS0 rdinit=/init rootfstype=ramfs panic=-1 panic_on_warn=1 loglevel=4"
[ -f "$case_dir/cmdline" ] && cmdline="$cmdline $(tr '\n' ' ' < "$case_dir/cmdline")"
: > "$out/results.txt"
reboot=-no-reboot
[ -f "$case_dir/warm-reset" ] && reboot=
set +e
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-machine pc -accel tcg -m "$MEM" -smp 1 \
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
sed -n 's/^IMASNAP-KERNEL /kernel: /p' "$work/results"
booted=$(sed -n 's/^IMASNAP-KERNEL //p' "$work/results" | tr '\n' ' ')
want="${releases[*]} "
# A case that resets the machine boots its first kernel again, not the next.
[ -f "$case_dir/warm-reset" ] && want="${releases[0]} ${releases[0]} "
for name in $(sed -n 's/^IMASNAP-BEGIN //p' "$work/results"); do
	sed -n "/^IMASNAP-BEGIN $name\$/,/^IMASNAP-END $name\$/p" "$work/results" |
		sed '1d;$d' | base64 -d > "$out/$name"
done
done_line=$(grep '^IMASNAP-DONE' "$work/results" || true)
if [ -f "$case_dir/kexec" ] && [ "$booted" != "$want" ]; then
	echo "run.sh: the guest booted [${booted% }], not [${want% }]" >&2
	exit 1
fi
if [ ! -f "$case_dir/kexec" ] && [ "$booted" != "${releases[0]} " ]; then
	echo "run.sh: the guest booted [${booted% }], not ${releases[0]}" >&2
	exit 1
fi
if grep '^IMASNAP-FAIL' "$work/results" >&2 || [ "$done_line" != "IMASNAP-DONE ok" ]; then
	echo "run.sh: guest did not finish cleanly (qemu exit $qrc, '${done_line:-no result}')" >&2
	tail -n 40 "$out/console.log" >&2
	exit 1
fi
exit 0
