# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by scripts/kernels.sh and tests/deb.sh.
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
