#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `imasnap replay` next to `evmctl ima_measurement` (Debian's ima-evm-utils)
# on the same long log, sha1 + sha256 PCR 10 checked against the same final
# values: the median of RUNS runs of each.
#
#   bench/vs-evmctl.sh [RECORDS] [RUNS]       default: 1000000 records, 3 runs
#
# The log is bench/mklog's: the real records of tests/data/ima-ng-sha1-sha256
# (ima-ng, so evmctl checks no signature), its final PCRs what `imasnap
# replay` computes; both tools must match them, or the run fails.  evmctl
# stops at the first record after which every bank matches, so its PCR
# files hold the final values: it reads the whole log too.
set -euo pipefail
records=${1:-1000000} runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
IMASNAP=$here/../userspace/imasnap
command -v evmctl > /dev/null || { echo "vs-evmctl: evmctl is missing (ima-evm-utils: scripts/deps.sh)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$here/mklog" -n "$records" "$tmp/log"
"$IMASNAP" replay --log "$tmp/log" > "$tmp/end"
grep -E '^(sha1|sha256) 10 ' "$tmp/end" > "$tmp/pcrs"
# evmctl's PCR file (1.4): "PCR-NN: <hex>" from PCR 0 on; zeros are not compared.
for alg in sha1 sha256; do
	hex=$(awk -v a=$alg '$1 == a && $2 == 10 { print $3 }' "$tmp/end")
	zero=$(printf '%*s' ${#hex} '' | tr ' ' 0)
	{ for i in 00 01 02 03 04 05 06 07 08 09; do echo "PCR-$i: $zero"; done
	  echo "PCR-10: $hex"; } > "$tmp/pcr-$alg"
done

. "$here/lib.sh"

t_imasnap=$(median "$IMASNAP" replay --log "$tmp/log" --pcrs "$tmp/pcrs")
t_evmctl=$(median evmctl ima_measurement --ignore-violations \
	--pcrs "sha1,$tmp/pcr-sha1" --pcrs "sha256,$tmp/pcr-sha256" "$tmp/log")
grep -q 'Matched per TPM bank calculated digest' "$tmp/run.out" ||
	{ cat "$tmp/run.out" >&2; echo "vs-evmctl: evmctl did not match the PCRs" >&2; exit 1; }
printf 'imasnap replay --pcrs (sha1+sha256, %s records)  %7.3f s  %9.0f records/s\n' \
	"$records" "$t_imasnap" "$(echo "$records / $t_imasnap" | bc -l)"
printf 'evmctl ima_measurement (same log, same PCRs)        %7.3f s  %9.0f records/s\n' \
	"$t_evmctl" "$(echo "$records / $t_evmctl" | bc -l)"
printf 'replay_speedup_vs_evmctl: %.2f\n' "$(echo "$t_evmctl / $t_imasnap" | bc -l)"
