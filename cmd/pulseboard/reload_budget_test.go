package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// hangingLoad is a load that blocks until released, one release per call
// that should return: a config file on a mount that stopped answering.
type hangingLoad struct {
	calls   atomic.Int32
	release chan struct{}
	next    *configs.Config
}

func (h *hangingLoad) load(string) (*configs.Config, error) {
	h.calls.Add(1)
	<-h.release
	return loadsOf(h.next)("")
}

func TestReloaderAbandonsALoadPastItsBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := &hangingLoad{release: make(chan struct{}), next: configWith(simSource("a", time.Second, nil))}
		hangups := make(chan os.Signal, 4)
		h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", hangups: hangups, noWatch: true}, hang.load, nil)
		var freed atomic.Int32
		h.r.deps.loadBudget = time.Second
		h.r.deps.freeMemory = func() { freed.Add(1) }
		h.serve(t)

		start := time.Now()
		err := h.r.Reload(context.Background())
		require.Equal(t, time.Second, time.Since(start), "the reload gives up at its budget")
		var rejected *rejectedError
		require.ErrorAs(t, err, &rejected)
		require.Equal(t, "pulseboard.yaml: loading timed out: it took longer than 1s; abandoned, the running config is unchanged", err.Error())
		require.Equal(t, 1.0, h.count(resultTimeout))
		require.Zero(t, h.count(resultFailure))
		e := <-h.events
		require.False(t, e.OK)
		require.Equal(t, []string{err.Error()}, e.Errors)

		// Asked again while the first load still hangs: it loads afresh
		// (the path may now lead to a good file), within its own budget.
		hangups <- syscall.SIGHUP
		synctest.Wait()
		time.Sleep(time.Second) // the fake clock: the budget runs out
		synctest.Wait()
		require.Equal(t, 2.0, h.count(resultTimeout))
		require.Equal(t, int32(2), hang.calls.Load(), "a second load, beside the stuck one")
		require.Equal(t, int32(2), h.r.stuckLoads.Load())
		require.False(t, (<-h.events).OK)

		// The hung loads end at last: what they took is freed, and the
		// next reload loads the file afresh and applies it.
		hang.release <- struct{}{}
		hang.release <- struct{}{}
		synctest.Wait()
		require.Equal(t, int32(2), freed.Load())
		require.Zero(t, h.r.stuckLoads.Load())
		go func() { hang.release <- struct{}{} }()
		require.NoError(t, h.r.Reload(context.Background()))
		require.Equal(t, int32(3), hang.calls.Load())
		require.Equal(t, 1.0, h.count(resultSuccess))
		require.Equal(t, []string{"a"}, (<-h.events).Added)
	})
}

// Loads that hang for ever cost at most maxStuckLoads goroutines: past
// that, a reload is refused at once, without a load, until one ends.
func TestReloaderBoundsStuckLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := &hangingLoad{release: make(chan struct{}), next: configWith()}
		h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", noWatch: true}, hang.load, nil)
		h.r.deps.loadBudget = time.Second
		h.r.deps.freeMemory = func() {}
		h.serve(t)
		for range maxStuckLoads {
			require.Error(t, h.r.Reload(context.Background()))
			<-h.events
		}
		require.Equal(t, int32(maxStuckLoads), hang.calls.Load())

		start := time.Now()
		err := h.r.Reload(context.Background())
		require.Zero(t, time.Since(start), "refused at once")
		require.Equal(t, "pulseboard.yaml: 4 earlier loads are still running past their budget of 1s; not loading again until one ends, the running config is unchanged", err.Error())
		require.Equal(t, int32(maxStuckLoads), hang.calls.Load(), "no new load")
		require.Equal(t, float64(maxStuckLoads+1), h.count(resultTimeout))
		require.False(t, (<-h.events).OK)

		hang.release <- struct{}{} // one ends: the next reload loads again
		synctest.Wait()
		require.Equal(t, int32(maxStuckLoads-1), h.r.stuckLoads.Load())
		err = h.r.Reload(context.Background())
		require.Equal(t, "pulseboard.yaml: loading timed out: it took longer than 1s; abandoned, the running config is unchanged", err.Error())
		require.Equal(t, int32(maxStuckLoads+1), hang.calls.Load(), "a new load")
		<-h.events
		close(hang.release)
		synctest.Wait()
		require.Zero(t, h.r.stuckLoads.Load())
	})
}

