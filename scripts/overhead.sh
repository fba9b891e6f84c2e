#!/usr/bin/env bash
# overhead.sh measures what pulseboard costs the machine it watches, beside
# Netdata and node_exporter+Prometheus doing the same job, in one run:
#
#   pulseboard (load)  host + 10 simulated sources x 5 series at 1 s, one
#                      WebSocket client (pulseload -clients 1)
#   pulseboard (idle)  one simulated series at 1 s, no client
#   pulseboard (idle, memory only)  the same with -storage.path ""
#   node_exporter + Prometheus scraping it every second
#   Netdata            RAM mode, no python.d/charts.d/go.d plugins
#
# Every daemon runs on loopback, pinned with taskset to $CPUSET; the client
# to $CLIENT_CPUSET. Each pulseboard stores its history as the demo
# config does (storage.path left out of a file means the state directory),
# in a directory of its own under the temporary one; its config sits alone
# in another, since pulseboard watches the config's directory and the
# logs written beside it would wake it. After $WARMUP seconds, CPU is read from /proc/<pid>/stat
# (utime+stime of the process and all its descendants, plus the children
# it reaped) at the start and the end of a $DURATION-second window; RSS is
# VmRSS summed over the process tree at the end. With BEFORE=<binary>, that
# pulseboard build runs both configurations beside this one (a before/after
# ratio from one run). Prints a Markdown table, also written to $OUT if set.
#
# Needs: go, taskset, curl, python3, and the Debian packages netdata, prometheus,
# prometheus-node-exporter. Everything it starts is stopped and its
# temporary directory removed on exit, Ctrl-C included.
#
#   DURATION=600 BEFORE=/tmp/pulseboard-main scripts/overhead.sh
set -euo pipefail

