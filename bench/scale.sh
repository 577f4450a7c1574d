#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The figures of issue 13 ("a million records") on this machine: replay
# against the one-core hash bound and evmctl, peak RSS of the commands at
# 100k and 1M records, snapshot against replay; then the table and the
# `key: value` lines of `make bench`, in the contract's order.
#
#   bench/scale.sh [RUNS]          default 3; QUICK=1: without the kernel
#                                  figures (bench/qemu-scale.sh, QEMU): n/a;
#                                  SCALE_SIZES="N...": its log sizes
#
# The logs are bench/mklog's (real records of tests/data, PCRs known), the
# hash bound is `openssl speed -evp` at 16 KiB times the compression blocks
# mklog counts in that log, peak RSS is GNU time's %M (KiB).
set -euo pipefail
runs=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
IMASNAP=$here/../userspace/imasnap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/lib.sh"

# openssl speed -evp ALG at 16 KiB blocks: bytes per second
speed() {
	openssl speed -evp "$1" -bytes 16384 -seconds 2 2>/dev/null |
		awk -v a="$1" '$1 == a { sub("k$", "", $2); printf "%.0f\n", $2 * 1000 }'
}

# mount_rss DIR LOG: the peak RSS (MiB) of `imasnap mount` of that history
# after a cat of its ascii file (FUSE, as root), the daemon's VmHWM.
mount_rss() {
	local m=$tmp/mnt pid i
	mkdir -p "$m"
	"$IMASNAP" mount --foreground --dir "$1" --log "$2" --tmpdir "$tmp" "$m" 2> "$tmp/mount.err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ -e "$m/ascii_runtime_measurements" ] && break
		kill -0 "$pid" 2> /dev/null || { cat "$tmp/mount.err" >&2; echo "bench: mount failed" >&2; exit 1; }
		sleep 0.1
	done
	cat "$m/ascii_runtime_measurements" > /dev/null
	awk '/^VmHWM/ { printf "%.2f\n", $2 / 1024 }' "/proc/$pid/status"
	fusermount3 -u "$m"
	wait "$pid"
}

# collect_rss N: the peak RSS (MiB) of `imasnap collect` of a 64-record
# tail carried past a shard of N - 64 records: the module's securityfs
# folder as a directory (status, release, and the carried record, made
# with the core's encoder by tests/cli/build/forge-record), the tail the
# last 64 records of logN.  collect must archive it as shard 1.
forge_record=$here/../tests/cli/build/forge-record
collect_rss() {
	local n=$1 c=$tmp/collect$1 cut digest mib
	mkdir -p "$c/arch" "$c/sfs"
	"$here/mklog" -n $((n - 64)) "$c/prefix" > /dev/null
	cut=$(stat -c %s "$c/prefix")
	tail -c +$((cut + 1)) "$tmp/log$n" > "$c/tail"
	"$IMASNAP" replay --log "$c/prefix" | grep -E '^(sha1|sha256) 10 ' > "$c/prefix.pcrs"
	"$IMASNAP" snapshot --dir "$c/arch" --log "$c/prefix" --pcrs "$c/prefix.pcrs" > /dev/null
	digest=$("$IMASNAP" show --json "$c/arch/shard-00000000.ims" | sed 's/.*"digest":"\([0-9a-f]*\)".*/\1/')
	"$IMASNAP" replay --log "$c/tail" --start "$c/prefix.pcrs" | grep -E '^(sha1|sha256) 10 ' > "$c/tail.pcrs"
	printf 'core=loaded\ncarried=accepted\n' > "$c/sfs/status"
	: > "$c/sfs/release"
	"$forge_record" "$c/sfs/carried" 0 $((n - 64)) "$cut" "$digest" "$c/tail" "$c/prefix.pcrs" "$c/tail.pcrs"
	mib=$(rss "$IMASNAP" collect --dir "$c/arch" --securityfs "$c/sfs")
	grep -q '^shard 1: tail of 64 records' "$tmp/rss.out" ||
		{ cat "$tmp/rss.out" >&2; echo "bench: collect did not archive the tail as shard 1" >&2; exit 1; }
	rm -rf "$c"
	echo "$mib"
}

