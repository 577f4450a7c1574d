#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest of tests/system (issue 14): a Debian 12 system with systemd as
# PID 1 on an ext4 image (virtio-blk), the bookworm kernel and the
# bookworm-backports one with their headers, Debian's kexec-tools, and the
# three packages of `make deb` installed with `apt install ./*.deb`, so
# DKMS builds imasnap.ko for both kernels with the guest's own compiler and
# headers (in the guest's root, before its first boot).  Then the test's
# operator (tests/system/guest: the driver and its three units, the IMA
# policy, the kexec plan, an attacker's certificate) is added.
#
#   tests/system/image.sh      prints the image's folder: root.img, and the
#                              kernels and initramfs images QEMU boots first
#
# Cached in $CACHE/system: base-<key>.tar, the debootstrap with the
# packages (key: the package list and the two kernels' releases), and
# image-<key2>/, that plus the .deb files and the guest files (key2: key
# and their SHA-256).  A run boots a copy of root.img.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/chroot.sh"
log=$CACHE/system/image.log

say() { printf 'image: %s\n' "$*" >&2; }
die() { say "$*"; [ -f "$log" ] && tail -n 30 "$log" >&2; exit 2; }
# long COMMAND...: COMMAND's output into the log; every 10 s its last line
long() {
	local pid n=0 rc
	"$@" >> "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2> /dev/null; do
		sleep 1
		n=$((n + 1))
		[ $((n % 10)) = 0 ] && say "  ... $(tail -n 1 "$log" | tr -cd '[:print:]' | cut -c1-100)"
	done
	wait "$pid" && rc=0 || rc=$?
	return $rc
}

rel=$("$top/scripts/kernels.sh" env bookworm | sed -n 's/^release=//p')
bpo=$("$top/scripts/kernels.sh" env bookworm-bpo | sed -n 's/^release=//p')
[ -n "$rel" ] && [ -n "$bpo" ] || die "prepare the kernels first: scripts/kernels.sh prepare bookworm; ... bookworm-bpo"
pkgs=(systemd systemd-sysv udev kmod dbus dkms make gcc kexec-tools initramfs-tools keyutils
      "linux-image-$rel" "linux-headers-$rel" "linux-image-$bpo" "linux-headers-$bpo")
mkdir -p "$CACHE/system"

# --- the base: debootstrap and the packages ---------------------------------------
key=$(printf '%s\n' "${pkgs[@]}" base-2 | sha256sum | cut -c1-12)
base=$CACHE/system/base-$key.tar
if [ ! -f "$base" ]; then
	say "debootstrap of Debian 12 with systemd, kernels $rel and $bpo (once; cached as $base)"
	d=$CACHE/system/base.new
	rm -rf "$d"
	: > "$log"
	long debootstrap --variant=minbase --force-check-gpg \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		bookworm "$d" "$MIRROR" || die "debootstrap failed"
	bookworm_sources "$d" "$MIRROR" "$SECURITY" bookworm-backports
	# Not a first boot: systemd-firstboot would ask on the console.
	echo 0123456789abcdef0123456789abcdef > "$d/etc/machine-id"
	echo imasnap-guest > "$d/etc/hostname"
	say "apt install ${pkgs[*]}"
	long in_chroot "$d" "${APT[@]}" update || die "apt-get update failed"
	long in_chroot "$d" "${APT[@]}" install --no-install-recommends "${pkgs[@]}" ||
		die "apt-get install failed"
	in_chroot "$d" apt-get clean
	rm -f "$CACHE"/system/base-*.tar
	say "the base as a tarball"
	tar -cf "$base.new" -C "$d" . && mv "$base.new" "$base"
	rm -rf "$d"
fi

