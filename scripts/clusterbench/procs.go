package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one process the bench runs: a pulseboard node or nats-server.
// Every one dies with the bench (Pdeathsig), whatever ends it.
type proc struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	log     string // its output file
}

// start runs bin with args on the CPUs of cpus (taskset's list; "" for
// any), its output in dir/name.log.
func start(dir, name, cpus, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if cpus != "" {
		args = append([]string{"-c", cpus, bin}, args...)
		bin = "taskset"
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{}), log: logPath, started: time.Now()}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	return p, nil
}

// signal sends sig and, unless it is SIGKILL, waits up to 20 s for the
// exit (then kills); with SIGKILL it waits for the exit.
func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail is the last lines of the process's output, for an error.
func (p *proc) tail() string {
	data, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}

// nodeConfig is node i's config: a dashboard on port, one simulated
// source "sim" of series series (half sine gauges, half counters) every
// second, memory-only history, the cluster "bench" over the NATS at url.
func nodeConfig(i, port, series int, url string) string {
	return fmt.Sprintf(`server: {listen: "127.0.0.1:%d"}
storage: {path: ""}
cluster:
  name: bench
  node: n%d
  nats: {urls: [%q]}
sources:
  - name: sim
    type: simulated
    interval: 1s
    series:
      - {metric: bench_gauge, shape: sine, min: 0, max: 100, period: 5m, noise: 1, count: %d}
      - {metric: bench_requests_total, shape: counter, rate: 50, count: %d}
`, port, i, url, series/2, series-series/2)
}

// node is one pulseboard of the bench.
type node struct {
	*proc
	base string // http://127.0.0.1:port
}

func startNode(dir, bin, cpus string, i, port, series int, url string) (*node, error) {
	cfg := filepath.Join(dir, fmt.Sprintf("n%d.yaml", i))
	if err := os.WriteFile(cfg, []byte(nodeConfig(i, port, series, url)), 0o600); err != nil {
		return nil, err
	}
	p, err := start(dir, fmt.Sprintf("n%d", i), cpus, bin, "-config", cfg)
	if err != nil {
		return nil, err
	}
	return &node{proc: p, base: "http://127.0.0.1:" + strconv.Itoa(port)}, nil
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// get returns path's body; an answer other than 200 is an error.
func (n *node) get(path string) ([]byte, error) {
	resp, err := httpClient.Get(n.base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, err
}

// metric sums the values of every sample of /metrics whose line starts
// with prefix (a name, or a name and its first labels: `x{a="b"`).
func (n *node) metric(prefix string) (float64, error) {
	body, err := n.get("/metrics")
	if err != nil {
		return 0, err
	}
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		rest := line[len(prefix):]
		if rest == "" || !strings.ContainsAny(rest[:1], " {,}") {
			continue // another metric whose name starts alike
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// await checks cond every step until it holds or bound passes.
func await(ctx context.Context, bound, step time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tick := time.NewTicker(step)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not within %s", what, bound)
		case <-tick.C:
		}
	}
	return nil
}

// freePorts returns n loopback ports from base on that are free now.
func freePorts(base, n int) ([]int, error) {
	var out []int
	for p := base; len(out) < n && p < base+1000; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		out = append(out, p)
	}
	if len(out) < n {
		return nil, fmt.Errorf("fewer than %d free ports from %d", n, base)
	}
	return out, nil
}

// nodeList is GET /api/v1/nodes.
type nodeList struct {
	Nodes []struct {
		Name string `json:"name"`
		Up   bool   `json:"up"`
	} `json:"nodes"`
}

func (n *node) nodes() (nodeList, error) {
	var l nodeList
	body, err := n.get("/api/v1/nodes")
	if err != nil {
		return l, err
	}
	return l, json.Unmarshal(body, &l)
}

// nodesUp counts the nodes n lists, and those up (0, 0 on any failure).
func nodesUp(n *node) (up, total int) {
	l, err := n.nodes()
	if err != nil {
		return 0, 0
	}
	for _, x := range l.Nodes {
		if x.Up {
			up++
		}
	}
	return up, len(l.Nodes)
}

// nodeUp says whether n lists node name, and whether it is up.
func nodeUp(n *node, name string) (up, known bool) {
	l, err := n.nodes()
	if err != nil {
		return false, false
	}
	for _, x := range l.Nodes {
		if x.Name == name {
			return x.Up, true
		}
	}
	return false, false
}
