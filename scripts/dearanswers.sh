#!/usr/bin/env bash
# dearanswers.sh: dear answers under fire (trial 14 round 6, F1 and F4;
# BENCHMARKS.md "Dear answers under fire"). Paired runs of two or more
# pulseboard binaries on the real binary, each on its own copy of the
# stored history:
#   M1  400 connections that send GET /metrics (2.8 MB) and never read
#       (4 KiB receive buffers) for 12 s: RSS before and peak;
#   M2  one keep-alive connection looping each of /metrics,
#       /api/v1/snapshot and /api/v1/snapshot?points=0 for 10 s: server CPU;
#   M3  5 pulseload readers alone, then beside 200 keep-alive connections
#       looping GET /api/v1/series/{id}?points=2000 for 22 s: server CPU,
#       readers' p99 and the server-side delivery p99 bucket.
# It needs the trial's case files (CASES, default /tmp/t14r6/cases:
# attack-W.yaml, data/, ids.txt, slowget.py, loopget.py, rangehog.py,
# pj.py, hist.py) and its hostile target listening on 19100
# (`python3 $CASES/target.py 19100`, which serves /wide: 800 kept series).
# The server runs on core 0, the tools on core 1.
#
#   scripts/dearanswers.sh OUTDIR old:/path/pulseboard new:/path/pulseboard ...
# ONLY=m3 runs M3 alone. PULSELOAD names the pulseload binary.
C=${CASES:-/tmp/t14r6/cases}; OUT=$1; shift; mkdir -p $OUT
IDS=$(tail -1 $C/ids.txt); PULSELOAD=${PULSELOAD:-pulseload}
start() { # bin tag
  rm -rf $OUT/data-$2; cp -r $C/data $OUT/data-$2; rm -f $OUT/data-$2/*.lock
  taskset -c 0 $1 run -config $C/attack-W.yaml -storage.path $OUT/data-$2 -log-level warn > $OUT/server-$2.log 2>&1 &
  PID=$!
  for i in $(seq 100); do curl -s -m 1 -o /dev/null 127.0.0.1:18080/healthz && break; sleep 0.1; done
  sleep 8 # the wide source scraped a few times: 800 more series
}
stop() { kill -TERM $PID; wait $PID; }
rss() { awk '/VmRSS/{print $2}' /proc/$PID/status; }
ticks() { awk '{print $14+$15}' /proc/$PID/stat; }
met() { curl -s -m 5 -H 'Accept-Encoding: identity' 127.0.0.1:18080/metrics | grep -E "^($1)" | tr '\n' ' '; }
for tb in "$@"; do
  tag=${tb%%:*}; bin=${tb#*:}
  if [ -z "$ONLY" ]; then
  # M1: 400 non-reading /metrics clients
  start $bin $tag-m1
  before=$(rss); size=$(curl -s -H 'Accept-Encoding: identity' 127.0.0.1:18080/metrics | wc -c)
  echo "$tag M1 start $(uptime)" >> $OUT/uptime.txt
  taskset -c 1 python3 $C/slowget.py 18080 /metrics 400 12 &
  SG=$!; peak=0
  for i in $(seq 52); do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; [ $i = 24 ] && mid="$(met 'pulseboard_http_answer_bytes_in_flight|go_memstats_heap_inuse_bytes')"; sleep 0.25; done
  wait $SG
  echo "$tag M1 /metrics=${size}B x400 non-reading: RSS ${before} -> peak ${peak} kB; mid: $mid; after: $(met 'pulseboard_http_answers_refused_total\{route="/metrics"|pulseboard_http_requests_total\{route="/metrics",code="200"'); $(uptime)" | tee -a $OUT/results.txt
  stop
  fi
  # M2: one keep-alive loop per route, 10 s each
  start $bin $tag-m2
  if [ -z "$ONLY" ]; then
  echo "$tag M2 start $(uptime)" >> $OUT/uptime.txt
  for route in /metrics /api/v1/snapshot "/api/v1/snapshot?points=0"; do
    t0=$(ticks); s0=$(date +%s.%N)
    codes=$(taskset -c 1 python3 $C/loopget.py 18080 "$route" 10)
    t1=$(ticks); s1=$(date +%s.%N)
    echo "$tag M2 loop $route: $codes CPU $(python3 -c "print(round(($t1-$t0)/100/($s1-$s0)*100,1))")% ; $(uptime)" | tee -a $OUT/results.txt
  done
  fi
  # M3: readers' p99 alone, then beside 200 range-loop connections
  snap() { curl -s -m 5 -H 'Accept-Encoding: identity' 127.0.0.1:18080/metrics > $OUT/$tag-$1.prom; }
  snap base-pre
  taskset -c 1 nice -n 10 $PULSELOAD -url ws://127.0.0.1:18080/ws -clients 5 -duration 15s -warmup 2s -json -pid $PID > $OUT/$tag-m3-base.json 2>/dev/null
  snap base-post
  echo "$tag M3 base: $(python3 $C/pj.py $OUT/$tag-m3-base.json delay_p99_ms,server_cpu_percent,gaps,disconnects) server side: $(python3 $C/hist.py pulseboard_ws_delivery_delay_seconds $OUT/$tag-base-pre.prom $OUT/$tag-base-post.prom) $(uptime)" | tee -a $OUT/results.txt
  taskset -c 1 nice -n 19 python3 $C/rangehog.py 18080 200 22 $IDS > $OUT/$tag-m3-hog.json &
  HOG=$!; sleep 2
  snap hog-pre; t0=$(ticks); s0=$(date +%s.%N)
  taskset -c 1 nice -n 10 $PULSELOAD -url ws://127.0.0.1:18080/ws -clients 5 -duration 15s -warmup 2s -json -pid $PID > $OUT/$tag-m3-hog-readers.json 2>/dev/null
  snap hog-post; t1=$(ticks); s1=$(date +%s.%N)
  wait $HOG
  echo "$tag M3 200 range loops: CPU $(python3 -c "print(round(($t1-$t0)/100/($s1-$s0)*100,1))")% $(cat $OUT/$tag-m3-hog.json) server side: $(python3 $C/hist.py pulseboard_ws_delivery_delay_seconds $OUT/$tag-hog-pre.prom $OUT/$tag-hog-post.prom) readers: $(python3 $C/pj.py $OUT/$tag-m3-hog-readers.json delay_p99_ms,server_cpu_percent,gaps,disconnects) $(met 'pulseboard_http_dear_requests_limited_total\{route="/api/v1/series/:id"|pulseboard_http_requests_limited_total\{route="/api/v1/series/:id"') $(uptime)" | tee -a $OUT/results.txt
  stop
done
