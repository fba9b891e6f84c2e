#!/usr/bin/env bash
# rules-bench.sh measures what many regular-expression alert rules cost the
# readers of the stream (issue 14, "Not yet bounded": 1,000 regex rules
# over a 10,000-series source), on the real binary:
#
#   base   50 simulated series at 100 ms, and a simulated source of
#          $SERIES series at 1 s;
#   rules  the same, plus $RULES threshold rules, each selecting with a
#          different regular expression on the big source's instance
#          label, none firing: a file of about 100 KB inside every limit.
#          SHAPE=prefix (default): `instance=~"<i>.*"`, the mean (a tenth
#          to a thousandth of the series each, 30,000 listed in all);
#          SHAPE=all: `instance!~"x<i>"`, the p99 (every series each: the
#          first 100 rules list the 1,000,000 alerting.max_selected_series
#          allows, the others are refused and counted).
#
# For each of $RUNS rounds it starts a fresh server per config (history in
# memory only), lets it run $SETTLE s, then measures 5 readers with
# pulseload for $SECS s after a warm-up of $WARMUP, base and rules back to
# back. A second binary ($2) is measured in the same round, interleaved,
# for paired A/B figures. The server runs on core 0, pulseload on core 1,
# everything under nice -n 19.
# Prints each run's readers' median and p99 delay, server CPU, and the
# medians per binary and config.
#
#   RUNS=3 SHAPE=all scripts/rules-bench.sh [pulseboard binary [second binary]]
#
# Needs: go, taskset, curl.
set -euo pipefail
bin=${1:-}
bin2=${2:-}
RUNS=${RUNS:-3}
SECS=${SECS:-10}
SETTLE=${SETTLE:-30}
SERIES=${SERIES:-10000}
RULES=${RULES:-1000}
SHAPE=${SHAPE:-prefix}
WARMUP=${WARMUP:-2s}
port=18794
. "$(dirname "$0")/lib.sh"
pb_setup
if [ -z "$bin" ]; then
	pb_build "$dir" ./cmd/pulseboard
	bin=$dir/pulseboard
fi
pb_build "$dir" ./cmd/pulseload

base="server:
  listen: 127.0.0.1:$port
sources:
  - name: stream
    type: simulated
    interval: 100ms
    series:
      - {metric: s, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: 50}
  - name: big
    type: simulated
    interval: 1s
    series:
      - {metric: m, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: $SERIES}"
printf '%s\n' "$base" >"$dir/base.yaml"
{
	printf '%s\nalerts:\n' "$base"
	for i in $(seq 0 $((RULES - 1))); do
		if [ "$SHAPE" = all ]; then
			printf '  - {name: r%d, select: {source: big, match: ['"'"'instance!~"x%d"'"'"']}, stat: p99, warning: 1e9}\n' "$i" "$i"
		else
			printf '  - {name: r%d, select: {source: big, match: ['"'"'instance=~"%d.*"'"'"']}, stat: mean, warning: 1e9}\n' "$i" "$i"
		fi
	done
} >"$dir/rules.yaml"
echo "rules file: $(wc -c <"$dir/rules.yaml") bytes" >&2

# measure BIN CONFIG: one fresh server, one pulseload run; prints its JSON.
measure() { PB_SERVER_NICE=19 PB_SERVER_LOG="$dir/server.log" pb_measure "$1" "$dir/$2.yaml" "$port"; }


bins=(a)
[ -n "$bin2" ] && bins+=(b)
path() { if [ "$1" = a ]; then echo "$bin"; else echo "$bin2"; fi; }
echo "| run | binary | config | readers' median ms | readers' p99 ms | server CPU % | load (1 min) |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
	for b in "${bins[@]}"; do
		for c in base rules; do
			j=$(measure "$(path "$b")" "$c")
			printf '%s\n' "$j" >"$dir/$b.$c.$r.json"
			echo "| $r | $b | $c | $(pb_field delay_p50_ms <<<"$j") | $(pb_field delay_p99_ms <<<"$j") | $(pb_field server_cpu_percent <<<"$j" | cut -c1-5) | $(cut -d' ' -f1 /proc/loadavg) |"
		done
	done
done
for b in "${bins[@]}"; do
	for c in base rules; do
		m=$(cat "$dir/$b.$c".*.json | pb_field delay_p50_ms | pb_median)
		p=$(cat "$dir/$b.$c".*.json | pb_field delay_p99_ms | pb_median)
		u=$(cat "$dir/$b.$c".*.json | pb_field server_cpu_percent | pb_median)
		echo "| median | $b | $c | $m | $p | ${u:0:5} | |"
	done
done
