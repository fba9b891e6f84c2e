# lib.sh: what the benchmark scripts share. Sourced, never run:
#
#   . "$(dirname "$0")/lib.sh"
#   pb_setup                     # $dir: a fresh directory; $pids: killed on exit
#   pb_build "$dir" ./cmd/pulseload ./scripts/widetarget
#   pb_wait_healthy 18790        # or fail after PB_START_TIMEOUT seconds
#   pb_demo_config 18790 "$dir/demo.yaml"
#
# Every helper is named pb_* so that it cannot shadow a script's own.

# pb_setup makes $dir (a temporary directory) and $pids (an empty array)
# and arranges that on exit every pid in $pids is stopped and waited for,
# then $dir removed: a script stopped by ^C or an error leaves no server
# running on a benchmark port.
pb_setup() {
	dir=$(mktemp -d "${1:-/tmp/pulseboard-bench.XXXXXX}")
	pids=()
	trap pb_cleanup EXIT
	trap 'exit 130' INT TERM
}

pb_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}

# pb_build DIR PKG...: builds each package into DIR under its base name, at
# the lowest priority (the machine is usually measuring something else).
pb_build() {
	local out=$1 p
	shift
	for p in "$@"; do nice -n 19 go build -o "$out/$(basename "$p")" "$p" || return; done
}

# pb_wait_healthy PORT: waits until http://127.0.0.1:PORT/healthz answers
# 200, for at most PB_START_TIMEOUT seconds (60); fails (status 1, a line
# on stderr) after that, so a server that cannot start stops the script
# instead of hanging it.
pb_wait_healthy() {
	local end=$((SECONDS + ${PB_START_TIMEOUT:-60}))
	until curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "pulseboard on port $1 not healthy after ${PB_START_TIMEOUT:-60} s" >&2
			return 1
		fi
		sleep 0.2
	done
}

# pb_field NAME: the number of "NAME": in the JSON on stdin (pulseload's
# -json report).
pb_field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p"; }

# pb_median: the median of the numbers on stdin, one a line (the lower
# middle of an even count, as the tables' "median of N" is read).
pb_median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# pb_demo_config PORT FILE: writes the demo config (configs/default.yaml)
# listening on 127.0.0.1:PORT with the server's session budget off, to
# FILE. The budget lets in 20 new dashboards a second (100 at once); the
# benchmarks that open hundreds or thousands of connections measure them
# open, not how fast they may come.
pb_demo_config() {
	sed 's/^  listen: .*/  listen: 127.0.0.1:'"$1"'\n  session_rate: -1/' configs/default.yaml >"$2"
}

# pb_measure BINARY CONFIG PORT: starts BINARY on CONFIG (memory only, on
# CPU 0, at $PB_SERVER_NICE, 0 by default), waits for it and $SETTLE
# seconds, runs five pulseload readers against ws://127.0.0.1:PORT/ws on
# CPU 1 at nice 19 ($WARMUP warm-up, $SECS seconds), prints pulseload's
# JSON report and stops the server. Its stderr goes to $PB_SERVER_LOG if
# set; with $PB_METRICS_OUT set, its /metrics as the readers leave is
# written there (pb_server_p99, pb_heap_mib read it). The readers' p99 beside a source or an attack is what the
# issue-14 benchmarks compare.
pb_measure() {
	nice -n "${PB_SERVER_NICE:-0}" taskset -c 0 "$1" -config "$2" -storage.path "" -log-level warn 2>>"${PB_SERVER_LOG:-/dev/stderr}" &
	local pid=$!
	pids+=("$pid")
	pb_wait_healthy "$3" || return
	sleep "$SETTLE"
	nice -n 19 taskset -c 1 "$dir/pulseload" -url "ws://127.0.0.1:$3/ws" -clients 5 -warmup "$WARMUP" \
		-duration "${SECS}s" -report 100s -json -pid "$pid" 2>/dev/null | sed -n '/^{/,$p'
	if [ -n "${PB_METRICS_OUT:-}" ]; then
		curl -fsS "http://127.0.0.1:$3/metrics" >"$PB_METRICS_OUT" 2>/dev/null || true
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

# pb_server_p99 FILE: the server side of the readers' delay in a /metrics
# text: the upper bound, in ms, of the pulseboard_ws_delivery_delay_seconds
# bucket that holds its 99th percentile (since the server started).
pb_server_p99() {
	awk -F'[{}" ]+' '/^pulseboard_ws_delivery_delay_seconds_bucket/ {le[n] = $3; c[n++] = $NF}
		END {if (!n) exit; for (i = 0; i < n; i++) if (c[i] >= 0.99 * c[n-1]) {print (le[i] == "+Inf" ? "inf" : le[i] * 1000); exit}}' "$1"
}

# pb_heap_mib FILE: go_memstats_heap_inuse_bytes in a /metrics text, in MiB.
pb_heap_mib() { awk '/^go_memstats_heap_inuse_bytes/ {printf "%d\n", $2 / 1048576}' "$1"; }
