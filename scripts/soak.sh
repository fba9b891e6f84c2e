#!/usr/bin/env bash
# Builds pulseboard, pulseload and pulsesoak from this tree and runs the
# soak (see cmd/pulsesoak) against the real binary:
#
#   scripts/soak.sh                 # 60 s of load
#   scripts/soak.sh -duration 30m   # or PULSESOAK_DURATION=30m scripts/soak.sh
#   scripts/soak.sh -json           # the report as JSON
#   PIN=1 scripts/soak.sh           # server on CPU 0, the load tools on CPU 1
#
# Arguments go to pulsesoak. Exit status: 0 when every invariant held,
# 1 when one broke (the report says which), 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for cmd in pulseboard pulseload pulsesoak; do
  go build -o "$bin/$cmd" "./cmd/$cmd"
done
pin=()
if [ "${PIN:-0}" = 1 ]; then
  pin=(taskset -c 1)
  set -- -server-cpus 0 "$@"
fi
"${pin[@]}" "$bin/pulsesoak" -bin "$bin/pulseboard" -pulseload "$bin/pulseload" "$@"
