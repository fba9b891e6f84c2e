#!/usr/bin/env bash
# rangeflood-bench.sh measures what a flood of WebSocket range requests
# costs the readers of the stream (issue 14, trial round 10's range flood),
# two builds of pulseboard paired, on the real binary with a day of stored
# history (cmd/pulsefill, the demo config):
#
#   base     the demo config, 5 pulseload readers;
#   idle     the same, plus $CONNS connections (scripts/rangeflood) that
#            each ask for one range and then only read the stream: the
#            cost of that many dashboards, which the flood cannot be
#            better than;
#   flood    the same $CONNS connections, each asking every second for
#            150 series over the last 24 hours at 2,000 points (answered
#            from the minute tier, about 3 MB each, as far as the range
#            and dear budgets let them).
#
# For each of $RUNS rounds it measures base and idle (the second build
# only), then flood with each build, which build goes first alternating
# from round to round. Each measure is a fresh server on a fresh copy of
# the filled data directory, run 8 s, the attack started 6 s before the 5
# readers' $SECS s (after a 2 s warm-up). The server runs on core 0 (so
# GOMAXPROCS is 1), the attack on core 1 under nice 19, the readers on
# core 1 under chrt -f 10 (so that what they measure is the server, not
# the attack's own CPU on their core; run as root). Prints each measure's
# readers' p99 and largest delay, the server's CPU and the attack's
# counts, then the medians.
#
#   RUNS=3 scripts/rangeflood-bench.sh OLD-BINARY NEW-BINARY
#
# Needs: go, taskset, chrt, curl.
set -euo pipefail
old=${1:?old pulseboard binary}
new=${2:?new pulseboard binary}
RUNS=${RUNS:-3}
SECS=${SECS:-20}
CONNS=${CONNS:-300}
port=18803
. "$(dirname "$0")/lib.sh"
pb_setup
pb_build "$dir" ./cmd/pulseload ./cmd/pulsefill ./scripts/rangeflood
pb_demo_config "$port" "$dir/demo.yaml"
"$dir/pulsefill" -dir "$dir/filled" -config "$dir/demo.yaml" -span 24h >/dev/null

# measure BINARY MODE: one fresh server, the attack of MODE, one
# pulseload run; prints a table row's cells.
measure() {
	rm -rf "$dir/data"
	cp -r "$dir/filled" "$dir/data"
	taskset -c 0 "$1" -config "$dir/demo.yaml" -storage.path "$dir/data" -log-level warn >/dev/null 2>&1 &
	local pid=$! fp="" j
	pids+=("$pid")
	pb_wait_healthy "$port"
	sleep 8
	if [ "$2" != base ]; then
		local every=1s
		[ "$2" = idle ] && every=5m
		nice -n 19 taskset -c 1 "$dir/rangeflood" -url "ws://127.0.0.1:$port/ws" -conns "$CONNS" -every "$every" \
			-span 24h -duration "$((SECS + 12))s" >"$dir/flood.out" 2>&1 &
		fp=$!
		sleep 6
	fi
	j=$(chrt -f 10 taskset -c 1 "$dir/pulseload" -url "ws://127.0.0.1:$port/ws" -clients 5 -warmup 2s \
		-duration "${SECS}s" -report 100s -json -pid "$pid" 2>/dev/null | sed -n '/^{/,$p')
	[ -n "$fp" ] && wait "$fp"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	echo "$(pb_field delay_p99_ms <<<"$j") | $(pb_field delay_max_ms <<<"$j") | $(pb_field server_cpu_percent <<<"$j" | cut -d. -f1) | $([ -n "$fp" ] && sed 's/^rangeflood: //' "$dir/flood.out")"
}

row() { # RUN BUILD MODE
	local cells
	cells=$(measure "$([ "$2" = old ] && echo "$old" || echo "$new")" "$3")
	echo "$1 $2 $3 ${cells%% |*}" >>"$dir/p99s"
	echo "| $1 | $2 | $3 | $cells | $(uptime | sed 's/.*average: //') |"
}

echo "| run | build | mode | readers' p99 ms | max ms | server CPU % | attack | load average |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
	row "$r" new base
	row "$r" new idle
	if [ $((r % 2)) = 1 ]; then row "$r" old flood; row "$r" new flood; else row "$r" new flood; row "$r" old flood; fi
done
for m in "new base" "new idle" "old flood" "new flood"; do
	echo "| median | ${m% *} | ${m#* } | $(grep " $m " "$dir/p99s" | awk '{print $4}' | pb_median) | | | | |"
done
