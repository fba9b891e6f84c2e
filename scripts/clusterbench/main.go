// Command clusterbench measures a pulseboard cluster on one machine
// (issue 17, BENCHMARKS.md "Cluster"): -nodes pulseboard processes with
// -series simulated series each at 1 s, joined to one Debian nats-server
// (cluster.nats.urls), all on loopback. scripts/cluster-bench.sh builds
// the binary and runs it. Each of -runs runs:
//
//  1. starts nats-server (with its monitoring port) and all nodes but
//     one, and lets them run for -warm (history to backfill);
//  2. join: starts the last node and times it from its start until its
//     /metrics counts a finished backfill from every peer
//     (pulseboard_cluster_backfills_total{result="done"});
//  3. after -settle, for -measure, a WebSocket client on node 0 takes, for every point
//     of a peer's series a delta brings, receive time minus the point's
//     time (collected on its node → seen on another node's dashboard);
//     and the samples and payload bytes every node published
//     (pulseboard_cluster_*), and nats-server's /varz bytes in;
//  4. kills -kills nodes with SIGKILL, one at a time at a random phase of
//     the heartbeat, and times each until node 0's /api/v1/nodes says it
//     is down.
//
// It prints one Markdown table: each run's figures and their median.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

type config struct {
	bin, natsServer, dir  string
	nodes, series, kills  int
	runs, basePort        int
	warm, measure, settle time.Duration
	natsCPUs, nodeCPUs    string
	joinBound, lossBound  time.Duration
}

// result is one run's figures.
type result struct {
	join        time.Duration // start of the last node → every peer backfilled
	backfilled  float64       // samples it stored from backfills
	p50, p99    time.Duration // collected on a node → in a delta of node 0's stream
	seen50      time.Duration // collected on a node → received by node 0's client
	seen99      time.Duration
	local50     time.Duration // node 0's own points: collected → in a delta
	local99     time.Duration
	streamMBs   float64 // node 0's stream to its client, MB/s
	decodeShare float64 // the client's decoding time / the window
	cuts        int     // times node 0 cut the client as slow
	maxLat      time.Duration
	points      int
	bytesSample float64 // payload bytes published per sample
	wireSample  float64 // nats-server's payload bytes in (every kind) per sample
	samplesPerS float64
	keyFrames   float64         // key frame requests answered during the window
	loss        []time.Duration // each kill → shown down on node 0
	load        string          // load average during the measurement
	cpu         float64         // the nodes' CPU, cores, during the measurement
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the pulseboard binary (required)")
	flag.StringVar(&c.natsServer, "nats-server", "nats-server", "the nats-server binary")
	flag.StringVar(&c.dir, "dir", "", "work directory for configs and logs (required)")
	flag.IntVar(&c.nodes, "nodes", 10, "pulseboard nodes")
	flag.IntVar(&c.series, "series", 1000, "simulated series per node, at 1 s")
	flag.IntVar(&c.kills, "kills", 5, "nodes killed one after another, each timed until shown down")
	flag.IntVar(&c.runs, "runs", 3, "runs; the table gives each and the median")
	flag.IntVar(&c.basePort, "base-port", 18500, "first loopback port to try")
	flag.DurationVar(&c.warm, "warm", 60*time.Second, "how long the first nodes run before the last joins")
	flag.DurationVar(&c.measure, "measure", 30*time.Second, "latency and traffic window")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "wait after the join before the window")
	flag.StringVar(&c.natsCPUs, "nats-cpus", "", "taskset CPU list for nats-server (empty: any)")
	flag.StringVar(&c.nodeCPUs, "node-cpus", "", "taskset CPU list for the nodes (empty: any)")
	flag.DurationVar(&c.joinBound, "join-bound", 60*time.Second, "give up on a join after this long")
	flag.DurationVar(&c.lossBound, "loss-bound", 10*time.Second, "give up on a node loss after this long")
	flag.Parse()
	if c.bin == "" || c.dir == "" || c.nodes < 2 || c.kills >= c.nodes || c.runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var results []result
	for r := 1; r <= c.runs; r++ {
		dir := filepath.Join(c.dir, "run"+strconv.Itoa(r))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			fail(err)
		}
		res, err := run(ctx, c, dir)
		if err != nil {
			fail(fmt.Errorf("run %d: %w", r, err))
		}
		fmt.Fprintf(os.Stderr, "run %d: join %s, p99 %s, %.2f B/sample, loss %v\n", r, res.join.Round(time.Millisecond), res.p99, res.bytesSample, res.loss)
		results = append(results, res)
	}
	report(c, results)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "clusterbench:", err)
	os.Exit(1)
}

