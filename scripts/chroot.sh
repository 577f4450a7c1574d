# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by scripts/kernels.sh, tests/deb.sh and tests/system/image.sh.
#
# Where they keep what they make, the mirrors, and apt as they run it.
CACHE=${IMASNAP_CACHE:-/var/cache/imasnap}
MIRROR=${IMASNAP_MIRROR:-http://deb.debian.org/debian}
SECURITY=${IMASNAP_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
export DEBIAN_FRONTEND=noninteractive
#
# in_chroot DIR CMD...: CMD in the chroot DIR, in its own mount and PID
# namespaces with its own /proc (objtool and dkms need one): gone when CMD
# ends.  This keeps the chroot's mounts and processes apart from the
# host's; it is not a sandbox (CMD runs as root).
in_chroot() {
	local dir=$1
	shift
	unshare --mount --propagation private --pid --fork -- sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$dir" "$@"
}

# bookworm_sources DIR MIRROR SECURITY [SUITE...]: a Debian 12 system's apt
# sources in the root DIR: bookworm, its point releases' updates, the
# SUITEs named (e.g. bookworm-backports) and security.
bookworm_sources() {
	local dir=$1 mirror=$2 security=$3
	shift 3
	rm -f "$dir/etc/apt/sources.list"
	cat > "$dir/etc/apt/sources.list.d/debian.sources" <<-EOS
	Types: deb
	URIs: $mirror
	Suites: bookworm bookworm-updates${*:+ $*}
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: $security
	Suites: bookworm-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOS
}