// Stopping while a load hangs returns at once, counts nothing, and leaves
// the load to end on its own.
func TestReloaderStopsWhileALoadHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := &hangingLoad{release: make(chan struct{}), next: configWith()}
		h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", noWatch: true}, hang.load, nil)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- h.r.Serve(ctx) }()

		reloaded := make(chan error, 1)
		go func() { reloaded <- h.r.Reload(context.Background()) }()
		synctest.Wait()
		require.Equal(t, int32(1), hang.calls.Load())
		cancel()
		require.NoError(t, <-served)
		require.ErrorIs(t, <-reloaded, context.Canceled)
		require.Zero(t, h.count(resultTimeout)+h.count(resultFailure))
		close(hang.release)
	})
}

// heldFromOS is the heap memory the process holds from the system.
func heldFromOS() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapSys - m.HeapReleased
}

// A whole program, its config file overwritten as an attacker or a
// careless operator would: a billion-laughs file, then one within every
// limit that still takes tens of MB to parse. Each is rejected with its
// position, what it took is given back, and a valid file saved afterwards
// is applied as usual.
func TestReloadSurvivesHostileFiles(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	running := f.p.reloader.config()

	f.replace("reload_bomb.yaml")
	e := f.event()
	require.False(t, e.OK)
	require.Equal(t, []string{f.path + ":7:8: alias expansion exceeds 10000 nodes"}, e.Errors)

	runtime.GC()
	before := heldFromOS()
	long := "server:\n  listen: " + strings.Repeat("x", configs.MaxFileBytes-100) + "\n"
	f.write([]byte(long))
	e = f.event()
	require.False(t, e.OK)
	require.Len(t, e.Errors, 1)
	require.True(t, strings.HasPrefix(e.Errors[0], f.path+`:2:11: server.listen: "xxx`), e.Errors[0])
	require.Less(t, len(e.Errors[0]), 1000, "the value is not echoed whole")

	f.replace("reload_next.yaml")
	for e = f.event(); !e.OK; e = f.event() {
		// The watch may have seen the long file twice.
		require.Contains(t, e.Errors[0], "server.listen")
	}
	require.Equal(t, []string{"fresh"}, e.Added)
	require.NotSame(t, running, f.p.reloader.config())
	// A collection frees what is garbage, but gives nothing back to the
	// system: that is the reloader's job.
	runtime.GC()
	after := heldFromOS()
	t.Logf("heap held from the OS: %d MiB before, %d MiB after the rejected reload", before>>20, after>>20)
	require.Less(t, int64(after)-int64(before), int64(8<<20), "the rejected config's memory is given back")
	require.GreaterOrEqual(t, f.reloads("failure"), 2.0)
	require.Equal(t, 1.0, f.reloads("success"))
	require.Zero(t, f.reloads("timeout"))
}

// write puts data in place of the config file, as replace does.
func (f *reloadFixture) write(data []byte) {
	f.t.Helper()
	tmp := f.path + ".tmp"
	require.NoError(f.t, os.WriteFile(tmp, data, 0o644))
	require.NoError(f.t, os.Rename(tmp, f.path))
}

// A named pipe saved in place of the config (or any file that is not a
// regular one) is refused at once with its position, and does not hold
// up the next reload: a valid file saved after it is applied as usual.
func TestReloadRefusesAPipeAndCarriesOn(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	require.NoError(t, os.Remove(f.path))
	require.NoError(t, syscall.Mkfifo(f.path, 0o600))
	start := time.Now()
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Less(t, time.Since(start), loadBudget, "refused, not waited for")
	require.Contains(t, string(body), f.path+":1:1: a named pipe, not a regular file")
	require.False(t, f.event().OK)

	require.NoError(t, os.Remove(f.path))
	f.replace("reload_next.yaml")
	code, body = f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.True(t, f.event().OK)
}