DURATION=${DURATION:-600}
WARMUP=${WARMUP:-60}
CPUSET=${CPUSET:-0}
CLIENT_CPUSET=${CLIENT_CPUSET:-1}
BASE_PORT=${BASE_PORT:-18300}
BEFORE=${BEFORE:-}
OUT=${OUT:-}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cfg=$here/overhead
for tool in go taskset curl python3 netdata prometheus prometheus-node-exporter; do
	command -v "$tool" >/dev/null || { echo "overhead.sh: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d /tmp/pulseboard-overhead.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in a session of its own, pinned, logging to
# $work/NAME.log; its pid (the session's) goes into $pids and pid_NAME.
start() {
	local name=$1
	shift
	setsid taskset -c "$CPUSET" "$@" >"$work/$name.log" 2>&1 &
	pids+=("$!")
	printf -v "pid_$name" %s "$!"
}

# tree PID: PID and its descendants.
tree() {
	echo "$1"
	local c
	for c in $(pgrep -P "$1" || true); do tree "$c"; done
}

# ticks PID: CPU clock ticks of the tree, reaped children included.
ticks() {
	local p sum=0 root=1 f
	for p in $(tree "$1"); do
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# after "pid (comm) ": state is $1, utime $12, stime $13, cutime $14, cstime $15
		sum=$((sum + $(awk -v r=$root '{print $12 + $13 + (r ? $14 + $15 : 0)}' <<<"$f")))
		root=0
	done
	echo "$sum"
}

# rss PID: VmRSS of the tree in kB.
rss() {
	local p sum=0 kb
	for p in $(tree "$1"); do
		kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
		sum=$((sum + ${kb:-0}))
	done
	echo "$sum"
}

# metric PORT NAME: one sample of pulseboard's /metrics.
metric() {
	curl -fsS "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n {printf "%d", $2}'
}

echo "building pulseboard and pulseload at $(git -C "$repo" rev-parse --short HEAD)" >&2
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/pulseboard" ./cmd/pulseboard && go build -o "$work/pulseload" ./cmd/pulseload)

port=$BASE_PORT
runs=() # "label name port"
pulseboard() { # LABEL BINARY CONFIG WITHCLIENT [STORAGE: stored (default) or memory]
	local label=$1 bin=$2 conf=$3 name p store
	name=pb$((port - BASE_PORT))
	p=$port
	port=$((port + 1))
	mkdir -p "$work/$name.conf"
	sed "s/__PORT__/$p/" "$cfg/$conf" >"$work/$name.conf/config.yaml"
	store=$work/$name.data
	if [ "${5:-stored}" = memory ]; then store=""; fi
	start "$name" "$bin" -config "$work/$name.conf/config.yaml" -storage.path "$store"
	runs+=("$label|$name|$p")
	if [ "$4" = client ]; then
		# pulseload measures at most 10 minutes: reconnect when it ends.
		setsid bash -c "until curl -fs -o /dev/null http://127.0.0.1:$p/healthz; do sleep 0.2; done
			while :; do taskset -c $CLIENT_CPUSET '$work/pulseload' -url ws://127.0.0.1:$p/ws -clients 1 -duration 10m -report 10m >/dev/null 2>&1 || sleep 1; done" &
		pids+=("$!")
	fi
}
pulseboard "pulseboard: host + 10 simulated x 5 series, 1 client" "$work/pulseboard" pulseboard-load.yaml client
pulseboard "pulseboard: 1 simulated series, no client" "$work/pulseboard" pulseboard-idle.yaml none
pulseboard "pulseboard: 1 simulated series, no client, memory only" "$work/pulseboard" pulseboard-idle.yaml none memory
if [ -n "$BEFORE" ]; then
	pulseboard "pulseboard BEFORE ($BEFORE): host + 10 simulated x 5 series, 1 client" "$BEFORE" pulseboard-load.yaml client
	pulseboard "pulseboard BEFORE ($BEFORE): 1 simulated series, no client" "$BEFORE" pulseboard-idle.yaml none
	pulseboard "pulseboard BEFORE ($BEFORE): 1 simulated series, no client, memory only" "$BEFORE" pulseboard-idle.yaml none memory
fi

node_port=$((BASE_PORT + 10))
prom_port=$((BASE_PORT + 11))
netdata_port=$((BASE_PORT + 12))
start node prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port"
sed "s/__NODE__/$node_port/" "$cfg/prometheus.yml" >"$work/prometheus.yml"
start prom prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
	--web.listen-address="127.0.0.1:$prom_port"
mkdir -p "$work/netdata/etc" "$work/netdata/cache" "$work/netdata/lib" "$work/netdata/log" "$work/netdata/lock"
sed -e "s|__DIR__|$work/netdata|" -e "s/__PORT__/$netdata_port/" "$cfg/netdata.conf" >"$work/netdata/etc/netdata.conf"
DO_NOT_TRACK=1 start netdata netdata -D -c "$work/netdata/etc/netdata.conf"

echo "warming up for ${WARMUP}s, then measuring for ${DURATION}s" >&2
sleep "$WARMUP"
names=(node prom netdata)
for r in "${runs[@]}"; do IFS='|' read -r _ n _ <<<"$r"; names+=("$n"); done
declare -A t0
for n in "${names[@]}"; do
	pid_var=pid_$n
	t0[$n]=$(ticks "${!pid_var}")
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
s0=$(date +%s.%N)
sleep "$DURATION"
s1=$(date +%s.%N)
load1=$(cut -d' ' -f1-3 /proc/loadavg)
hz=$(getconf CLK_TCK)

pct() { # NAME: % of one core over the window
	local pid_var=pid_$1
	awk -v a="${t0[$1]}" -v b="$(ticks "${!pid_var}")" -v hz="$hz" -v s0="$s0" -v s1="$s1" \
		'BEGIN {printf "%.3f", (b - a) / hz / (s1 - s0) * 100}'
}
mb() { local pid_var=pid_$1; awk -v k="$(rss "${!pid_var}")" 'BEGIN {printf "%.1f", k / 1024}'; }

{
	echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(uname -r)); ${DURATION}s after ${WARMUP}s of warm-up;"
	echo "daemons pinned to CPU $CPUSET, client to CPU $CLIENT_CPUSET; load average $load0 at the start, $load1 at the end."
	echo
	echo "| process(es) | CPU, % of one core | RSS, MB | history bytes / points |"
	echo "|---|---|---|---|"
	for r in "${runs[@]}"; do
		IFS='|' read -r label n p <<<"$r"
		hb=$(metric "$p" pulseboard_history_bytes || true)
		hp=$(metric "$p" pulseboard_history_points || true)
		if [ -z "$hp" ]; then # a build without the gauge: count the snapshot's points
			hp=$(curl -fsS "http://127.0.0.1:$p/api/v1/snapshot" |
				python3 -c 'import json,sys; print(sum(len(s["points"]) for s in json.load(sys.stdin)["series"]))' || true)
		fi
		ratio=""
		if [ -n "$hb" ] && [ -n "$hp" ] && [ "$hp" != 0 ]; then
			ratio=$(awk -v b="$hb" -v n="$hp" 'BEGIN {printf "%d / %d = %.2f B", b, n, b / n}')
		fi
		echo "| $label | $(pct "$n") | $(mb "$n") | $ratio |"
	done
	echo "| node_exporter | $(pct node) | $(mb node) | |"
	echo "| Prometheus (1 s scrape of node_exporter) | $(pct prom) | $(mb prom) | |"
	echo "| Netdata $(netdata -v 2>&1 | awk '{print $2}') (RAM mode, no python.d/charts.d/go.d) | $(pct netdata) | $(mb netdata) | |"
} | tee ${OUT:+"$OUT"}
