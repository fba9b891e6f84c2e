#!/usr/bin/env bash
# ingest-bench.sh measures ingest in the running binary (issue 15's
# "≥ 1M samples/s a core with storage on"), not in a micro-benchmark: the
# whole program's CPU per sample stored, collection and publish included,
# and beside it the aggregator goroutine's own (the ingest path).
#
# It writes a config of $SOURCES simulated sources of $SERIES random-walk
# series each, polled every $INTERVAL (aggregator.memory_limit
# $MEMORY_LIMIT, so that pulseboard check lets 100,000 series in), and
# runs the binary on it with storage off (-storage.path "") and on (a
# temporary data directory), for each mode of $MODES, $RUNS times each,
# pinned to core $SERVER_CPU. After $WARMUP s it reads the process's CPU
# time from /proc/<pid>/stat and pulseboard_samples_ingested_total from
# /metrics, and again after $MEASURE s; meanwhile it takes CPU profiles
# of $PROFILE s each back to back (/debug/pprof/profile, behind the admin
# token the config sets; the server's write timeout is 10 s) and splits
# their samples by the goroutine label the aggregator sets: aggregator
# (Serve: ingest, settle, sweep, publish), flusher (storage), and the rest
# (the sources, the garbage collector's workers, HTTP). With $CLIENTS > 0,
# that many WebSocket clients (pulseload, on core $TOOL_CPU) read the
# stream meanwhile: a publish with a dashboard open.
#
# $BINARIES, if set, is a list of name=path of pulseboard binaries to
# compare (A/B): each run takes each binary in turn, interleaved. Unset, the
# repository is built and named "head".
#
# Prints, per run and as medians: samples/s stored, CPU as % of one core,
# samples per CPU-second of the whole process, the aggregator goroutine's
# share of that CPU and its samples per CPU-second, and the flusher's share.
# Markdown, also to $OUT if set.
#
# Needs: go, taskset, curl.
#
#   RUNS=3 SOURCES=10 SERIES=10000 scripts/ingest-bench.sh
#   BINARIES="base=/tmp/pb-base new=/tmp/pb-new" MODES=on scripts/ingest-bench.sh
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
MODES=${MODES:-off on}
MEMORY_LIMIT=${MEMORY_LIMIT:-8GiB}
PROFILE=${PROFILE:-8}
BINARIES=${BINARIES:-}

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

if [ -z "$BINARIES" ]; then
	(cd "$repo" && go build -o "$work/pulseboard" ./cmd/pulseboard)
	BINARIES="head=$work/pulseboard"