# --- the image: the packages of make deb, the test's operator ---------------------------
debs=("$top"/build/deb/imasnap_*.deb "$top"/build/deb/imasnap-dkms_*.deb "$top"/build/deb/kexec-tools-imasnap_*.deb)
for f in "${debs[@]}"; do [ -f "$f" ] || die "$f is missing: make deb"; done
key2=$( (echo "$key"; sha256sum "${debs[@]}" | cut -c1-64; cd "$top/tests/system" &&
	sha256sum image.sh guest/*) | sha256sum | cut -c1-12)
img=$CACHE/system/image-$key2
if [ ! -f "$img/root.img" ]; then
	say "a guest with the packages of make deb (cached as $img)"
	d=$CACHE/system/root.new
	# One image at a time: the one of other packages goes.
	rm -rf "$d" "$CACHE"/system/image-*
	mkdir -p "$d" "$img.new"
	tar -xf "$base" -C "$d"
	mkdir -p "$d/debs"
	cp "${debs[@]}" "$d/debs/"
	say "apt install ./imasnap_*.deb ./imasnap-dkms_*.deb ./kexec-tools-imasnap_*.deb (DKMS builds for $rel and $bpo)"
	long in_chroot "$d" sh -c 'cd /debs && apt-get -o DPkg::Lock::Timeout=600 -y -q install ./*.deb' ||
		die "apt install of the packages failed"
	in_chroot "$d" apt-get clean
	rm -rf "$d/debs"
	for r in "$rel" "$bpo"; do
		[ -n "$(find "$d/lib/modules/$r" -name 'imasnap.ko*')" ] ||
			die "DKMS built no imasnap.ko for $r"
	done
	g=$top/tests/system/guest
	install -D -m 0644 "$g/ima-policy" "$d/etc/ima/ima-policy"
	install -D -m 0755 "$g/driver" "$d/usr/local/sbin/imasnap-test-driver"
	install -m 0644 "$g"/imasnap-test*.service "$d/etc/systemd/system/"
	mkdir -p "$d/etc/imasnap-test" "$d/var/lib/imasnap-test"
	# The hops: into the same kernel with kexec_file_load, again with
	# kexec_load, then into the backports kernel; there, for make check, an
	# attacker's snapshot_aggregate record, and a jump with nothing armed.
	printf 'file %s\nload %s\nfile %s\n' "$rel" "$rel" "$bpo" > "$d/etc/imasnap-test/plan-demo"
	{ cat "$d/etc/imasnap-test/plan-demo"; printf 'fake unarmed file %s\n' "$rel"; } \
		> "$d/etc/imasnap-test/plan-check"
	# The attacker's key: any X.509 certificate.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=imasnap test fake" \
		-days 3650 -outform DER -out "$d/etc/imasnap-test/fake.der" >> "$log" 2>&1 ||
		die "openssl req failed"
	cp "$d"/etc/imasnap-test/plan-* "$img.new/"
	in_chroot "$d" systemctl enable imasnap-test.service imasnap-test-late.service imasnap-test-received.service >> "$log" 2>&1
	# Quiet and quick under TCG: no timers, no login prompt on the console.
	in_chroot "$d" systemctl mask apt-daily.timer apt-daily-upgrade.timer \
		serial-getty@ttyS0.service serial-getty@ttyS1.service serial-getty@ttyS2.service \
		getty@tty1.service e2scrub_reap.service >> "$log" 2>&1
	echo "/dev/vda / ext4 rw,relatime 0 1" > "$d/etc/fstab"
	# As an admin who wants to prune and verify --anchored: a quote in every
	# shard's trailer.
	sed -i 's/^IMASNAP_SNAPSHOT_ARGS=.*/IMASNAP_SNAPSHOT_ARGS="--quote rsa"/' "$d/etc/default/imasnap"
	grep -qx 'IMASNAP_SNAPSHOT_ARGS="--quote rsa"' "$d/etc/default/imasnap" ||
		die "/etc/default/imasnap has no IMASNAP_SNAPSHOT_ARGS line"
	cp "$d/boot/vmlinuz-$rel" "$d/boot/initrd.img-$rel" "$d/boot/vmlinuz-$bpo" \
		"$d/boot/initrd.img-$bpo" "$img.new/"
	say "an ext4 image of it (mkfs.ext4 -d)"
	long mkfs.ext4 -q -F -L imasnap-root -d "$d" "$img.new/root.img" 3G || die "mkfs.ext4 -d failed"
	printf 'release=%s\nrelease_bpo=%s\n' "$rel" "$bpo" > "$img.new/env"
	rm -rf "$d"
	mv "$img.new" "$img"
fi
echo "$img"
