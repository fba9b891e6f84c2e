#!/usr/bin/env bash
# fuse-exit.sh OLD_BINARY NEW_BINARY: what a config or TLS file on a FUSE
# mount whose reads are never answered does to `pulseboard check` and to a
# server that reloads it, for two builds side by side (docs/reliability.md,
# "Config files"). Needs root and /dev/fuse. Prints, for each binary, how
# long `check` took (timeout sends SIGTERM at 5 s, SIGKILL at 15 s) and how
# long a server took to exit after SIGTERM (given up at 20 s), then the
# median wall time of `check` on local files (one file; four), interleaved.
set -uo pipefail
old=$(realpath "$1"); new=$(realpath "$2")
cd "$(dirname "$0")/.."
work=$(mktemp -d); mkdir "$work/mnt"
go build -o "$work/hungfuse" ./scripts/hungfuse || exit 1
cp cmd/pulseboard/testdata/e2e.yaml "$work/valid.yaml"
echo "-----BEGIN CERTIFICATE-----" > "$work/ca.pem"
"$work/hungfuse" -dir "$work/mnt" -file pulseboard.yaml="$work/valid.yaml" -file ca.pem="$work/ca.pem" &
fuse=$!
trap 'kill -TERM $fuse; wait $fuse; rm -rf "$work"' EXIT
for _ in $(seq 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
tls() { printf 'cluster:\n  name: lab\n  nats:\n    urls: ["tls://127.0.0.1:4222"]\n    tls: {ca_file: %s, cert_file: %s, key_file: %s}\n' "$1" "$2" "$2"; }
tls "$work/mnt/ca.pem" "$work/ca.pem" > "$work/tls-hung.yaml"
tls "$work/ca.pem" "$work/ca.pem" > "$work/tls-local.yaml"
secs() { echo "scale=3; ($2 - $1) / 1000000000" | bc; }
uptime
for bin in "$old" "$new"; do
  for cfg in "$work/mnt/pulseboard.yaml" "$work/tls-hung.yaml"; do
    s=$(date +%s%N); timeout -k 10 5 "$bin" check -config "$cfg" >/dev/null 2>&1; rc=$?; e=$(date +%s%N)
    echo "$bin check $(basename "$cfg"): exit $rc after $(secs "$s" "$e") s"
  done
  d=$(mktemp -d "$work/srv.XXXX"); cp "$work/valid.yaml" "$d/c.yaml"
  XDG_STATE_HOME=$d "$bin" -config "$d/c.yaml" >/dev/null 2>"$d/log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listen" "$d/log" && break; sleep 0.1; done
  ln -s "$work/mnt/pulseboard.yaml" "$d/c.new" && mv -T "$d/c.new" "$d/c.yaml"
  for _ in $(seq 100); do grep -q "timed out" "$d/log" && break; sleep 0.1; done
  s=$(date +%s%N); kill -TERM $pid
  for _ in $(seq 200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  e=$(date +%s%N)
  if kill -0 $pid 2>/dev/null; then
    echo "$bin server: still running $(secs "$s" "$e") s after SIGTERM (state $(ps -o stat= -p $pid))"
  else
    wait $pid; echo "$bin server: exit $? after $(secs "$s" "$e") s"
  fi
done
for cfg in "$work/valid.yaml" "$work/tls-local.yaml"; do
  for _ in $(seq 31); do
    for bin in "$old" "$new"; do
      s=$(date +%s%N); "$bin" check -config "$cfg" >/dev/null 2>&1; e=$(date +%s%N)
      echo "$bin $(( (e - s) / 1000 ))"
    done
  done > "$work/ab"
  for bin in "$old" "$new"; do
    grep "^$bin " "$work/ab" | awk '{print $2}' | sort -n |
      awk -v b="$bin" -v c="$(basename "$cfg")" '{a[NR]=$1} END {printf "%s check %s: median %.1f ms of %d\n", b, c, a[int((NR+1)/2)]/1000, NR}'
  done
done
uptime
echo "(processes stuck on the mount end when it is unmounted, now)"
