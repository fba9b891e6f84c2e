#!/usr/bin/env bash
# churn-bench.sh shows, on the real binary, what a churning or a wide
# prometheus target leaves on the dashboard (issue 14, docs/reliability.md
# "Sources and targets"):
#
#   churn  a target with 3,000 new series at every scrape (a label per
#          request) and one steady series, scraped every second with the
#          default max_series_per_source (10,000);
#   memory memory_limit 256MiB, queue_samples 100000, a simulated source of
#          5,000 series and a target of 20,000 steady series, both at 1s;
#   heap   a target with 9,000 new series at every scrape (trial 14 round
#          7's churn) and one steady series, scraped every second; prints
#          the heap in use, RSS, series, replacements, churn_limit refusals
#          and the server's CPU time every 10 s up to $SECS s ($STORAGE: a
#          data directory to keep the history in, and its size at the end;
#          empty, the default, keeps it in memory).
#
# For each binary given (old and new, run one after the other $RUNS times)
# it starts the target and a fresh server (history in memory only), waits
# $SECS s, and prints the source's live and stale series, its last_warning
# and the store's counters, with the load average.
#
#   MODE=churn RUNS=2 scripts/churn-bench.sh ./pulseboard-old ./pulseboard-new
#   MODE=heap RUNS=1 SECS=90 [STORAGE=/tmp/pb-heap] scripts/churn-bench.sh old new
#
# Needs: python3, curl. Ports 18490 (target) and 18491 (server).
set -euo pipefail
MODE=${MODE:-churn}
RUNS=${RUNS:-2}
SECS=${SECS:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat > "$dir/target.py" <<'PY'
import http.server, sys, threading
mode, n = sys.argv[2], int(sys.argv[3])
k = [0]; lock = threading.Lock()
wide = ("# TYPE wide gauge\n" + "".join('wide{i="%d"} %d\n' % (i, i) for i in range(n))).encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if mode == "churn":
            with lock:
                k[0] += 1; j = k[0]
            b = ("# TYPE steady gauge\nsteady 1\n# TYPE req_seen gauge\n" +
                 "".join('req_seen{req="%d-%d"} 1\n' % (j, i) for i in range(n))).encode()
        else:
            b = wide
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

if [ "$MODE" = churn ] || [ "$MODE" = heap ]; then
	count=3000
	[ "$MODE" = heap ] && count=9000
	cat > "$dir/config.yaml" <<YAML
server: {listen: "127.0.0.1:18491"}
storage: {path: "${STORAGE:-}"}
sources:
  - {name: target, type: prometheus, url: "http://127.0.0.1:18490/metrics", interval: 1s}
YAML
else
	count=20000
	cat > "$dir/config.yaml" <<'YAML'
server: {listen: "127.0.0.1:18491"}
storage: {path: ""}
aggregator: {memory_limit: 256MiB, queue_samples: 100000, max_series_per_source: 50000}
sources:
  - name: sim
    type: simulated
    interval: 1s
    series:
      - {metric: s, shape: random_walk, min: 0, max: 100, count: 5000}
  - {name: target, type: prometheus, url: "http://127.0.0.1:18490/metrics", interval: 1s, max_series: 50000}
YAML
fi

# watch BIN: MODE=heap's run.
watch() {
	local bin=$1 t m
	[ -n "${STORAGE:-}" ] && rm -rf "$STORAGE"
	python3 "$dir/target.py" 18490 churn "$count" & local tp=$!
	"$bin" run -config "$dir/config.yaml" -log-level warn >"$dir/log" 2>&1 & local bp=$!
	for t in $(seq 10 10 "$SECS"); do
		sleep 10 # a measurement run, not a test: the server scrapes meanwhile
		m=$(curl -s localhost:18491/metrics)
		awk -v t="$t" -v cpu="$(awk '{print $14 + $15}' "/proc/$bp/stat")" '
			/^go_memstats_heap_inuse_bytes/ {h = $2 / 1048576} /^process_resident_memory_bytes/ {r = $2 / 1048576}
			/^pulseboard_series / {n = $2} /^pulseboard_series_replaced_total/ {p = $2}
			/^pulseboard_series_refused_total\{reason="churn_limit"\}/ {c = $2}
			END {printf "t=%ds heap=%dMiB rss=%dMiB series=%d replaced=%d churn_limit=%d cpu_ticks=%d\n", t, h, r, n, p, c, cpu}' <<<"$m"
	done
	[ -n "${STORAGE:-}" ] && du -sh "$STORAGE"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	kill -TERM "$bp"; wait "$bp" || echo "exit $?"
	kill "$tp"; wait "$tp" 2>/dev/null || true
}

one() {
	local bin=$1
	if [ "$MODE" = heap ]; then
		watch "$bin"
		return
	fi
	python3 "$dir/target.py" 18490 "$MODE" "$count" & local tp=$!
	"$bin" run -config "$dir/config.yaml" -log-level warn >"$dir/log" 2>&1 & local bp=$!
	sleep "$SECS" # a measurement run, not a test: the server scrapes meanwhile
	curl -s localhost:18491/api/v1/snapshot >"$dir/snap.json"
	curl -s localhost:18491/api/v1/sources >"$dir/sources.json"
	python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
ser = [x for x in json.load(open(d + "/snap.json"))["series"] if x["source"] == "target"]
live = sum(1 for x in ser if not x.get("stale"))
src = [x for x in json.load(open(d + "/sources.json"))["sources"] if x["name"] == "target"][0]
print("target series", len(ser), "live", live, "stale", len(ser) - live)
print("last_warning:", src["last_warning"][:200])
PY
	curl -s localhost:18491/metrics | grep -E '^pulseboard_series(_refused_total|_replaced_total|_memory_estimate_bytes|_memory_budget_bytes)?[ {]|^process_resident_memory_bytes' || true
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	kill -TERM "$bp"; wait "$bp" || echo "exit $?"
	kill "$tp"; wait "$tp" 2>/dev/null || true
}

for r in $(seq "$RUNS"); do
	for bin in "$@"; do
		echo "=== run $r: $bin"
		one "$bin"
	done
done