// A file the config names is read like the config: a reload whose
// cluster.nats.tls.ca_file is a named pipe or /dev/zero is refused at the
// key at once (it hung, or took gigabytes), and the next valid file is
// applied as usual.
func TestReloadRefusesWhatTheConfigNamesIfNotAFile(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	base, err := os.ReadFile(f.path)
	require.NoError(t, err)
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	paths, kinds := []string{fifo}, map[string]string{fifo: "a named pipe", "/dev/zero": "a device"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		paths = append(paths, "/dev/zero")
	}
	for _, ca := range paths {
		require.Equal(t, fmt.Sprintf("%s:31:20: cluster.nats.tls.ca_file: %q is %s, not a regular file: want a PEM file", f.path, ca, kinds[ca]),
			refusedCAReload(t, f, base, ca))
	}
	f.replace("reload_next.yaml")
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.True(t, f.event().OK)
}

// `pulseboard check` has the reload's budget: a load that hangs ends the
// check when it runs out, with the file named and the reason, exit 1.
func TestCheckGivesUpAtTheReloadBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := &hangingLoad{release: make(chan struct{}), next: configWith()}
		var out, errOut strings.Builder
		start := time.Now()
		code := runCheck([]string{"-config", "conf/pb.yaml"}, &out, &errOut, hang.load, loadBudget)
		require.Equal(t, loadBudget, time.Since(start))
		require.Equal(t, 1, code)
		require.Empty(t, out.String())
		require.Equal(t, "conf/pb.yaml: loading timed out: it took longer than 10s, the budget a reload has too; abandoned\n", errOut.String())
		close(hang.release)
	})
}

// A load that ends within the budget is check's answer, as before.
func TestCheckWithinTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out, errOut strings.Builder
		code := runCheck([]string{"-config", "pb.yaml"}, &out, &errOut, loadsOf(configWith()), loadBudget)
		require.Zero(t, code, errOut.String())
		require.Equal(t, "pb.yaml: valid, 0 sources\n", out.String())
	})
}

// A reload whose config file names a TLS file on a kernel pseudo
// filesystem (/proc/kmsg's read blocks until the kernel logs) is refused
// at the key at once, and a valid file saved after it is applied.
func TestReloadRefusesAPseudoFileAndCarriesOn(t *testing.T) {
	if _, err := os.Stat("/proc/version"); err != nil {
		t.Skip("no /proc here")
	}
	f := startReload(t, "reload_base.yaml", true)
	base, err := os.ReadFile(f.path)
	require.NoError(t, err)
	require.Equal(t, f.path+`:31:20: cluster.nats.tls.ca_file: "/proc/version" is a file of proc, a kernel pseudo filesystem, not a regular file: want a PEM file`,
		refusedCAReload(t, f, base, "/proc/version"))

	f.replace("reload_next.yaml")
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.True(t, f.event().OK)
}

// A load that ended at a read that timed out (configs gives up on a read
// after its own budget) counts as a timeout, and gives its memory back.
func TestReloaderCountsAReadTimeoutAsATimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		readTimedOut := func(string) (*configs.Config, error) {
			return nil, fmt.Errorf("pulseboard.yaml:1:1: %w", configs.ErrReadTimeout)
		}
		h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", noWatch: true}, readTimedOut, nil)
		var freed atomic.Int32
		h.r.deps.freeMemory = func() { freed.Add(1) }
		h.serve(t)
		require.Error(t, h.r.Reload(context.Background()))
		require.Equal(t, 1.0, h.count(resultTimeout))
		require.Zero(t, h.count(resultFailure))
		require.Equal(t, int32(1), freed.Load())
		require.Zero(t, h.r.stuckLoads.Load())
		require.False(t, (<-h.events).OK)
	})
}

// refusedCAReload saves base with a cluster whose NATS TLS ca_file is ca,
// asks for a reload, requires it refused at once (422 within the load
// budget, a failed reload event) and returns the error it gave.
func refusedCAReload(t *testing.T, f *reloadFixture, base []byte, ca string) string {
	t.Helper()
	f.write(append(base, fmt.Sprintf("cluster:\n  name: c\n  nats:\n    urls: [\"nats://127.0.0.1:4223\"]\n    tls: {ca_file: %q}\n", ca)...))
	start := time.Now()
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	require.Less(t, time.Since(start), loadBudget, "refused, not waited for")
	var answer struct{ Error string }
	require.NoError(t, json.Unmarshal(body, &answer))
	require.False(t, f.event().OK)
	return answer.Error
}
