#!/usr/bin/env bash
# longlived.sh: is a server that has been attacked as good as a fresh one?
# (issue 14, docs/reliability.md). On the real binary:
#
#   two servers with the same config (50 simulated series at 100 ms, no
#   stored history, an admin token so /debug/pprof/ is served): "fresh"
#   and "long". Only "long" is attacked, $ROUNDS rounds of:
#     - a reload that adds a wide prometheus target (scripts/widetarget:
#       $SERIES series × 29 labels) and one of huge label values (200
#       series, 1,024-byte values), with two /metrics scrapers running;
#     - 1,000 never-reading WebSocket clients for 8 s;
#     - resume spam and floods after the 1008 close (scripts/resumespam);
#     - hostile saves of the config: an alias bomb, a 3 MiB file, a
#       100,000-series config refused by memory_limit;
#     - a reload back to the base config (the wide sources removed).
#   Then both rest $REST s (past the broker's 30 s retention of recent
#   deltas, which are kept encoded only while a client listens), and for each: live heap (heap in use after a
#   forced GC: /debug/pprof/heap?gc=1, then go_memstats_heap_inuse_bytes),
#   a heap profile saved to $OUT, and readers' p99 (5 readers, pulseload)
#   alone and beside 1,000 stalled clients opened by a second pulseload,
#   fresh and long interleaved, $PAIRS times.
#
#   ROUNDS=3 PAIRS=3 OUT=/tmp/ll scripts/longlived.sh [pulseboard binary]
#
# Servers run on core 0, the tools on core 1, everything under nice -n 19.
# Needs: go, taskset, curl.
set -euo pipefail
bin=${1:-}
ROUNDS=${ROUNDS:-3}
PAIRS=${PAIRS:-3}
REST=${REST:-35}
SECS=${SECS:-10}
SERIES=${SERIES:-9000}
OUT=${OUT:-$(mktemp -d)}
fport=18810
lport=18811
wport=18812
hport=18813
admin=longlived-admin-token
. "$(dirname "$0")/lib.sh"
pb_setup
mkdir -p "$OUT"
if [ -z "$bin" ]; then
	pb_build "$dir" ./cmd/pulseboard
	bin=$dir/pulseboard
fi
pb_build "$dir" ./cmd/pulseload ./scripts/widetarget ./scripts/resumespam
tool() { nice -n 19 taskset -c 1 "$@"; }

base() { # base PORT: the config both servers start with
	cat <<YAML
server:
  listen: 127.0.0.1:$1
  auth:
    admin_token: $admin
aggregator: {memory_limit: 1GiB}
sources:
  - name: stream
    type: simulated
    interval: 100ms
    series:
      - {metric: s, shape: sine, min: 0, max: 100, period: 1m, noise: 1, count: 50}
YAML
}
wide() {
	base "$lport"
	cat <<YAML
  - {name: wide, type: prometheus, url: "http://127.0.0.1:$wport/metrics", interval: 2s}
  - {name: huge, type: prometheus, url: "http://127.0.0.1:$hport/metrics", interval: 1s}
YAML
}
many() { # past memory_limit: refused
	base "$lport"
	for i in $(seq 10); do
		printf '  - {name: many%d, type: simulated, interval: 1s, series: [{metric: m%d, shape: sine, count: 10000}]}\n' "$i" "$i"
	done
}
bomb='a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]'

save() { # save BODY: replaces long's config, as an editor would
	printf '%s\n' "$1" >"$dir/long.tmp" && mv "$dir/long.tmp" "$dir/long.yaml"
	sleep 2
}
reloads() { curl -fsS "http://127.0.0.1:$lport/metrics" -H "Authorization: Bearer $admin" | grep '^pulseboard_config_reloads_total' | tr '\n' ' '; }

base "$fport" >"$dir/fresh.yaml"
base "$lport" >"$dir/long.yaml"
# Not through tool: $! must be the target itself, for cleanup to end it.
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$wport" -series "$SERIES" -labels 29 -vary 10 &
pids+=($!)
nice -n 19 taskset -c 1 "$dir/widetarget" -listen "127.0.0.1:$hport" -series 200 -labels 8 -value-bytes 1024 &
pids+=($!)
start() { # start NAME PORT: prints the pid
	nice -n 19 taskset -c 0 "$bin" -config "$dir/$1.yaml" -storage.path "" -log-level error >"$OUT/$1.log" 2>&1 &
	echo $!
}
fpid=$(start fresh $fport)
lpid=$(start long $lport)
pids+=("$fpid" "$lpid")
for p in $fport $lport; do
	pb_wait_healthy "$p"
