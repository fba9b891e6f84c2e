package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// server is the pulseboard process under test.
type server struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	admin  string
	config string
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// soak runs the whole soak; an error means it could not be run at all.
// Progress lines go to log.
func soak(ctx context.Context, o options, log io.Writer) (*report, error) {
	t, err := startTarget()
	if err != nil {
		return nil, err
	}
	defer t.close()
	t.left = o.off["hostile"]
	dir, err := os.MkdirTemp("", "pulsesoak-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(log, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	srv, port, err := startServer(ctx, o, dir, t)
	if err != nil {
		return nil, err
	}
	defer func() {
		if srv.cmd.ProcessState == nil {
			_ = srv.cmd.Process.Kill()
			<-srv.exited
		}
	}()
	rep := &report{Duration: o.duration.String(), Off: slices.Sorted(maps.Keys(o.off)), ServerEnv: o.serverEnv}
	client := &http.Client{Timeout: 30 * time.Second}
	logf := func(format string, args ...any) {
		fmt.Fprintf(log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	logf("server up on %s; warming up %s", srv.base, o.warmup)
	if err := wait(ctx, o.warmup); err != nil {
		return nil, err
	}
	if rep.MemoryBefore, err = sampleMemory(ctx, client, srv.base, 5); err != nil {
		return nil, err
	}
	logf("baseline: %.0f goroutines, %.1f MiB heap in use; quiet readers for %s", rep.MemoryBefore.Goroutines, rep.MemoryBefore.HeapInuseMiB, o.baseline)
	wsURL := fmt.Sprintf("ws://127.0.0.1:%d/ws", port)
	before, err := scrapeMetrics(ctx, client, srv.base)
	if err != nil {
		return nil, err
	}
	base, err := runLoad(ctx, o.load, wsURL, 5, 0, o.baseline)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	after, err := scrapeMetrics(ctx, client, srv.base)
	if err != nil {
		return nil, err
	}
	rep.BaselineServerP99Ms = histQuantile(before, after, deliveryHist, 0.99)
	rep.BaselineP99Ms, rep.LoadAvgBaseline = base.DelayP99Ms, loadAvg()
	rep.checkReaders("baseline", base)

	logf("load for %s: %d stalled, %d churning, crashes, reloads, scrapers", o.duration, o.stalled, o.churn)
	if err := underLoad(ctx, o, srv, t, port, wsURL, client, rep, logf); err != nil {
		return nil, err
	}

	logf("load over; waiting for memory to settle")
	rep.MemoryAfter, rep.SettledSecs, err = settle(ctx, client, srv.base, rep.MemoryBefore)
	if err != nil {
		return nil, err
	}
	logf("after: %.0f goroutines, %.1f MiB heap in use (%.0fs to settle); SIGTERM", rep.MemoryAfter.Goroutines, rep.MemoryAfter.HeapInuseMiB, rep.SettledSecs)
	rep.ExitCode, rep.ExitSecs = terminate(srv)
	rep.evaluate()
	return rep, nil
}

// startServer writes the config and starts the binary on a free port,
// under taskset -c o.serverCPUs unless it is empty, with o.serverEnv and
// o.serverArgs.
func startServer(ctx context.Context, o options, dir string, t *hostileTarget) (*server, int, error) {
	bin, cpus := o.bin, o.serverCPUs
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	srv := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port), admin: hex.EncodeToString(tok[:]),
		config: filepath.Join(dir, "soak.yaml"), exited: make(chan struct{})}
	if err := writeConfig(srv.config, configText(port, srv.admin, t, 0), false); err != nil {
		return nil, 0, err
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, 0, err
	}
	args := []string{bin, "-config", srv.config, "-log-level", "warn"}
	if o.off["storage"] {
		args = append(args, "-storage.path=")
	}
	args = append(args, o.serverArgs...)
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	srv.cmd = exec.Command(args[0], args[1:]...)
	srv.cmd.Env = append(append(os.Environ(), "XDG_STATE_HOME="+dir), o.serverEnv...) // its stored history lives with the soak's files
	srv.cmd.Stdout, srv.cmd.Stderr = logFile, logFile
	if err := srv.cmd.Start(); err != nil {
		logFile.Close()
		return nil, 0, err
	}
	go func() {
		srv.err = srv.cmd.Wait()
		logFile.Close()
		close(srv.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(srv.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv, port, nil
			}
		}
		select {
		case <-srv.exited:
			return nil, 0, fmt.Errorf("%s exited before it was ready: %v (see %s)", bin, srv.err, logFile.Name())
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("%s not ready after 30s", bin)
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// wait waits d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// every runs f every period until ctx ends.
func every(ctx context.Context, period time.Duration, f func(i int)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			f(i)
		}
	}
}

// underLoad runs every kind of load at once for o.duration and books what
// each saw in rep.
func underLoad(ctx context.Context, o options, srv *server, t *hostileTarget, port int, wsURL string, client *http.Client, rep *report, logf func(string, ...any)) error {
	start, err := scrapeMetrics(ctx, client, srv.base)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var mu sync.Mutex // guards rep while the load runs
	book := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	var wg sync.WaitGroup
	goLoad := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	goKind := func(kind string, f func()) { // a kind of load -off may leave out
		if !o.off[kind] {
			goLoad(f)
		}
	}

	goLoad(func() { // the measured readers, beside stalled connections
		for lctx.Err() == nil {
			left := time.Until(deadlineOf(lctx))
			if left < 2*time.Second {
				return
			}
			before, _ := scrapeMetrics(ctx, client, srv.base)
			s, err := runLoad(ctx, o.load, wsURL, 5, o.stalled, min(time.Minute, left-time.Second))
			after, _ := scrapeMetrics(ctx, client, srv.base) // a failed scrape leaves the figure 0; scrapers count failures
			book(func() {
				rep.readersRound(s, histQuantile(before, after, deliveryHist, 0.99), err)
				rep.RoundLoadAvg = append(rep.RoundLoadAvg, loadAvg())
				rep.LoadAvgMax = max(rep.LoadAvgMax, loadAvg())
			})
		}
	})
	goKind("churn", func() { // churning readers
		for lctx.Err() == nil {
			if time.Until(deadlineOf(lctx)) < 3*time.Second {
				return
			}
			s, err := runLoad(ctx, o.load, wsURL, o.churn, 0, 2*time.Second)
			book(func() { rep.churnRound(s, err) })
		}
	})
	goKind("crashes", func() { // crash requests
		every(lctx, 2*time.Second, func(i int) {
			code := post(ctx, client, srv.base+"/api/v1/sources/"+faultySources[i%len(faultySources)]+"/crash", srv.admin)
			book(func() { rep.crash(code) })
		})
	})
	steps := reloadSteps(port, srv.admin, t)
	goKind("reloads", func() { // files saved over the config
		every(lctx, 3*time.Second, func(i int) {
			st := steps[i%len(steps)]
			err := writeConfig(srv.config, st.body(i/len(steps)), st.inPlace)
			book(func() { rep.reload(st.kind, err) })
		})
	})
	for range 2 { // /metrics scrapers
		goKind("scrapers", func() {
			every(lctx, time.Second, func(int) {
				e, err := scrapeMetrics(ctx, client, srv.base)
				book(func() { rep.scrape(e, err); rep.LoadAvgMax = max(rep.LoadAvgMax, loadAvg()) })
			})
		})
	}
	progress := time.NewTicker(time.Minute)
	defer progress.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-progress.C:
			mu.Lock()
			logf("%d reader rounds (p99 max %.1f ms, gaps %d), %d churn rounds, %d crashes, %d reloads, %d scrapes",
				rep.ReaderRounds, rep.LoadP99Ms, rep.Gaps, rep.ChurnRounds, rep.Crashes[202], len(rep.Reloads), rep.Scrapes)
			mu.Unlock()
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The last file saved may be a refused one: put the first back, as
	// an operator would, and let the reloader take it.
	if err := writeConfig(srv.config, configText(port, srv.admin, t, 0), false); err != nil {
		return err
	}
	end, err := scrapeMetrics(ctx, client, srv.base)
	if err != nil {
		return err
	}
	rep.rhythm(start, end)
	rep.reloadCounters(start, end)
	return wait(ctx, 2*time.Second)
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// post sends an admin POST and returns the status, 0 if none came.
func post(ctx context.Context, client *http.Client, url, token string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// settle waits, up to a minute, for goroutines and heap to be back within
// their bounds of before, and returns what it last saw.
func settle(ctx context.Context, client *http.Client, base string, before memory) (memory, float64, error) {
	start := time.Now()
	for {
		m, err := sampleMemory(ctx, client, base, 5)
		if err != nil {
			return m, 0, err
		}
		took := time.Since(start).Seconds()
		if memoryBack(before, m) || took > 60 {
			return m, took, nil
		}
	}
}

// memoryBack is the "back to baseline" invariant.
func memoryBack(before, after memory) bool {
	return after.Goroutines <= before.Goroutines+10 && after.HeapInuseMiB <= 1.25*before.HeapInuseMiB+4
}

// terminate sends SIGTERM and returns the exit status and how long it
// took; -1 when the process had to be killed after 30 s.
func terminate(srv *server) (int, float64) {
	start := time.Now()
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.exited:
	case <-time.After(30 * time.Second):
		_ = srv.cmd.Process.Kill()
		<-srv.exited
		return -1, time.Since(start).Seconds()
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(srv.err, &ee) {
		code = ee.ExitCode()
	} else if srv.err != nil {
		code = -1
	}
	return code, time.Since(start).Seconds()
}