declare -A mib
for n in 100000 1000000; do
	"$here/mklog" -n $n "$tmp/log$n" > "$tmp/mklog$n"
	"$IMASNAP" replay --log "$tmp/log$n" | grep -E '^(sha1|sha256) 10 ' > "$tmp/pcrs$n"
	mkdir "$tmp/arch$n"
	mib[snapshot$n]=$(rss "$IMASNAP" snapshot --dir "$tmp/arch$n" --log "$tmp/log$n" --pcrs "$tmp/pcrs$n")
	mib[verify$n]=$(rss "$IMASNAP" verify --dir "$tmp/arch$n" --log "$tmp/log$n" --pcrs "$tmp/pcrs$n")
	mib[replay$n]=$(rss "$IMASNAP" replay --log "$tmp/log$n" --pcrs "$tmp/pcrs$n")
	mib[show$n]=$(rss "$IMASNAP" show "$tmp/arch$n/shard-00000000.ims")
	mib[log$n]=$(rss "$IMASNAP" log --dir "$tmp/arch$n" --log "$tmp/log$n" --format ascii)
	mib[mount$n]=$(mount_rss "$tmp/arch$n" "$tmp/log$n")
	mib[collect$n]=$(collect_rss $n)
done
records=1000000
read -r _ _ _ b1 _ b256 < <(grep '^compression blocks' "$tmp/mklog$records")
sha1_bps=$(speed sha1) sha256_bps=$(speed sha256)
bound=$(echo "$records / ($b1 * 64 / $sha1_bps + $b256 * 64 / $sha256_bps)" | bc -l)

