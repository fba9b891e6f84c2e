#!/usr/bin/env bash
# slowreconnect-bench.sh measures what slow WebSocket readers that dial
# again at once when cut cost the readers of the stream (issue 14, attack
# trial 14 round 7, N3), two builds of pulseboard paired, on the real
# binary. The attack is scripts/slowreconnect: $CONNS connections from
# 127.0.0.1, each reading $RATE bytes a second through a 4 KiB receive
# buffer, each dialling again at once when cut and 500 ms after a refused
# handshake.
#
# For each of $RUNS rounds: a base measure (the new build, no attack),
# then the attack with each build, which goes first alternating from round
# to round. Each measure is a fresh server (history in memory only; the
# trial's config: 50 simulated series at 100 ms and the host source) run
# $SETTLE s; then 5 pulseload readers connect, the attack starts a second
# later, and the readers measure for $SECS s after a warm-up of $WARMUP
# (the attack's first round of cuts falls in the warm-up: what is measured
# is the attack going on). The readers connect before the attack because
# they share its address: on loopback a server that slows down the
# attack's address slows down new readers there too. The server runs on
# core 0 (GOMAXPROCS 1), the readers on core 1 at nice 10 and the attack
# on core 1 at nice 19, as the trial ran them. Prints each measure's
# readers' p99 and largest delay, server CPU, the server's slow cuts and
# refused handshakes over the measure, and the load average; then the
# medians.
#
#   RUNS=3 scripts/slowreconnect-bench.sh OLD-BINARY NEW-BINARY
#
# Needs: go, taskset, curl.
set -euo pipefail
old=${1:?old pulseboard binary}
new=${2:?new pulseboard binary}
RUNS=${RUNS:-3}
SECS=${SECS:-15}
SETTLE=${SETTLE:-30}
WARMUP=${WARMUP:-12}
CONNS=${CONNS:-1000}
RATE=${RATE:-1000}
port=18861
. "$(dirname "$0")/lib.sh"
pb_setup
pb_build "$dir" ./cmd/pulseload ./scripts/slowreconnect

cat >"$dir/base.yaml" <<YAML
server:
  listen: 127.0.0.1:$port
broadcast:
  interval: 100ms
sources:
  - name: steady
    type: simulated
    interval: 100ms
    series:
      - {metric: load, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: 50}
  - name: host
    type: host
    interval: 1s
YAML

# counter NAME LABEL: a counter's value from the server's /metrics.
counter() { curl -s -m 5 "http://127.0.0.1:$port/metrics" | awk -v n="$1{reason=\"$2\"}" '$1 == n {print $2}'; }

# measure BINARY ATTACK(0|1): one fresh server, one pulseload run, the
# attack beside it or not; prints pulseload's JSON, then a line "cuts
# refused" (over the measure).
measure() {
	taskset -c 0 "$1" -config "$dir/base.yaml" -storage.path "" -log-level warn >/dev/null 2>>"${PB_SERVER_LOG:-/dev/null}" &
	local pid=$! a=""
	pids+=("$pid")
	pb_wait_healthy "$port" || return
	sleep "$SETTLE"
	nice -n 10 taskset -c 1 "$dir/pulseload" -url "ws://127.0.0.1:$port/ws" -clients 5 -warmup "${WARMUP}s" \
		-duration "${SECS}s" -report 100s -json -pid "$pid" >"$dir/out.json" 2>/dev/null &
	local l=$!
	sleep 1
	if [ "$2" = 1 ]; then
		nice -n 19 taskset -c 1 "$dir/slowreconnect" -url "ws://127.0.0.1:$port/ws" -conns "$CONNS" -rate "$RATE" \
			-duration "$((WARMUP + SECS + 2))s" >"$dir/atk.out" 2>&1 &
		a=$!
	fi
	sleep "$((WARMUP - 1))"
	local c0 r0 c1 r1
	c0=$(counter pulseboard_ws_disconnects_total slow)
	r0=$(counter pulseboard_ws_handshakes_refused_total slow_cuts)
	wait "$l" || true
	c1=$(counter pulseboard_ws_disconnects_total slow)
	r1=$(counter pulseboard_ws_handshakes_refused_total slow_cuts)
	[ -n "$a" ] && { wait "$a" || true; }
	sed -n '/^{/,$p' "$dir/out.json"
	echo "cuts $((${c1%.*} - ${c0%.*})) refused $((${r1:-0} - ${r0:-0}))"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

row() { # RUN BUILD ATTACK
	local j
	j=$(measure "$([ "$2" = old ] && echo "$old" || echo "$new")" "$3")
	printf '%s\n' "$j" >"$dir/$2.$3.$1.json"
	echo "| $1 | $2 | $([ "$3" = 1 ] && echo attack || echo base) | $(pb_field delay_p99_ms <<<"$j") | $(pb_field delay_max_ms <<<"$j") | $(pb_field server_cpu_percent <<<"$j" | cut -c1-5) | $(sed -n 's/^cuts \([0-9-]*\) refused \([0-9-]*\)/\1 | \2/p' <<<"$j") | $(pb_field disconnects <<<"$j") | $(uptime | sed 's/.*average: //') |"
}

echo "| run | build | window | readers' p99 ms | max ms | server CPU % | slow cuts | refused slow_cuts | readers' disconnects | load average |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq "$RUNS"); do
	row "$r" new 0
	if [ $((r % 2)) = 1 ]; then row "$r" old 1; row "$r" new 1; else row "$r" new 1; row "$r" old 1; fi
done
for b in new.0 old.1 new.1; do
	p=$(cat "$dir/$b".*.json | pb_field delay_p99_ms | pb_median)
	m=$(cat "$dir/$b".*.json | pb_field delay_max_ms | pb_median)
	u=$(cat "$dir/$b".*.json | pb_field server_cpu_percent | pb_median)
	echo "| median | ${b%%.*} | $([ "${b#*.}" = 1 ] && echo attack || echo base) | $p | $m | ${u:0:5} | | | | |"
done
