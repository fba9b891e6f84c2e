#!/usr/bin/env bash
# cluster-bench.sh measures a pulseboard cluster on this machine (issue 17,
# BENCHMARKS.md "Cluster"): NODES pulseboard processes with SERIES
# simulated series each at 1 s, joined to one Debian nats-server
# (cluster.nats.urls; `apt-get install nats-server`), all on loopback.
# RUNS runs, each started and stopped whole; see scripts/clusterbench for
# what each figure is and how it is taken:
#
#   (a) a sample collected on one node → seen by a WebSocket client of
#       node 0's dashboard: p50, p99, max
#   (b) a node joining after WARM: its start → a backfill done from every peer
#   (c) sample payload bytes published per sample, and nats-server's
#       payload bytes in (every kind) per sample
#   (d) kill -9 of a node → node 0's /api/v1/nodes says it is down
#
# Builds the binaries into a temporary directory; every process it starts
# dies with it (and is stopped on exit, Ctrl-C included), and the
# directory is removed (KEEP=1 keeps it, with each process's log).
# Prints a Markdown table, also to $OUT if set.
#
#   RUNS=3 WARM=60s MEASURE=30s scripts/cluster-bench.sh
#   NODE_CPUS=0 NATS_CPUS=1 CLIENT_CPUS=1 scripts/cluster-bench.sh   # taskset lists
set -euo pipefail

RUNS=${RUNS:-3}
NODES=${NODES:-10}
SERIES=${SERIES:-1000}
WARM=${WARM:-60s}
MEASURE=${MEASURE:-30s}
KILLS=${KILLS:-5}
PORT=${PORT:-18500}
NODE_CPUS=${NODE_CPUS:-}
NATS_CPUS=${NATS_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-} # the bench itself: its WebSocket client and pollers
OUT=${OUT:-}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
for tool in go nats-server; do
	command -v "$tool" >/dev/null || { echo "cluster-bench.sh: $tool not found (apt-get install nats-server)" >&2; exit 2; }
done
if [ -n "$NODE_CPUS$NATS_CPUS$CLIENT_CPUS" ]; then
	command -v taskset >/dev/null || { echo "cluster-bench.sh: taskset not found" >&2; exit 2; }
fi

work=$(mktemp -d /tmp/pulseboard-cluster-bench.XXXXXX)
bench=
cleanup() {
	if [ -n "$bench" ]; then kill -TERM "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true; fi
	if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$repo" && go build -o "$work/pulseboard" ./cmd/pulseboard && go build -o "$work/clusterbench" ./scripts/clusterbench)
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(nats-server --version)" >&2

pin=()
if [ -n "$CLIENT_CPUS" ]; then pin=(taskset -c "$CLIENT_CPUS"); fi
"${pin[@]}" "$work/clusterbench" -bin "$work/pulseboard" -nats-server "$(command -v nats-server)" -dir "$work" \
	-runs "$RUNS" -nodes "$NODES" -series "$SERIES" -warm "$WARM" -measure "$MEASURE" -kills "$KILLS" \
	-base-port "$PORT" -node-cpus "$NODE_CPUS" -nats-cpus "$NATS_CPUS" >"$work/table.md" &
bench=$!
wait "$bench"
bench=
cat "$work/table.md"
if [ -n "$OUT" ]; then cat "$work/table.md" >>"$OUT"; fi