log=$tmp/log$records pcrs=$tmp/pcrs$records
# Medians of at least 9 runs (a second or less apiece): of three, one slow
# minute of this machine moved verify's fraction of the bound by 15 points.
runs_1m=$((runs > 9 ? runs : 9))
t_one=$(runs=$runs_1m median "$IMASNAP" replay --threads 1 --log "$log" --pcrs "$pcrs")
t_verify_one=$(runs=$runs_1m median "$IMASNAP" verify --threads 1 --dir "$tmp/arch$records" --log "$log" --pcrs "$pcrs")
t_verify_all=$(runs=$runs_1m median "$IMASNAP" verify --dir "$tmp/arch$records" --log "$log" --pcrs "$pcrs")
# snapshot against replay: in turns, for their ratio.  Each snapshot into
# an empty archive: deleting the last one's 100 MB is not timed.
replay_all() { "$IMASNAP" replay --log "$log" --pcrs "$pcrs"; }
snap() { mkdir "$tmp/snap" && "$IMASNAP" snapshot --dir "$tmp/snap" --log "$log" --pcrs "$pcrs"; }
snap_clear() { rm -rf "$tmp/snap" && sync; }	# the deletion's writes before the next run
t_turns=$(turns_after=snap_clear turns "$runs_1m" replay_all snap)
t_all=${t_turns%%$'\n'*} t_snap=${t_turns##*$'\n'}
"$here/vs-evmctl.sh" "$records" "$runs" > "$tmp/evm"
t_evm=$(awk '/^evmctl/ { print $(NF - 3) }' "$tmp/evm")
cpus=$(nproc)

rate() { echo "$records / $1" | bc -l; }
printf '\n%-58s %9s %12s %9s\n' "1,000,000 records (sha1+sha256, PCR 10)" "seconds" "records/s" "of bound"
printf '%-58s %9s %12.0f %8.0f%%\n' "hash bound, one core (openssl speed -evp, 16 KiB)" "" "$bound" 100
for row in "imasnap replay --pcrs, 1 thread:$t_one" "imasnap replay --pcrs, $cpus CPUs:$t_all" \
	   "imasnap verify --pcrs, 1 thread:$t_verify_one" "imasnap verify --pcrs, $cpus CPUs:$t_verify_all" \
	   "imasnap snapshot (empty archive, fsync):$t_snap" "evmctl ima_measurement:$t_evm"; do
	t=${row##*:}
	printf '%-58s %9.3f %12.0f %8.0f%%\n' "${row%:*}" "$t" "$(rate "$t")" \
		"$(echo "100 * $(rate "$t") / $bound" | bc -l)"
done
printf '(sha1 %s B/s, sha256 %s B/s; %s + %s blocks)\n' "$sha1_bps" "$sha256_bps" "$b1" "$b256"
# verify hashes more than the replay: the shard body, SHA-256, for its body
# digest (the live log's bytes of the shard are compared with it as read).
body_blocks=$(( ($(stat -c %s "$log") + 9 + 63) / 64 ))
vbound=$(echo "$records / ($b1 * 64 / $sha1_bps + ($b256 + $body_blocks) * 64 / $sha256_bps)" | bc -l)
printf 'verify against its own bound (%.0f records/s: + %s SHA-256 blocks): 1 thread %.0f%%, %s CPUs %.0f%%\n' \
	"$vbound" "$body_blocks" "$(echo "100 * $(rate "$t_verify_one") / $vbound" | bc -l)" "$cpus" \
	"$(echo "100 * $(rate "$t_verify_all") / $vbound" | bc -l)"
printf '\n%-28s %10s %10s\n' "peak RSS (MiB)" "100k" "1M"
for c in replay snapshot verify show; do
	printf '%-28s %10s %10s\n' "imasnap $c" "${mib[${c}100000]}" "${mib[${c}1000000]}"
done
printf '%-28s %10s %10s\n' "imasnap collect (64 carried)" "${mib[collect100000]}" "${mib[collect1000000]}"
printf '%-28s %10s %10s\n' "imasnap log --format ascii" "${mib[log100000]}" "${mib[log1000000]}"
printf '%-28s %10s %10s\n' "imasnap mount (after a cat)" "${mib[mount100000]}" "${mib[mount1000000]}"
# The kernel side: bench/qemu-scale.sh, unless QUICK=1.
declare -A kv
if [ -z "${QUICK:-}" ]; then
	# shellcheck disable=SC2086
	"$here/qemu-scale.sh" ${SCALE_SIZES:-} > "$tmp/qemu"
	sed -n '/^records /,/^$/p' "$tmp/qemu"
	while read -r k val; do kv[${k%:}]=$val; done < <(grep -E '^[a-z_]+_[0-9]+: ' "$tmp/qemu")
fi
kfig() { echo "${kv[$1]:-n/a}"; }

fmt() { printf '%.2f' "$1"; }
echo
echo "replay_records_per_s: $(printf '%.0f' "$(rate "$t_all")")"
echo "replay_speedup_vs_evmctl: $(fmt "$(echo "$t_evm / $t_all" | bc -l)")"
echo "replay_fraction_of_hash_bound: $(fmt "$(echo "$(rate "$t_all") / $bound" | bc -l)")"
echo "verify_peak_rss_mib_100k: ${mib[verify100000]}"
echo "verify_peak_rss_mib_1m: ${mib[verify1000000]}"
echo "snapshot_peak_rss_mib_1m: ${mib[snapshot1000000]}"
echo "snapshot_ratio_vs_replay: $(fmt "$(echo "$t_snap / $t_all" | bc -l)")"
echo "carried_bytes_1m: $(kfig carried_bytes_1000000)"
echo "ima_kexec_bytes_1m: $(( 24 + $(stat -c %s "$log") ))"
echo "capture_ns_10k: $(kfig capture_ns_10000)"
echo "capture_ns_300k: $(kfig capture_ns_300000)"
echo "arm_ns_10k: $(kfig arm_ns_10000)"
echo "arm_ns_300k: $(kfig arm_ns_300000)"