// run is one run of the cluster, started and stopped whole.
func run(ctx context.Context, c config, dir string) (res result, err error) {
	ports, err := freePorts(c.basePort, c.nodes+2)
	if err != nil {
		return res, err
	}
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", ports[0])
	monitor := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	srv, err := start(dir, "nats-server", c.natsCPUs, c.natsServer, "-a", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-m", strconv.Itoa(ports[1]))
	if err != nil {
		return res, err
	}
	var nodes []*node
	defer func() {
		for _, n := range nodes {
			n.signal(syscall.SIGTERM)
		}
		srv.signal(syscall.SIGTERM)
	}()
	if err := await(ctx, 10*time.Second, 20*time.Millisecond, "nats-server ready", func() bool { _, err := readVarz(monitor); return err == nil }); err != nil {
		return res, fmt.Errorf("%w\n%s", err, srv.tail())
	}
	startNodes := func(from, to int) error {
		for i := from; i < to; i++ {
			n, err := startNode(dir, c.bin, c.nodeCPUs, i, ports[2+i], c.series, natsURL)
			if err != nil {
				return err
			}
			nodes = append(nodes, n)
		}
		return nil
	}
	if err := startNodes(0, c.nodes-1); err != nil {
		return res, err
	}
	if err := allUp(ctx, nodes[0], c.nodes-1); err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "%d nodes up; warming %s\n", c.nodes-1, c.warm)
	select {
	case <-time.After(c.warm): // history to backfill: time must pass
	case <-ctx.Done():
		return res, ctx.Err()
	}

	// Join.
	if err := startNodes(c.nodes-1, c.nodes); err != nil {
		return res, err
	}
	joiner := nodes[len(nodes)-1]
	err = await(ctx, c.joinBound, 20*time.Millisecond, "the joining node's backfills", func() bool {
		done, err := joiner.metric(`pulseboard_cluster_backfills_total{result="done"`)
		return err == nil && int(done) >= c.nodes-1
	})
	if err != nil {
		return res, fmt.Errorf("%w\n%s", err, joiner.tail())
	}
	res.join = time.Since(joiner.started)
	res.backfilled, _ = joiner.metric(`pulseboard_cluster_backfill_samples_total{fate="stored"`)
	if err := allUp(ctx, nodes[0], c.nodes); err != nil {
		return res, err
	}

	// Latency and traffic, once the join's key frames (every peer
	// re-announces its series to the newcomer) are over: steady state.
	select {
	case <-time.After(c.settle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	before, err := readTraffic(nodes, monitor)
	if err != nil {
		return res, err
	}
	cpu0 := nodesCPU(nodes)
	startMeasure := time.Now()
	lats, err := latencies(ctx, nodes[0], c.measure)
	if err != nil {
		return res, err
	}
	res.cpu = (nodesCPU(nodes) - cpu0) / time.Since(startMeasure).Seconds()
	res.load = loadavg()
	after, err := readTraffic(nodes, monitor)
	if err != nil {
		return res, err
	}
	res.streamMBs = float64(lats.bytes) / 1e6 / c.measure.Seconds()
	res.decodeShare = lats.decode.Seconds() / c.measure.Seconds()
	res.cuts = lats.cuts
	sortDurations(lats.built)
	sortDurations(lats.seen)
	sortDurations(lats.local)
	res.local50, res.local99 = quantile(lats.local, 0.5), quantile(lats.local, 0.99)
	res.points = len(lats.built)
	res.p50, res.p99 = quantile(lats.built, 0.5), quantile(lats.built, 0.99)
	res.seen50, res.seen99 = quantile(lats.seen, 0.5), quantile(lats.seen, 0.99)
	if len(lats.built) > 0 {
		res.maxLat = lats.built[len(lats.built)-1]
	}
	samples := after.samples - before.samples
	if samples <= 0 {
		return res, errors.New("no samples published during the measurement")
	}
	res.bytesSample = (after.sampleBytes - before.sampleBytes) / samples
	res.wireSample = (after.server.InBytes - before.server.InBytes) / samples
	res.samplesPerS = samples / time.Since(startMeasure).Seconds()
	res.keyFrames = after.keyFrames - before.keyFrames

	// Node loss, seen from node 0.
	for k := 1; k <= c.kills; k++ {
		victim := nodes[k]
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second)))) // a random phase of the heartbeat
		victim.signal(syscall.SIGKILL)
		killed := time.Now()
		name := "n" + strconv.Itoa(k)
		err := await(ctx, c.lossBound, 5*time.Millisecond, name+" shown down", func() bool {
			up, known := nodeUp(nodes[0], name)
			return known && !up
		})
		if err != nil {
			return res, err
		}
		res.loss = append(res.loss, time.Since(killed))
	}
	return res, nil
}

