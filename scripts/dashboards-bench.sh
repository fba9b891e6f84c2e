#!/usr/bin/env bash
# dashboards-bench.sh measures 10,000 dashboards on the demo config (issue
# 13, point 3), two builds of pulseboard paired, on the real binary: for
# each of $RUNS rounds, a fresh server of each build (which goes first
# alternating from round to round) on core 0, pulseload on core 1 with
# $CLIENTS clients ramped over 10 s, measured for $SECS s. Prints each
# run's delivery delay p50 and p99, messages a second, server CPU, µs of
# server CPU a delivered message, RSS a client (RSS at the end less RSS
# before the first connect, over the clients), clients connected,
# resyncs, and the load average; then each build's medians.
#
#   RUNS=3 scripts/dashboards-bench.sh OLD-BINARY NEW-BINARY
#
# Set COMPRESS=1 to have pulseload offer permessage-deflate, as browsers
# do (its inflating then costs it most of its core). Needs: go, taskset.
set -euo pipefail
old=${1:?old pulseboard binary}
new=${2:?new pulseboard binary}
RUNS=${RUNS:-3}
SECS=${SECS:-30}
CLIENTS=${CLIENTS:-10000}
port=18802
cd "$(dirname "$0")/.."
. scripts/lib.sh
pb_setup
pb_build "$dir" ./cmd/pulseload
compress=()
[ "${COMPRESS:-0}" = 1 ] && compress=(-compress)
# Ten thousand sockets each side.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# The demo config with the server's session budget off: this measures
# 10,000 open dashboards, not how fast they may come.
pb_demo_config "$port" "$dir/demo.yaml"

# measure BINARY: one fresh server (the demo, memory only) and one
# pulseload run; prints pulseload's JSON.
measure() {
	taskset -c 0 "$1" -config "$dir/demo.yaml" -storage.path "" -log-level warn >/dev/null 2>>"${PB_SERVER_LOG:-/dev/null}" &
	local pid=$!
	pids+=("$pid")
	pb_wait_healthy "$port" || return
	sleep 5
	taskset -c 1 "$dir/pulseload" -url "ws://127.0.0.1:$port/ws" -clients "$CLIENTS" -ramp 10s \
		-duration "${SECS}s" -report 100s -json -pid "$pid" "${compress[@]}" 2>/dev/null | sed -n '/^{/,$p'
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

# us_a_message: µs of server CPU a delivered message, from pulseload's
# JSON on stdin.
us_a_message() {
	local j
	j=$(cat)
	awk -v c="$(pb_field server_cpu_percent <<<"$j")" -v m="$(pb_field messages_per_second <<<"$j")" \
		'BEGIN {printf "%.2f\n", c / 100 * 1e6 / m}'
}

row() { # RUN BUILD
	local j
	j=$(measure "$([ "$2" = old ] && echo "$old" || echo "$new")")
	printf '%s\n' "$j" >"$dir/$2.$1.json"
	local cpu msgs
	cpu=$(pb_field server_cpu_percent <<<"$j")
	msgs=$(pb_field messages_per_second <<<"$j")
	echo "| $1 | $2 | $(pb_field delay_p50_ms <<<"$j") | $(pb_field delay_p99_ms <<<"$j") | ${msgs%.*} | ${cpu:0:5} | $(us_a_message <<<"$j") | $(awk -v b="$(pb_field server_rss_per_client_bytes <<<"$j")" 'BEGIN {printf "%.1f", b / 1024}') | $(pb_field connected <<<"$j") | $(pb_field resyncs <<<"$j") | $(uptime | sed 's/.*average: //') |"
}

echo "| run | build | p50 ms | p99 ms | msgs/s | server CPU % | µs a message | KiB a client | connected | resyncs | load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$RUNS"); do
	if [ $((r % 2)) = 1 ]; then row "$r" old; row "$r" new; else row "$r" new; row "$r" old; fi
done
for b in old new; do
	med() { cat "$dir/$b".*.json | pb_field "$1" | pb_median; }
	cpu=$(med server_cpu_percent)
	echo "| median | $b | $(med delay_p50_ms) | $(med delay_p99_ms) | $(med messages_per_second | cut -d. -f1) | ${cpu:0:5} | $(for f in "$dir/$b".*.json; do us_a_message <"$f"; done | pb_median) | $(med server_rss_per_client_bytes | awk '{printf "%.1f", $1 / 1024}') | | | |"
done
