#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as an admin meets them (issue 14): `make deb` builds
# them and lintian finds no error; then, in a fresh Debian 12 chroot with
# Debian's kexec-tools and the bookworm kernel's headers, `apt install` of
# the three .deb files: DKMS builds imasnap.ko for that kernel, the units
# are enabled (not started), kexec is the patched one with Debian's diverted
# aside; removing kexec-tools-imasnap gives Debian's kexec back; purging the
# others leaves nothing of them behind.
#
# The chroot (debootstrap minbase + what the packages need) is cached as
# $CACHE/chroot/bookworm-deb-<key>.tar, key: its package list and the
# kernel's ABI; every run unpacks a fresh copy.
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$top/scripts/chroot.sh"

rel=$("$top/scripts/kernels.sh" env bookworm | sed -n 's/^release=//p')
[ -n "$rel" ] || { echo "deb.sh: no bookworm kernel (scripts/kernels.sh prepare bookworm)" >&2; exit 2; }
pkgs=(dkms make gcc kmod xz-utils systemd kexec-tools "linux-headers-$rel")

if ! "$top/scripts/deb.sh" > "$tmp/debs" 2> "$tmp/deb.err"; then
	cat "$tmp/deb.err" >&2
	echo "deb.sh: make deb failed" >&2
	exit 1
fi
check_eq make_deb_lintian_finds_no_error 0 "$(grep -c '^E:' "$top/build/deb/lintian.txt")"
for p in imasnap imasnap-dkms kexec-tools-imasnap; do
	check "make_deb_builds_$p" ls "$top/build/deb/${p}_"*.deb
done

# --- the chroot -----------------------------------------------------------------
key=$(printf '%s\n' "${pkgs[@]}" | sort | sha256sum | cut -c1-12)
tar=$CACHE/chroot/bookworm-deb-$key.tar
mkdir -p "$CACHE/chroot"
if [ ! -f "$tar" ]; then
	echo "deb.sh: debootstrap of bookworm with ${pkgs[*]} (cached as $tar)" >&2
	d=$CACHE/chroot/bookworm-deb.new
	rm -rf "$d"
	debootstrap --variant=minbase --force-check-gpg \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		bookworm "$d" "$MIRROR" > "$CACHE/chroot/bookworm-deb.debootstrap.log" 2>&1 || {
		tail -n 20 "$CACHE/chroot/bookworm-deb.debootstrap.log" >&2; exit 2; }
	# A Debian 12 system's sources: the point releases' updates and security
	# (where the pinned kernel's headers may be).
	bookworm_sources "$d" "$MIRROR" "$SECURITY"
	in_chroot "$d" "${APT[@]}" update >> "$CACHE/chroot/bookworm-deb.debootstrap.log" 2>&1 &&
	in_chroot "$d" "${APT[@]}" install --no-install-recommends "${pkgs[@]}" \
		>> "$CACHE/chroot/bookworm-deb.debootstrap.log" 2>&1 || {
		tail -n 20 "$CACHE/chroot/bookworm-deb.debootstrap.log" >&2; exit 2; }
	in_chroot "$d" apt-get clean
	rm -f "$CACHE/chroot/bookworm-deb-"*.tar
	tar -cf "$tar.new" -C "$d" . && mv "$tar.new" "$tar"
	rm -rf "$d"
fi
root=$tmp/root
mkdir "$root"
tar -xf "$tar" -C "$root"
cleanup_hooks+=("rm -rf '$root'")
mkdir "$root/debs"
cp "$top"/build/deb/imasnap_*.deb "$top"/build/deb/imasnap-dkms_*.deb \
	"$top"/build/deb/kexec-tools-imasnap_*.deb "$root/debs/"
inside() { in_chroot "$root" "$@"; }
# has_line REGEX CMD...: CMD's output (stdout and stderr) has a line matching REGEX
has_line() {
	local re=$1
	shift
	"$@" > "$tmp/has" 2>&1
	grep -Eq -- "$re" "$tmp/has"
}
lacks_line() { ! has_line "$@"; }

# --- install ----------------------------------------------------------------------
# As an admin does it: apt fetches what the packages depend on (the TSS libraries).
check apt_install_of_the_three_packages_succeeds \
	inside sh -c 'cd /debs && apt-get -y -q install ./*.deb'
check dkms_built_and_installed_the_module_for_the_bookworm_kernel \
	has_line "^imasnap/[^,]+, $rel, x86_64: installed" inside dkms status imasnap
ko=$(find "$root/lib/modules/$rel" -name 'imasnap.ko*' | head -n1)
check_eq dkms_module_is_built_for_the_bookworm_release "$rel" \
	"$(inside modinfo -F vermagic "${ko#"$root"}" 2>&1 | cut -d' ' -f1)"
check modprobe_finds_the_module_and_its_window_parameter \
	has_line '^window:' inside modinfo -k "$rel" -F parm imasnap
check snapshot_unit_is_enabled_for_kexec \
	test -L "$root/etc/systemd/system/kexec.target.wants/imasnap-snapshot.service"
check collect_unit_is_enabled_at_boot \
	test -L "$root/etc/systemd/system/multi-user.target.wants/imasnap-collect.service"
check log_view_unit_is_enabled_at_boot \
	test -L "$root/etc/systemd/system/multi-user.target.wants/imasnap-log.service"
check log_view_unit_mounts_the_view_for_the_agent \
	grep -q '^ExecStart=/usr/sbin/imasnap mount --foreground .* /run/imasnap/log$' "$root/lib/systemd/system/imasnap-log.service"
check units_run_the_packaged_tool \
	grep -q '^ExecStart=/usr/sbin/imasnap snapshot' "$root/lib/systemd/system/imasnap-snapshot.service"
check default_file_is_a_conffile \
	has_line '/etc/default/imasnap' inside dpkg-query -W -f='${Conffiles}' imasnap
check modules_load_entry_loads_imasnap grep -qx imasnap "$root/usr/lib/modules-load.d/imasnap.conf"
check tool_runs has_line '^Usage: imasnap' inside imasnap --help
check kexec_is_the_patched_one has_line --ima-snapshot inside kexec --help
check debians_kexec_is_diverted_aside has_line '^kexec-tools-imasnap$' inside dpkg-divert --listpackage /sbin/kexec
check debians_kexec_is_kept_as_kexec_distrib test -x "$root/sbin/kexec.distrib"
check debians_kexec_package_stays_installed \
	has_line 'install ok installed' inside dpkg-query -W -f='${Status}' kexec-tools

# --- remove, purge ----------------------------------------------------------------
check removing_kexec_tools_imasnap_succeeds inside apt-get -y -q remove kexec-tools-imasnap
check debians_kexec_is_back lacks_line --ima-snapshot inside kexec --help
check no_diversion_is_left lacks_line kexec-tools-imasnap inside dpkg-divert --list
check purging_imasnap_succeeds inside apt-get -y -q purge imasnap imasnap-dkms
check_eq purge_leaves_no_module "" "$(find "$root/lib/modules/$rel" -name 'imasnap.ko*')"
check purge_leaves_no_dkms_tree test ! -e "$root/var/lib/dkms/imasnap"
check_eq purge_leaves_no_unit_link "" "$(find "$root/etc/systemd/system" -name 'imasnap-*')"
check purge_removes_the_default_file test ! -e "$root/etc/default/imasnap"
finish deb