fi
[ "$CLIENTS" -gt 0 ] && (cd "$repo" && go build -o "$work/pulseload" ./cmd/pulseload)
first_bin=${BINARIES%% *}
first_bin=${first_bin#*=}

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cfg=$work/ingest.yaml
{
	echo "server:"
	echo "  listen: 127.0.0.1:$PORT"
	echo "  auth: {admin_token: $token}"
	echo "aggregator:"
	echo "  memory_limit: $MEMORY_LIMIT"
	echo "sources:"
	for i in $(seq 1 "$SOURCES"); do
		echo "  - name: sim$i"
		echo "    type: simulated"
		echo "    interval: $INTERVAL"
		echo "    series:"
		echo "      - {metric: load_$i, shape: random_walk, min: 0, max: 1000, noise: 10, count: $SERIES}"
	done
} >"$cfg"
"$first_bin" check -config "$cfg" >/dev/null

url=http://127.0.0.1:$PORT
hz=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ingested() { curl -sf "$url/metrics" | awk '/^pulseboard_samples_ingested_total /{print $2}'; }

# shares PROFILES... prints the aggregator's and the flusher's share of the
# profiles' CPU samples (0…1), from the goroutine label.
shares() {
	go tool pprof -raw "$@" 2>/dev/null | awk '
		/^Samples:/ { s = 1; next }
		/^Locations/ { s = 0 }
		s && /^ *[0-9]+ +[0-9]+:/ { n = $2; cur = n; all += n; next }
		s && /goroutine:\[aggregator\]/ { agg += cur }
		s && /goroutine:\[flusher\]/ { fl += cur }
		END { if (all > 0) printf "%.4f %.4f\n", agg / all, fl / all; else print "0 0" }'
}

# run BIN MODE prints "samples/s cpu% per-cpu-s agg-share flusher-share"
# for one process.
run() {
	local bin=$1 mode=$2 storage=()
	case $mode in
	off) storage=(-storage.path "") ;;
	on) rm -rf "$work/data"; storage=(-storage.path "$work/data") ;;
	esac
	taskset -c "$SERVER_CPU" "$bin" -config "$cfg" "${storage[@]}" >"$work/$mode.log" 2>&1 &
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
	local c0 n0 t0 c1 n1 t1 profs=() i=0 end
	rm -f "$work"/cpu.*.pprof
	c0=$(cputicks "$pid"); n0=$(ingested); t0=$(date +%s.%N)
	end=$(awk -v t="$t0" -v m="$MEASURE" 'BEGIN { printf "%d", t + m }')
	while [ $(( $(date +%s) + PROFILE )) -le "$end" ]; do
		i=$((i + 1))
		taskset -c "$TOOL_CPU" curl -sf -H "Authorization: Bearer $token" -o "$work/cpu.$i.pprof" "$url/debug/pprof/profile?seconds=$PROFILE" && profs+=("$work/cpu.$i.pprof")
	done
	while [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
	c1=$(cputicks "$pid"); n1=$(ingested); t1=$(date +%s.%N)
	kill -TERM "$pid"; wait "$pid" || true
	[ -n "$load" ] && { kill -TERM "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true; }
	local sh="0 0"
	[ ${#profs[@]} -gt 0 ] && sh=$(shares "${profs[@]}")
	awk -v c0="$c0" -v c1="$c1" -v n0="$n0" -v n1="$n1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v sh="$sh" 'BEGIN {
		split(sh, f, " ")
		dt = t1 - t0; cpu = (c1 - c0) / hz / dt; n = (n1 - n0) / dt
		printf "%.0f %.1f %.0f %.1f %.0f %.1f\n", n, 100 * cpu, (cpu > 0 ? n / cpu : 0), 100 * f[1], (cpu * f[1] > 0 ? n / (cpu * f[1]) : 0), 100 * f[2]
	}'
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

{
	echo "ingest-bench: $SOURCES sources × $SERIES series every $INTERVAL, $CLIENTS clients, warm-up ${WARMUP}s, measured over ${MEASURE}s, server on core $SERVER_CPU ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo
	echo "| binary | storage | run | samples/s | CPU, % of a core | samples per CPU-second | aggregator goroutine, % of the CPU | its samples per CPU-second | flusher, % |"
	echo "|---|---|---|---|---|---|---|---|---|"
} | tee ${OUT:+"$OUT"}
declare -A per agg
for r in $(seq 1 "$RUNS"); do
	for b in $BINARIES; do
		for mode in $MODES; do
			read -r n cpu per_cpu share per_agg fl < <(run "${b#*=}" "$mode")
			per[${b%%=*}/$mode]+="$per_cpu "
			agg[${b%%=*}/$mode]+="$per_agg "
			echo "| ${b%%=*} | $mode | $r | $n | $cpu | $per_cpu | $share | $per_agg | $fl |" | tee ${OUT:+-a "$OUT"}
		done
	done
done
for b in $BINARIES; do
	for mode in $MODES; do
		k=${b%%=*}/$mode
		echo "| ${b%%=*} | $mode | median | | | $(tr ' ' '\n' <<<"${per[$k]}" | grep . | median) | | $(tr ' ' '\n' <<<"${agg[$k]}" | grep . | median) | |" | tee ${OUT:+-a "$OUT"}
	done
done
