#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS, as a user who installs imasnap from source does it: the module
# source and dkms.conf in <sourcetree>/imasnap-<version>, then `dkms add`
# and `dkms build -k <release>` against each kernel's own headers, with
# the suite's own dkms (the host's for bookworm and bookworm-bpo, the
# chroot's for the others).  The trees and the signing key are private
# (--dkmstree, --sourcetree, mok_signing_key under $CACHE/dkms or the
# chroot's /build), so the host's /var/lib/dkms is left alone.
#
#   tests/dkms.sh [NAME...]     default: every kernel of scripts/kernels.sh
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}

names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <("$top/scripts/kernels.sh" names)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$version" ] || { echo "dkms.sh: no PACKAGE_VERSION in dkms.conf" >&2; exit 2; }

# dkms_build NAME: add and build the module for NAME's kernel; prints what
# it built (the module's path inside the build environment)
dkms_build() {
	local name=$1 env rel chroot base
	env=$("$top/scripts/kernels.sh" env "$name") || return
	rel=$(sed -n 's/^release=//p' <<< "$env")
	chroot=$(sed -n 's/^chroot=//p' <<< "$env")
	# Under the cache on the host, under /build in a chroot.
	base=/build/dkms-$name
	[ -n "$chroot" ] || base=$CACHE/dkms/$name
	rm -rf "$chroot$base" && mkdir -p "$chroot$base/src/imasnap-$version" "$chroot$base/tree"
	(cd "$top" && tar -cf - --exclude='*.o' --exclude='.*.cmd' --exclude='*.mod*' \
		--exclude='*.ko' dkms.conf Kbuild include lib module) |
		tar -xf - -C "$chroot$base/src/imasnap-$version"
	# DKMS signs what it builds, with a key it makes when there is none:
	# this one's, not the system's /var/lib/dkms/mok.key.
	local dkms=(env mok_signing_key="$base/mok.key" mok_certificate="$base/mok.pub"
		dkms --dkmstree "$base/tree" --sourcetree "$base/src")
	"$top/scripts/kernels.sh" exec "$name" "${dkms[@]}" add -m imasnap -v "$version" > "$tmp/dkms.log" 2>&1 &&
	"$top/scripts/kernels.sh" exec "$name" "${dkms[@]}" build -m imasnap -v "$version" -k "$rel" \
		>> "$tmp/dkms.log" 2>&1 || { tail -n 30 "$tmp/dkms.log"; return 1; }
	ko=$(find "$chroot$base/tree/imasnap/$version/$rel" -name 'imasnap.ko*' | head -n1)
	[ -n "$ko" ] || { echo "dkms built no imasnap.ko for $rel"; cat "$tmp/dkms.log"; return 1; }
	echo "${ko#"$chroot"}"
}

# vermagic_is REL KO: the module DKMS built is for release REL
vermagic_is() {
	local got
	got=$(modinfo -F vermagic "$2" | cut -d' ' -f1)
	[ "$got" = "$1" ] || { echo "vermagic $got, not $1"; return 1; }
}

for name in "${names[@]}"; do
	"$top/scripts/kernels.sh" prepare "$name" > "$tmp/prepare.log" 2>&1 ||
		{ cat "$tmp/prepare.log" >&2; exit 2; }
	env=$("$top/scripts/kernels.sh" env "$name")
	rel=$(sed -n 's/^release=//p' <<< "$env")
	chroot=$(sed -n 's/^chroot=//p' <<< "$env")
	if check "dkms_builds_the_module_for_${name}" dkms_build "$name"; then
		ko=$chroot$(tail -n 1 "$tmp/out")
		echo "     $rel: $(tail -n 1 "$tmp/out")"
		check "dkms_module_for_${name}_is_for_its_release" vermagic_is "$rel" "$ko"
	fi
	rm -rf "$chroot/build/dkms-$name" "$CACHE/dkms/$name"
done
finish dkms