// nodesCPU is the CPU seconds the nodes used so far, together.
func nodesCPU(nodes []*node) float64 {
	s := 0.0
	for _, n := range nodes {
		s += cpuSeconds(n.cmd.Process.Pid)
	}
	return s
}

// allUp waits until n's /api/v1/nodes lists want nodes, all up.
func allUp(ctx context.Context, n *node, want int) error {
	return await(ctx, 60*time.Second, 50*time.Millisecond, fmt.Sprintf("%d nodes up on %s", want, n.name), func() bool {
		up, total := nodesUp(n)
		return total == want && up == want
	})
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

// report prints the Markdown table of every run and the medians.
func report(c config, rs []result) {
	fmt.Printf("%d nodes × %d series at 1 s, one nats-server (Debian), loopback; %d run(s)\n\n", c.nodes, c.series, len(rs))
	head := "| figure | target |"
	sep := "|---|---|"
	for i := range rs {
		head += fmt.Sprintf(" run %d |", i+1)
		sep += "---|"
	}
	fmt.Println(head + " median |")
	fmt.Println(sep + "---|")
	row := func(name, target string, cell func(result) string, med string) {
		line := "| " + name + " | " + target + " |"
		for _, r := range rs {
			line += " " + cell(r) + " |"
		}
		fmt.Println(line + " " + med + " |")
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 0, 64) + " ms" }
	pick := func(f func(result) time.Duration) []time.Duration {
		out := make([]time.Duration, len(rs))
		for i, r := range rs {
			out[i] = f(r)
		}
		return out
	}
	pickF := func(f func(result) float64) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = f(r)
		}
		return out
	}
	durRow := func(name, target string, f func(result) time.Duration) {
		row(name, target, func(r result) string { return ms(f(r)) }, ms(median(pick(f))))
	}
	floatRow := func(name, target, format string, f func(result) float64) {
		row(name, target, func(r result) string { return fmt.Sprintf(format, f(r)) }, fmt.Sprintf(format, medianF(pickF(f))))
	}
	durRow("(a) collected on a node → in a delta of node 0 (delta ts − point t), p50", "", func(r result) time.Duration { return r.p50 })
	durRow("(a) same, p99", "≤ broadcast 100 ms + 100 ms", func(r result) time.Duration { return r.p99 })
	durRow("(a) same, max", "", func(r result) time.Duration { return r.maxLat })
	durRow("(a) baseline: node 0's own points, delta ts − point t, p50", "", func(r result) time.Duration { return r.local50 })
	durRow("(a) same, p99", "", func(r result) time.Duration { return r.local99 })
	durRow("(a) collected on a node → received by node 0's client, p50", "", func(r result) time.Duration { return r.seen50 })
	durRow("(a) same, p99", "", func(r result) time.Duration { return r.seen99 })
	floatRow("(a) remote points seen", "", "%.0f", func(r result) float64 { return float64(r.points) })
	floatRow("(a) node 0's stream to its client, MB/s", "", "%.1f", func(r result) float64 { return r.streamMBs })
	floatRow("(a) the client's decoding time / window", "", "%.2f", func(r result) float64 { return r.decodeShare })
	floatRow("(a) the client cut by node 0 as slow (reconnected)", "", "%.0f", func(r result) float64 { return float64(r.cuts) })
	durRow("(b) joining node: start → every peer backfilled", "≤ 5 s", func(r result) time.Duration { return r.join })
	floatRow("(b) samples backfilled", "", "%.0f", func(r result) float64 { return r.backfilled })
	floatRow("(c) sample payload bytes published per sample", "≤ 4 B", "%.2f B", func(r result) float64 { return r.bytesSample })
	floatRow("(c) nats-server payload bytes in (every kind) per sample", "", "%.2f B", func(r result) float64 { return r.wireSample })
	floatRow("(c) key frame requests during the window", "", "%.0f", func(r result) float64 { return r.keyFrames })
	floatRow("samples published per second, all nodes", "", "%.0f", func(r result) float64 { return r.samplesPerS })
	durRow("(d) kill -9 → shown down on node 0, median of kills", "≤ 2 s", func(r result) time.Duration { return median(r.loss) })
	durRow("(d) same, slowest kill", "≤ 2 s", func(r result) time.Duration { return slices.Max(r.loss) })
	floatRow("nodes' CPU during (a), cores", "", "%.2f", func(r result) float64 { return r.cpu })
	row("load average (1 min) after (a)", "", func(r result) string { return r.load }, "")
	fmt.Printf("\nnode CPUs: %q, nats-server CPUs: %q (taskset; empty: any); warm %s, measure %s, %d kills a run\n",
		c.nodeCPUs, c.natsCPUs, c.warm, c.measure, c.kills)
}
