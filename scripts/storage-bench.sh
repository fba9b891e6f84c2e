#!/usr/bin/env bash
# storage-bench.sh measures the stored history (issue 15) on the embedded
# demo config, the binary's default, in one run:
#
#   RSS     VmRSS and VmHWM of pulseboard after $SETTLE s, with storage off
#           (-storage.path "") and on, over a data directory filled by
#           pulsefill with $SPAN of history (raw retention: the default
#           2 days). $RUNS runs of each, alternated; medians.
#   REST    GET /api/v1/series/{id}?from=now-$SPAN&step=1m for one series
#           (demo's temperature_celsius), $REQUESTS requests: p50, p99.
#   bytes   pulseboard_storage_bytes / pulseboard_storage_points per tier
#           after the fill, from /metrics.
#   100     the same fill for scripts/storagebench/series100.yaml (over 100
#           series), and one WebSocket range request for 100 series over
#           $SPAN ($WS_REQUESTS times, one after the other): time, size.
#
# The server runs on core $SERVER_CPU (taskset), every tool on core
# $TOOL_CPU. Everything it starts is stopped and its temporary directory
# removed on exit, Ctrl-C included. Prints Markdown, also to $OUT if set.
#
# Needs: go, taskset, curl.
#
#   RUNS=3 SETTLE=60 scripts/storage-bench.sh
set -euo pipefail

