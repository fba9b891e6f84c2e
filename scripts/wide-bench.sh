#!/usr/bin/env bash
# wide-bench.sh measures what one wide prometheus target costs the other
# readers of the stream (issue 14, attack trial round 2, item 4), on the
# real binary:
#
#   base   50 simulated series at 100 ms;
#   wide   the same, plus a prometheus source polled every 2 s serving
#          $SERIES series × $LABELS labels of ~31 B (scripts/widetarget,
#          the trial's "atlimit" shape: inside every per-series limit).
#
# For each of $RUNS rounds it starts a fresh server per config (history in
# memory only), lets it run $SETTLE s, then measures 5 readers with
# pulseload for $SECS s after a warm-up of $WARMUP (their first deltas are
# the catch-up after their snapshot), base and wide back to back. The
# server runs on core 0, pulseload and the target on core 1, everything
# under nice -n 19.
# Prints each run's readers' p99, server CPU, mean and largest delta bytes,
# and the medians.
#
#   RUNS=3 scripts/wide-bench.sh [pulseboard binary]
#
# Needs: go, taskset, curl.
set -euo pipefail
bin=${1:-}
RUNS=${RUNS:-3}
SECS=${SECS:-10}
SETTLE=${SETTLE:-20}
SERIES=${SERIES:-9000}
LABELS=${LABELS:-29}
VARY=${VARY:-0}
WARMUP=${WARMUP:-2s}
port=18790
tport=18792
. "$(dirname "$0")/lib.sh"
pb_setup
if [ -z "$bin" ]; then
	pb_build "$dir" ./cmd/pulseboard
	bin=$dir/pulseboard
fi
pb_build "$dir" ./cmd/pulseload ./scripts/widetarget

base="server:
  listen: 127.0.0.1:$port
sources:
  - name: stream
    type: simulated
    interval: 100ms
    series:
      - {metric: s, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: 50}"
printf '%s\n' "$base" >"$dir/base.yaml"
printf '%s\n  - {name: wide, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 2s}\n' "$base" "$tport" >"$dir/wide.yaml"

nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$tport" -series "$SERIES" -labels "$LABELS" -vary "$VARY" &
pids+=($!)

# measure CONFIG: one fresh server, one pulseload run; prints its JSON.
measure() { PB_SERVER_NICE=19 pb_measure "$bin" "$dir/$1.yaml" "$port"; }


echo "| run | config | readers' p99 ms | server CPU % | B a delta (mean) | largest delta B |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
	for c in base wide; do
		j=$(measure "$c")
		printf '%s\n' "$j" >"$dir/$c.$r.json"
		echo "| $r | $c | $(pb_field delay_p99_ms <<<"$j") | $(pb_field server_cpu_percent <<<"$j" | cut -c1-5) | $(pb_field delta_bytes_per_message <<<"$j" | cut -d. -f1) | $(pb_field delta_bytes_max <<<"$j") |"
	done
done
for c in base wide; do
	p=$(cat "$dir/$c".*.json | pb_field delay_p99_ms | pb_median)
	u=$(cat "$dir/$c".*.json | pb_field server_cpu_percent | pb_median)
	b=$(cat "$dir/$c".*.json | pb_field delta_bytes_per_message | pb_median)
	m=$(cat "$dir/$c".*.json | pb_field delta_bytes_max | pb_median)
	echo "| median | $c | $p | ${u:0:5} | ${b%.*} | $m |"
done
