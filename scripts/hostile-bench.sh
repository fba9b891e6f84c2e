#!/usr/bin/env bash
# hostile-bench.sh measures what a hostile prometheus target that stays
# inside every limit costs the readers of the stream (issue 14, attack
# trial round 6, F2), two builds of pulseboard paired, on the real binary:
#
#   base     50 simulated series at 100 ms;
#   wide     the same, plus a source polled every 1 s whose 4.4 MB body
#            has 2,250 of its 3,050 series dropped by the label limits
#            (scripts/widetarget -shape wide, the trial's /wide);
#   explode  the same, plus a source polled every 2 s sending 70,000
#            series, refused by the default sample_limit of 50,000
#            (-shape explode, the trial's /explode);
#   churn    the same, plus a source polled every 1 s whose 9,000 series
#            carry a new label value at every scrape (-shape churn, round
#            7's /churn, N2);
#   vary     the same, plus a source polled every 1 s of 3,000 series
#            dropped by the label limits, each with a part that changes at
#            every scrape (-shape vary, round 7's /vary, N2);
#   atlimit  the same, plus a source polled every 1 s of 9,000 series
#            × 29 labels, inside every limit, a tenth of them changing
#            at every scrape (-shape atlimit -vary 10, round 2's target
#            at the rate of the others);
#   atlimit2s  the same, plus round 2's target as the trial ran it: 9,000
#            series × 29 labels polled every 2 s, values constant
#            (-shape atlimit; scripts/wide-bench.sh's "wide");
#   churn40  the same, plus 40 sources polled every 1 s of one target
#            whose 20 series carry a new label value at every scrape:
#            800 new series a second, each source far under its own
#            budget (round 10's F5).
#   all      the same, plus ten of these at once, as a careless operator's
#            config might hold them (trial 14 round 10's "Done when": ten
#            hostile targets): wide, explode, churn, vary, atlimit,
#            atlimit2s and four of churn40's sources.
#
# $CONFIGS picks the attacks measured (default "wide explode churn vary").
#
# For each of $RUNS rounds it measures base (the second build only), then
# each attack with each build, which build goes first alternating
# from round to round. Each measure is a fresh server (history in memory
# only) run $SETTLE s, then 5 pulseload readers for $SECS s after a warm-up
# of $WARMUP. The server runs on core 0 (so GOMAXPROCS is 1), pulseload and
# the targets on core 1 under nice -n 19, as the trial ran them. Prints
# each measure's readers' p99 and largest delay, the server side's p99
# (the bucket of pulseboard_ws_delivery_delay_seconds that holds it),
# server CPU, RSS, heap in use and load average, then the medians.
#
#   RUNS=3 scripts/hostile-bench.sh OLD-BINARY NEW-BINARY
#
# Needs: go, taskset, curl.
set -euo pipefail
old=${1:?old pulseboard binary}
new=${2:?new pulseboard binary}
RUNS=${RUNS:-3}
SECS=${SECS:-20}
SETTLE=${SETTLE:-10}
WARMUP=${WARMUP:-2s}
port=18794
wport=18795
eport=18796
cport=18797
vport=18798
aport=18799
a2port=18800
c40port=18801
CONFIGS=${CONFIGS:-wide explode churn vary}
. "$(dirname "$0")/lib.sh"
pb_setup
pb_build "$dir" ./cmd/pulseload ./scripts/widetarget

base="server:
  listen: 127.0.0.1:$port
sources:
  - name: steady
    type: simulated
    interval: 100ms
    series:
      - {metric: load, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: 50}"
printf '%s\n' "$base" >"$dir/base.yaml"
printf '%s\n  - {name: wide, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 1s}\n' "$base" "$wport" >"$dir/wide.yaml"
printf '%s\n  - {name: explode, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 2s}\n' "$base" "$eport" >"$dir/explode.yaml"
printf '%s\n  - {name: churn, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 1s}\n' "$base" "$cport" >"$dir/churn.yaml"
printf '%s\n  - {name: atlimit, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 1s}\n' "$base" "$aport" >"$dir/atlimit.yaml"
printf '%s\n  - {name: atlimit2s, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 2s}\n' "$base" "$a2port" >"$dir/atlimit2s.yaml"
printf '%s\n  - {name: vary, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 1s}\n' "$base" "$vport" >"$dir/vary.yaml"
{
	printf '%s\n' "$base"
	for i in $(seq 40); do
		printf '  - {name: churn%02d, type: prometheus, url: "http://127.0.0.1:%s/metrics", interval: 1s}\n' "$i" "$c40port"
	done
} >"$dir/churn40.yaml"
{
	printf '%s\n' "$base"
	for c in wide explode churn vary atlimit atlimit2s; do sed -n "/name: $c,/p" "$dir/$c.yaml"; done
	sed -n '/name: churn0[1-4],/p' "$dir/churn40.yaml"
} >"$dir/all.yaml"

nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$wport" -shape wide -series 3000 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$eport" -shape explode -series 70000 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$cport" -shape churn -series 9000 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$vport" -shape vary -series 3000 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$aport" -shape atlimit -series 9000 -vary 10 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$a2port" -shape atlimit -series 9000 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$c40port" -shape churn -series 20 &
pids+=($!)

# measure BINARY CONFIG: one fresh server, one pulseload run; prints its
# JSON.
measure() { pb_measure "$1" "$dir/$2.yaml" "$port"; }

row() { # RUN BUILD CONFIG
	local j m="$dir/$2.$3.$1.metrics"
	j=$(PB_METRICS_OUT=$m measure "$([ "$2" = old ] && echo "$old" || echo "$new")" "$3")
	printf '%s\n' "$j" >"$dir/$2.$3.$1.json"
	echo "| $1 | $2 | $3 | $(pb_field delay_p99_ms <<<"$j") | $(pb_field delay_max_ms <<<"$j") | ≤$(pb_server_p99 "$m") | $(pb_field server_cpu_percent <<<"$j" | cut -c1-5) | $(($(pb_field server_rss_bytes <<<"$j" | cut -d. -f1 | sed "s/^$/0/") >> 20)) | $(pb_heap_mib "$m") | $(uptime | sed 's/.*average: //') |"
}

echo "| run | build | config | readers' p99 ms | max ms | server side p99 ms | server CPU % | RSS MiB | heap in use MiB | load average |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
	row "$r" new base
	for c in $CONFIGS; do
		if [ $((r % 2)) = 1 ]; then row "$r" old "$c"; row "$r" new "$c"; else row "$r" new "$c"; row "$r" old "$c"; fi
	done
done
for b in new.base $(for c in $CONFIGS; do echo "old.$c new.$c"; done); do
	p=$(cat "$dir/$b".*.json | pb_field delay_p99_ms | pb_median)
	m=$(cat "$dir/$b".*.json | pb_field delay_max_ms | pb_median)
	u=$(cat "$dir/$b".*.json | pb_field server_cpu_percent | pb_median)
	r=$(cat "$dir/$b".*.json | pb_field server_rss_bytes | pb_median)
	s=$(for f in "$dir/$b".*.metrics; do pb_server_p99 "$f"; done | pb_median)
	h=$(for f in "$dir/$b".*.metrics; do pb_heap_mib "$f"; done | pb_median)
	echo "| median | ${b%%.*} | ${b#*.} | $p | $m | ≤$s | ${u:0:5} | $((${r:-0} >> 20)) | $h | |"
done
