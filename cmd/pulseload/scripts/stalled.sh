#!/bin/sh
# Issue 14, fault 1, on the real binary: five normal clients, first alone,
# then beside N never-reading connections; about 50 points every 100 ms.
# The server runs on core 0 and the clients on core 1.
#
#   cmd/pulseload/scripts/stalled.sh [pulseboard binary] [N stalled] [seconds]
#
# The stalled connections are opened by a second pulseload, niced, 4 s
# into the measurement: dialing a thousand from the process that times the
# readers, on the same core, delays them by tens of milliseconds whatever
# the server does. The readers warm up 2 s first (their first deltas are
# the catch-up after their snapshot). Prints both summaries of the readers
# (delay p99, server RSS before, peak and after), what the stalled ones
# saw (opened, refused, cut), and the server's counters of slow and new
# clients.
set -eu
bin=${1:-./pulseboard}
stalled=${2:-1000}
secs=${3:-30}
port=18790
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cat >"$dir/stall.yaml" <<YAML
server:
  listen: 127.0.0.1:$port
sources:
  - name: load
    type: simulated
    interval: 100ms
    seed: 7
    series:
      - {metric: busy, shape: random_walk, min: 0, max: 100, noise: 1, count: 50}
YAML
load=${PULSELOAD:-go run ./cmd/pulseload}
url="ws://127.0.0.1:$port/ws"
taskset -c 0 "$bin" -config "$dir/stall.yaml" -log-level warn &
pid=$!
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.2; done
sleep 2
echo "== baseline: 5 clients"
taskset -c 1 $load -url "$url" -clients 5 -warmup 2s -duration "${secs}s" -report 10s -pid "$pid"
echo "== 5 clients; $stalled stalled connections opened 4 s in, by another process"
taskset -c 1 $load -url "$url" -clients 5 -warmup 2s -duration "${secs}s" -report 5s -pid "$pid" &
readers=$!
sleep 4
nice -n 19 taskset -c 1 $load -url "$url" -clients 1 -stalled "$stalled" -duration 10s -report 10s | grep -E '^stalled' || true
wait "$readers"
echo "== server counters"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^pulseboard_(ws_slow_client_drops_total|broker_conflations_total|broker_dropped_subscribers_total|ws_disconnects_total|ws_handshakes_refused_total|ws_admission_wait_seconds_(sum|count)|ws_newcomers)' | grep -v ' 0$' || true
