#!/usr/bin/env bash
# storage-bench.sh measures the stored history (issue 15) on the embedded
# demo config, the binary's default, in one run:
#
#   RSS     VmRSS, VmHWM, RssAnon and RssFile of pulseboard, and the Rss
#           of its mapping of pulseboard.db, after $EARLY s and after
#           $SETTLE s, with storage off (-storage.path "") and on, over a
#           data directory filled by pulsefill with $SPAN of history (raw
#           retention: the default 2 days). $RUNS processes of each run
#           side by side (same machine load, same time); medians. The
#           default SETTLE (16 min) lets the storage-off processes fill
#           their 15 minutes of in-memory history too, which the
#           storage-on ones restore at start: only then is the comparison
#           fair. SETTLE=60 gives a quick, biased look.
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
#   RUNS=3 EARLY=60 SETTLE=960 scripts/storage-bench.sh
set -euo pipefail

RUNS=${RUNS:-3}
EARLY=${EARLY:-60}
SETTLE=${SETTLE:-960}
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
servers=()
cleanup() {
	for p in $server "${servers[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

url=http://127.0.0.1:$PORT
tool() { taskset -c "$TOOL_CPU" "$@"; }
say() { echo "$*"; if [ -n "$OUT" ]; then echo "$*" >>"$OUT"; fi; }

# start DIR [ARGS…]: runs pulseboard over DIR ("" for memory only) on
# $PORT and waits until it answers; its pid is in $server.
start() {
	local dir=$1
	shift
	taskset -c "$SERVER_CPU" "$work/pulseboard" -listen "127.0.0.1:$PORT" -storage.path "$dir" "$@" \
		>"$work/server-$PORT.log" 2>&1 &
	server=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "storage-bench.sh: pulseboard did not come up:" >&2
	cat "$work/server-$PORT.log" >&2
	exit 1
}

stop() {
	kill -TERM "$server"
	wait "$server" || true
	server=
}

# rss PID: "VmRSS VmHWM RssAnon RssFile DB" in kB. RssFile counts the
# resident pages of mapped files (the executable, and the store's file:
# page cache, shared and reclaimable, unlike RssAnon, the heap); DB is the
# Rss of the mapping of pulseboard.db alone (0 with storage off).
rss() {
	local db
	db=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {m = ($0 ~ /pulseboard\.db$/)} m && /^Rss:/ {s += $2} END {print s + 0}' "/proc/$1/smaps")
	awk -v db="$db" '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {print r, h, a, f, db}' "/proc/$1/status"
}

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
# One filled directory per storage-on process, filled one after the other
# just before they all start: each history ends within a minute of its
# server's start.
for run in $(seq "$RUNS"); do
	fill "$data-$run" >"$work/fill.txt"
done
# Storage off on ports PORT+1…, on on PORT+RUNS+1…; all of them at once.
off=() on=()
base=$PORT
for run in $(seq "$RUNS"); do
	PORT=$((base + run)) start ""
	off+=("$server") servers+=("$server")
	PORT=$((base + RUNS + run)) start "$data-$run"
	on+=("$server") servers+=("$server")
done
server=
# sample NAME: every process' figures, one line each, into $work/NAME-off
# and $work/NAME-on.
sample() {
	: >"$work/$1-off"
	: >"$work/$1-on"
	for p in "${off[@]}"; do rss "$p" >>"$work/$1-off"; done
	for p in "${on[@]}"; do rss "$p" >>"$work/$1-on"; done
}
sleep "$EARLY"
sample early
sleep $((SETTLE > EARLY ? SETTLE - EARLY : 0))
sample settled
PORT=$((base + 2 * RUNS))
url=http://127.0.0.1:$PORT
id=$(tool "$work/storagebench" ids -url "$url" -metric temperature_celsius | head -1)
rest=$(tool "$work/storagebench" rest -url "$url" -id "$id" -span "$SPAN" -step 1m -n "$REQUESTS")
rows=$(storage_rows)
sample queried
for p in "${servers[@]}"; do kill -TERM "$p"; wait "$p" || true; done
servers=()
PORT=$base
url=http://127.0.0.1:$PORT

# col FILE N: the median of column N of FILE; runs FILE N: the column.
col() { awk -v n="$2" '{print $n}' "$1" | median; }
runs() { awk -v n="$2" '{print $n}' "$1" | paste -sd' '; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "—"; else printf "%.3f", a/b}'; }
table() {
	local f=$1 title=$2 i
	say "| $title, kB, median of $RUNS | VmRSS | VmHWM | RssAnon | RssFile | pulseboard.db Rss | runs (VmRSS) |"
	say "|---|---|---|---|---|---|---|"
	say "| storage off | $(col "$f-off" 1) | $(col "$f-off" 2) | $(col "$f-off" 3) | $(col "$f-off" 4) | — | $(runs "$f-off" 1) |"
	say "| storage on, $SPAN filled | $(col "$f-on" 1) | $(col "$f-on" 2) | $(col "$f-on" 3) | $(col "$f-on" 4) | $(col "$f-on" 5) | $(runs "$f-on" 1) |"
	local line="| on / off"
	for i in 1 2 3 4; do line+=" | $(ratio "$(col "$f-on" $i)" "$(col "$f-off" $i)")"; done
	say "$line | | |"
}
say ""
say "Fill ($SPAN, demo config, -host machine; the last of $RUNS): $(head -1 "$work/fill.txt")"
say ""
table "$work/early" "after ${EARLY} s"
say ""
table "$work/settled" "after ${SETTLE} s"
say ""
say "After the REST requests below (the last storage-on process only, kB): $(tail -1 "$work/queried-on") (VmRSS VmHWM RssAnon RssFile pulseboard.db)"
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
