#!/bin/bash
# dearanswers-ws.sh: M4 of BENCHMARKS.md "Dear answers under fire": 100 WebSocket connections
# each asking every second for 150 series x 2,000 points (the trial's wsrange.py), 5 readers beside.
# Same cases and target as scripts/dearanswers.sh.   scripts/dearanswers-ws.sh OUTDIR old:/path new:/path ...
C=${CASES:-/tmp/t14r6/cases}; OUT=$1; shift; mkdir -p $OUT
source <(sed -n '/^start()/,/^met()/p' "$(dirname "$0")/dearanswers.sh")
PULSELOAD=${PULSELOAD:-pulseload}
for tb in "$@"; do
  tag=${tb%%:*}; bin=${tb#*:}
  start $bin $tag-m4
  snap() { curl -s -m 5 -H 'Accept-Encoding: identity' 127.0.0.1:18080/metrics > $OUT/$tag-$1.prom; }
  taskset -c 1 nice -n 19 python3 $C/wsrange.py 18080 100 22 $C/ids-all.txt > $OUT/$tag-ws.json 2>$OUT/$tag-ws.err &
  W=$!; sleep 2; snap pre; t0=$(ticks); s0=$(date +%s.%N)
  taskset -c 1 nice -n 10 $PULSELOAD -url ws://127.0.0.1:18080/ws -clients 5 -duration 15s -warmup 2s -json -pid $PID > $OUT/$tag-readers.json 2>/dev/null
  snap post; t1=$(ticks); s1=$(date +%s.%N)
  wait $W
  echo "$tag M4 100 ws range: CPU $(python3 -c "print(round(($t1-$t0)/100/($s1-$s0)*100,1))")% $(cat $OUT/$tag-ws.json) server side: $(python3 $C/hist.py pulseboard_ws_delivery_delay_seconds $OUT/$tag-pre.prom $OUT/$tag-post.prom) readers: $(python3 $C/pj.py $OUT/$tag-readers.json delay_p99_ms,gaps,disconnects) $(grep -E '^pulseboard_ws_range_refused_total' $OUT/$tag-post.prom | tr '\n' ' ') $(uptime)" | tee -a $OUT/results.txt
  stop
done