RUNS=${RUNS:-3}
SETTLE=${SETTLE:-60}
SPAN=${SPAN:-24h}
REQUESTS=${REQUESTS:-200}
WS_REQUESTS=${WS_REQUESTS:-5}
PORT=${PORT:-18400}
SERVER_CPU=${SERVER_CPU:-1}
TOOL_CPU=${TOOL_CPU:-0}
OUT=${OUT:-}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
for tool in go taskset curl; do
	command -v "$tool" >/dev/null || { echo "storage-bench.sh: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d /tmp/pulseboard-storage-bench.XXXXXX)
server=
cleanup() {
	if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

url=http://127.0.0.1:$PORT
tool() { taskset -c "$TOOL_CPU" "$@"; }
say() { echo "$*"; if [ -n "$OUT" ]; then echo "$*" >>"$OUT"; fi; }

# start DIR [ARGS…]: runs pulseboard over DIR ("" for memory only) and
# waits until it answers.
start() {
	local dir=$1
	shift
	taskset -c "$SERVER_CPU" "$work/pulseboard" -listen "127.0.0.1:$PORT" -storage.path "$dir" "$@" \
		>"$work/server.log" 2>&1 &
	server=$!
	for _ in $(seq 100); do
		curl -sf "$url/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "storage-bench.sh: pulseboard did not come up:" >&2
	cat "$work/server.log" >&2
	exit 1
}

stop() {
	kill -TERM "$server"
	wait "$server" || true
	server=
}

# rss PID: "VmRSS VmHWM RssAnon RssFile" in kB. RssFile counts the pages of
# the store's memory-mapped file that are resident: page cache, shared and
# reclaimable, unlike RssAnon (the heap).
rss() { awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {print r, h, a, f}' "/proc/$1/status"; }

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# fill DIR [CONFIG]: a fresh directory with $SPAN of history ending now.
fill() {
	rm -rf "$1"
	local args=(-dir "$1" -span "$SPAN" -host machine)
	if [ -n "${2:-}" ]; then args+=(-config "$2"); fi
	tool "$work/pulsefill" "${args[@]}"
}

# storage_line: the per-tier figures of /metrics as Markdown rows.
storage_rows() {
	curl -sf "$url/metrics" | awk '
		/^pulseboard_storage_bytes\{/  { match($0, /tier="[^"]+"/); t=substr($0, RSTART+6, RLENGTH-7); b[t]=$2 }
		/^pulseboard_storage_points\{/ { match($0, /tier="[^"]+"/); t=substr($0, RSTART+6, RLENGTH-7); p[t]=$2 }
		END { split("raw 1m 1h", ts, " "); for (i=1; i<=3; i++) { t=ts[i]; printf "| %s | %d | %d | %.2f |\n", t, b[t], p[t], (p[t] ? b[t]/p[t] : 0) } }'
}

say "## storage-bench $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(git -C "$repo" rev-parse --short HEAD))"
say ""
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

(cd "$repo" && go build -o "$work/pulseboard" ./cmd/pulseboard && go build -o "$work/pulsefill" ./cmd/pulsefill &&
	go build -o "$work/storagebench" ./scripts/storagebench)

data=$work/data
rss_off=() hwm_off=() rss_on=() hwm_on=() anon_off=() anon_on=() file_off=() file_on=()
for run in $(seq "$RUNS"); do
	start ""
	sleep "$SETTLE"
	read -r r h a f < <(rss "$server")
	rss_off+=("$r") hwm_off+=("$h") anon_off+=("$a") file_off+=("$f")
	stop

	fill "$data" >"$work/fill.txt"
	start "$data"
	sleep "$SETTLE"
	read -r r h a f < <(rss "$server")
	rss_on+=("$r") hwm_on+=("$h") anon_on+=("$a") file_on+=("$f")
	echo "run $run: off VmRSS ${rss_off[-1]} VmHWM ${hwm_off[-1]} RssAnon ${anon_off[-1]} RssFile ${file_off[-1]}; on VmRSS $r VmHWM $h RssAnon $a RssFile $f (kB)" >&2
	if [ "$run" = "$RUNS" ]; then
		id=$(tool "$work/storagebench" ids -url "$url" -metric temperature_celsius | head -1)
		rest=$(tool "$work/storagebench" rest -url "$url" -id "$id" -span "$SPAN" -step 1m -n "$REQUESTS")
		rows=$(storage_rows)
	fi
	stop
done

mo=$(printf '%s\n' "${rss_off[@]}" | median)
mho=$(printf '%s\n' "${hwm_off[@]}" | median)
mn=$(printf '%s\n' "${rss_on[@]}" | median)
mhn=$(printf '%s\n' "${hwm_on[@]}" | median)
mao=$(printf '%s\n' "${anon_off[@]}" | median)
man=$(printf '%s\n' "${anon_on[@]}" | median)
mfo=$(printf '%s\n' "${file_off[@]}" | median)
mfn=$(printf '%s\n' "${file_on[@]}" | median)
say ""
say "Fill ($SPAN, demo config, -host machine): $(head -1 "$work/fill.txt")"
say ""
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }
say "| after ${SETTLE} s, kB, median of $RUNS | VmRSS | VmHWM | RssAnon | RssFile | runs (VmRSS) |"
say "|---|---|---|---|---|---|"
say "| storage off | $mo | $mho | $mao | $mfo | ${rss_off[*]} |"
say "| storage on, $SPAN filled | $mn | $mhn | $man | $mfn | ${rss_on[*]} |"
say "| on / off | $(ratio "$mn" "$mo") | $(ratio "$mhn" "$mho") | $(ratio "$man" "$mao") | $(ratio "$mfn" "$mfo") | |"
say ""
say "REST, one series, from=now-$SPAN step=1m: $rest"
say ""
say "| tier | pulseboard_storage_bytes | pulseboard_storage_points | B/point |"
say "|---|---|---|---|"
say "$rows"

# 100 series.
fill "$data" "$here/storagebench/series100.yaml" >"$work/fill100.txt"
start "$data" -config "$here/storagebench/series100.yaml"
ws=$(tool "$work/storagebench" ws -url "$url" -ids 100 -span "$SPAN" -n "$WS_REQUESTS" | tail -1)
rows100=$(storage_rows)
stop
say ""
say "100 series (scripts/storagebench/series100.yaml), fill: $(head -1 "$work/fill100.txt")"
say ""
say "WebSocket, one range request of 100 series over $SPAN (default budget): $ws"
say ""
say "| tier | pulseboard_storage_bytes | pulseboard_storage_points | B/point |"
say "|---|---|---|---|"
say "$rows100"
say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
