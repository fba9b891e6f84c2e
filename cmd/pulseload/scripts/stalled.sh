#!/bin/sh
# Issue 14, fault 1, on the real binary: five normal clients, first alone,
# then beside N never-reading connections; about 50 points every 100 ms.
# The server runs on core 0 and pulseload on core 1.
#
#   cmd/pulseload/scripts/stalled.sh [pulseboard binary] [N stalled] [seconds]
#
# Prints both pulseload summaries (delay p99 of the normal clients, how many
# stalled connections the server cut, server RSS before, peak and after) and
# the server's own counters of slow clients.
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
taskset -c 0 "$bin" -config "$dir/stall.yaml" -log-level warn &
pid=$!
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.2; done
sleep 2
echo "== baseline: 5 clients"
taskset -c 1 $load -url "ws://127.0.0.1:$port/ws" -clients 5 -duration "${secs}s" -report 10s -pid "$pid"
echo "== 5 clients beside $stalled stalled connections"
taskset -c 1 $load -url "ws://127.0.0.1:$port/ws" -clients 5 -stalled "$stalled" -duration "${secs}s" -report 5s -pid "$pid"
echo "== server counters"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -E '^pulseboard_(ws_slow_client_drops_total|broker_conflations_total|broker_dropped_subscribers_total|ws_disconnects_total)' | grep -v ' 0$' || true
