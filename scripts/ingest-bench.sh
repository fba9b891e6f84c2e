#!/usr/bin/env bash
# ingest-bench.sh measures ingest in the running binary (issue 15's
# "≥ 1M samples/s a core with storage on"), not in a micro-benchmark: the
# whole program's CPU per sample stored, collection and publish included.
#
# It writes a config of $SOURCES simulated sources of $SERIES random-walk
# series each, polled every $INTERVAL, and runs the binary on it with
# storage off (-storage.path "") and on (a temporary data directory), one
# after the other, $RUNS times each, pinned to core $SERVER_CPU. After
# $WARMUP s it reads the process's CPU time from /proc/<pid>/stat and
# pulseboard_samples_ingested_total from /metrics, and again $MEASURE s
# later. With $CLIENTS > 0, that many WebSocket clients (pulseload, on core
# $TOOL_CPU) read the stream meanwhile: a publish with a dashboard open.
#
# Prints, per run and as medians: samples/s stored, CPU as % of one core,
# and samples per CPU-second (samples/s ÷ cores busy). Markdown, also to
# $OUT if set.
#
# Needs: go, taskset, curl.
#
#   RUNS=3 SOURCES=10 SERIES=10000 scripts/ingest-bench.sh
set -euo pipefail

RUNS=${RUNS:-3}
SOURCES=${SOURCES:-10}
SERIES=${SERIES:-10000}
INTERVAL=${INTERVAL:-1s}
WARMUP=${WARMUP:-60}
MEASURE=${MEASURE:-30}
CLIENTS=${CLIENTS:-0}
PORT=${PORT:-18500}
SERVER_CPU=${SERVER_CPU:-0}
TOOL_CPU=${TOOL_CPU:-1}
OUT=${OUT:-}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
for tool in go taskset curl; do
	command -v "$tool" >/dev/null || { echo "ingest-bench.sh: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d /tmp/pulseboard-ingest-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$repo" && go build -o "$work/pulseboard" ./cmd/pulseboard && go build -o "$work/pulseload" ./cmd/pulseload)

cfg=$work/ingest.yaml
{
	echo "server:"
	echo "  listen: 127.0.0.1:$PORT"
	echo "sources:"
	for i in $(seq 1 "$SOURCES"); do
		echo "  - name: sim$i"
		echo "    type: simulated"
		echo "    interval: $INTERVAL"
		echo "    series:"
		echo "      - {metric: load_$i, shape: random_walk, min: 0, max: 1000, noise: 10, count: $SERIES}"
	done
} >"$cfg"
"$work/pulseboard" check -config "$cfg" >/dev/null

url=http://127.0.0.1:$PORT
hz=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ingested() { curl -sf "$url/metrics" | awk '/^pulseboard_samples_ingested_total /{print $2}'; }

# run MODE prints "samples/s cpu% per-cpu-s" for one process.
run() {
	local mode=$1 storage=()
	case $mode in
	off) storage=(-storage.path "") ;;
	on) rm -rf "$work/data"; storage=(-storage.path "$work/data") ;;
	esac
	taskset -c "$SERVER_CPU" "$work/pulseboard" -config "$cfg" "${storage[@]}" >"$work/$mode.log" 2>&1 &
	local pid=$! load=
	pids+=("$pid")
	for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
	if [ "$CLIENTS" -gt 0 ]; then
		taskset -c "$TOOL_CPU" "$work/pulseload" -url "ws://127.0.0.1:$PORT/ws"\
			-clients "$CLIENTS" -ramp 1s -duration $((WARMUP + MEASURE + 10))s >"$work/load.log" 2>&1 &
		load=$!
		pids+=("$load")
	fi
	sleep "$WARMUP"
	local c0 n0 t0 c1 n1 t1
	c0=$(cputicks "$pid"); n0=$(ingested); t0=$(date +%s.%N)
	sleep "$MEASURE"
	c1=$(cputicks "$pid"); n1=$(ingested); t1=$(date +%s.%N)
	kill -TERM "$pid"; wait "$pid" || true
	[ -n "$load" ] && { kill -TERM "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true; }
	awk -v c0="$c0" -v c1="$c1" -v n0="$n0" -v n1="$n1" -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {
		dt = t1 - t0; cpu = (c1 - c0) / hz / dt; n = (n1 - n0) / dt
		printf "%.0f %.1f %.0f\n", n, 100 * cpu, (cpu > 0 ? n / cpu : 0)
	}'
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

{
	echo "ingest-bench: $SOURCES sources × $SERIES series every $INTERVAL, $CLIENTS clients, warm-up ${WARMUP}s, measured over ${MEASURE}s, server on core $SERVER_CPU ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo
	echo "| storage | run | samples/s | CPU, % of a core | samples per CPU-second |"
	echo "|---|---|---|---|---|"
} | tee ${OUT:+"$OUT"}
declare -A per
for r in $(seq 1 "$RUNS"); do
	for mode in off on; do
		read -r n cpu per_cpu < <(run "$mode")
		per[$mode]+="$per_cpu "
		echo "| $mode | $r | $n | $cpu | $per_cpu |" | tee ${OUT:+-a "$OUT"}
	done
done
for mode in off on; do
	echo "| $mode | median | | | $(tr ' ' '\n' <<<"${per[$mode]}" | grep . | median) |" | tee ${OUT:+-a "$OUT"}
done
