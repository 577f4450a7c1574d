# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the bench scripts, after they set $tmp (a scratch folder) and,
# for median, $runs:
#   median CMD...   the median wall time of $runs runs of CMD, in seconds
#   turns N A B     the median wall times of A and of B (commands without
#                   arguments: functions), each run N times in turns
#                   (A B A B ...), so that a machine whose speed drifts
#                   (a virtual machine's neighbours) slows both alike and
#                   their ratio holds; $turns_after, if set, is run untimed
#                   after each
#   rss CMD...      the peak RSS of one run of CMD (GNU time %M), in MiB
# Either fails the script when CMD fails, showing its output.
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (package time: scripts/deps.sh)" >&2; exit 2; }

# The wall time of one run of CMD, in seconds.
timed() {
	local t0
	t0=$(date +%s.%N)
	"$@" > "$tmp/run.out" 2>&1 || { cat "$tmp/run.out" >&2; echo "bench: $* failed" >&2; exit 1; }
	echo "$(date +%s.%N) - $t0" | bc
}

median() {
	local i t ts=()
	for ((i = 0; i < runs; i++)); do
		t=$(timed "$@") || exit 1
		ts+=("$t")
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

turns() {
	local i t a=() b=()
	for ((i = 0; i < $1; i++)); do
		t=$(timed "$2") || exit 1
		a+=("$t")
		${turns_after:+$turns_after}
		t=$(timed "$3") || exit 1
		b+=("$t")
		${turns_after:+$turns_after}
	done
	printf '%s\n' "${a[@]}" | sort -n | sed -n "$(( ($1 + 1) / 2 ))p"
	printf '%s\n' "${b[@]}" | sort -n | sed -n "$(( ($1 + 1) / 2 ))p"
}

rss() {
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" > "$tmp/rss.out" 2>&1 ||
		{ cat "$tmp/rss.out" >&2; echo "bench: $* failed" >&2; exit 1; }
	echo "scale=2; $(tail -1 "$tmp/rss") / 1024" | bc
}
