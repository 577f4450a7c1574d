# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the bench scripts, after they set $tmp (a scratch folder) and,
# for median, $runs:
#   median CMD...   the median wall time of $runs runs of CMD, in seconds
#   rss CMD...      the peak RSS of one run of CMD (GNU time %M), in MiB
# Either fails the script when CMD fails, showing its output.
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (package time: scripts/deps.sh)" >&2; exit 2; }

median() {
	local i t0 ts=()
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s.%N)
		"$@" > "$tmp/run.out" 2>&1 || { cat "$tmp/run.out" >&2; echo "bench: $* failed" >&2; exit 1; }
		ts+=("$(echo "$(date +%s.%N) - $t0" | bc)")
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

rss() {
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" > "$tmp/rss.out" 2>&1 ||
		{ cat "$tmp/rss.out" >&2; echo "bench: $* failed" >&2; exit 1; }
	echo "scale=2; $(tail -1 "$tmp/rss") / 1024" | bc
}