done

echo "== attacks on long ($ROUNDS rounds) $(uptime)"
for r in $(seq "$ROUNDS"); do
	save "$(wide)"
	scrapers=()
	for s in 1 2; do
		(end=$((SECONDS + 20)); while [ $SECONDS -lt $end ]; do
			curl -fsS -o /dev/null "http://127.0.0.1:$lport/metrics" -H "Authorization: Bearer $admin" || true
		done) &
		scrapers+=($!)
	done
	tool "$dir/pulseload" -url "ws://127.0.0.1:$lport/ws" -clients 1 -stalled 1000 -duration 8s -report 100s 2>&1 | grep -E '^stalled' || true
	tool "$dir/resumespam" -url "ws://127.0.0.1:$lport/ws" -conns 20 -duration 5s || true
	wait "${scrapers[@]}"
	save "$bomb"
	save "$(wide)
#$(head -c 3145728 /dev/zero | tr '\0' x)"
	save "$(many)"
	save "$(base $lport)"
	echo "round $r: $(reloads)"
done

echo "== rest ${REST}s"
sleep "$REST"
sleep 1 # the last stalled connections' handlers return
heap() { # heap PORT NAME: forced GC, heap in use (MB), profile saved
	# Two collections: what a sync.Pool holds survives the first.
	curl -fsS -o /dev/null "http://127.0.0.1:$1/debug/pprof/heap?gc=1" -H "Authorization: Bearer $admin"
	curl -fsS -o "$OUT/$2.heap.pb.gz" "http://127.0.0.1:$1/debug/pprof/heap?gc=1" -H "Authorization: Bearer $admin"
	curl -fsS "http://127.0.0.1:$1/metrics" -H "Authorization: Bearer $admin" |
		awk '/^go_memstats_heap_inuse_bytes/ {printf "%.1f", $2/1e6}'
}
echo "| server | heap in use after GC (MB) | pulseboard_series | goroutines |"
echo "|---|---|---|---|"
for s in "fresh $fport" "long $lport"; do
	set -- $s
	h=$(heap "$2" "$1")
	m=$(curl -fsS "http://127.0.0.1:$2/metrics" -H "Authorization: Bearer $admin")
	echo "| $1 | $h | $(awk '/^pulseboard_series / {print $2}' <<<"$m") | $(awk '/^go_goroutines / {print $2}' <<<"$m") |"
done

readers() { # readers PORT PID [STALLED]: the 5 readers' p99 (ms)
	local j s=
	if [ -n "${3:-}" ]; then
		(sleep 3; tool "$dir/pulseload" -url "ws://127.0.0.1:$1/ws" -clients 1 -stalled 1000 -duration "$((SECS - 2))s" -report 100s >/dev/null 2>&1 || true) &
		s=$!
	fi
	j=$(tool "$dir/pulseload" -url "ws://127.0.0.1:$1/ws" -clients 5 -warmup 2s -duration "${SECS}s" -report 100s -json -pid "$2" 2>/dev/null | sed -n '/^{/,$p')
	[ -z "$s" ] || wait "$s"
	sed -n 's/.*"delay_p99_ms": *\([0-9.e+-]*\).*/\1/p' <<<"$j"
}
echo "== readers' p99 (ms), 5 readers; $(uptime)"
echo "| pair | server | alone | beside 1,000 stalled | ratio |"
echo "|---|---|---|---|---|"
for p in $(seq "$PAIRS"); do
	for s in "fresh $fport $fpid" "long $lport $lpid"; do
		set -- $s
		a=$(readers "$2" "$3")
		b=$(readers "$2" "$3" stalled)
		echo "| $p | $1 | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", b/a}') |"
	done
done
for s in "fresh $fport" "long $lport"; do
	set -- $s
	echo "$1 after: $(heap "$2" "$1.after") MB heap in use"
done
echo "profiles in $OUT; $(uptime)"
