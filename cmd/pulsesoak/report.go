package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// report is what a soak saw, and which invariants broke.
type report struct {
	Duration      string    `json:"duration"`
	MemoryBefore  memory    `json:"memory_before"`
	MemoryAfter   memory    `json:"memory_after"`
	SettledSecs   float64   `json:"settled_seconds"`
	BaselineP99Ms float64   `json:"baseline_p99_ms"`
	LoadP99Ms     float64   `json:"load_p99_ms"` // the worst round's
	LoadMaxMs     float64   `json:"load_max_ms"`
	RoundP99Ms    []float64 `json:"round_p99_ms"` // each reader round's, in order
	// The same as the server saw it (pulseboard_ws_delivery_delay_seconds,
	// every client, to its bucket's upper bound): from a delta's build to
	// its write returning.
	BaselineServerP99Ms float64   `json:"baseline_server_p99_ms"`
	RoundServerP99Ms    []float64 `json:"round_server_p99_ms"`

	ReaderRounds   int    `json:"reader_rounds"`
	ReaderSessions int64  `json:"reader_sessions"`
	StalledOpened  int    `json:"stalled_opened"`
	StalledCut     int    `json:"stalled_cut"`
	ChurnRounds    int    `json:"churn_rounds"`
	ChurnSessions  int64  `json:"churn_sessions"`
	Deltas         uint64 `json:"deltas"`
	Gaps           uint64 `json:"gaps"`
	Resyncs        uint64 `json:"resyncs"`
	Replayed       uint64 `json:"replayed_deltas"` // built before their reader connected: no delay

	Undecodable uint64 `json:"undecodable"`

	Crashes        map[int]int        `json:"crash_statuses"`
	Reloads        []string           `json:"-"`
	ReloadsByKind  map[string]int     `json:"reloads_saved"`
	ReloadResults  map[string]float64 `json:"reload_results"`
	Scrapes        int                `json:"metrics_scrapes"`
	ScrapeMaxBytes int                `json:"metrics_max_bytes"`
	ScrapeMaxMs    float64            `json:"metrics_max_ms"`
	Rhythm         map[string]float64 `json:"rhythm"`
	ExitCode       int                `json:"exit_code"`
	ExitSecs       float64            `json:"exit_seconds"`

	// The machine's 1-minute load average at the baseline and the most
	// seen during the load: a p99 measured on a machine busy with other
	// work says as much about that work as about pulseboard.
	LoadAvgBaseline float64 `json:"loadavg_baseline"`
	LoadAvgMax      float64 `json:"loadavg_max"`
	// RoundLoadAvg is the one-minute load average at the end of each
	// reader round, beside RoundP99Ms.
	RoundLoadAvg []float64 `json:"round_loadavg"`
	// Off and ServerEnv say how the run differed from the full soak
	// (-off, -server-env).
	Off       []string `json:"off,omitempty"`
	ServerEnv []string `json:"server_env,omitempty"`

	Errors   []string `json:"errors,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

func (r *report) errorf(format string, args ...any) {
	if len(r.Errors) < 20 {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	}
}

// checkReaders books what any pulseload run saw of the stream.
func (r *report) checkReaders(what string, s loadSummary) {
	r.Deltas += s.Deltas
	r.Gaps += s.Gaps
	r.Resyncs += s.Resyncs
	r.Replayed += s.Replayed
	r.Undecodable += s.Undecodable
	if s.Gaps > 0 || s.Undecodable > 0 {
		r.errorf("%s: %d gaps without a resync, %d undecodable messages", what, s.Gaps, s.Undecodable)
	}
}

func (r *report) readersRound(s loadSummary, serverP99 float64, err error) {
	if err != nil {
		r.errorf("readers: %v", err)
		return
	}
	r.ReaderRounds++
	r.ReaderSessions += s.Dialed
	r.StalledOpened += s.Stalled
	r.StalledCut += s.StalledCut
	r.LoadP99Ms = max(r.LoadP99Ms, s.DelayP99Ms)
	r.RoundP99Ms = append(r.RoundP99Ms, s.DelayP99Ms)
	r.RoundServerP99Ms = append(r.RoundServerP99Ms, serverP99)
	r.LoadMaxMs = max(r.LoadMaxMs, s.DelayMaxMs)
	if s.Disconnects > 0 || s.DialFailed > 0 {
		r.errorf("readers: %d disconnects, %d failed dials of normal readers (%s)", s.Disconnects, s.DialFailed, s.FirstError)
	}
	r.checkReaders("readers", s)
}

func (r *report) churnRound(s loadSummary, err error) {
	if err != nil {
		r.errorf("churn: %v", err)
		return
	}
	r.ChurnRounds++
	r.ChurnSessions += s.Dialed
	r.checkReaders("churn", s)
}

func (r *report) crash(code int) {
	if r.Crashes == nil {
		r.Crashes = map[int]int{}
	}
	r.Crashes[code]++
}

func (r *report) reload(kind string, err error) {
	if err != nil {
		r.errorf("saving the config (%s): %v", kind, err)
		return
	}
	if r.ReloadsByKind == nil {
		r.ReloadsByKind = map[string]int{}
	}
	r.Reloads = append(r.Reloads, kind)
	r.ReloadsByKind[kind]++
}

func (r *report) scrape(e exposition, err error) {
	if err != nil {
		r.errorf("scraping /metrics: %v", err)
		return
	}
	r.Scrapes++
	r.ScrapeMaxBytes = max(r.ScrapeMaxBytes, e.bytes)
	r.ScrapeMaxMs = max(r.ScrapeMaxMs, float64(e.took.Microseconds())/1000)
}

// rhythm is each healthy source's polls over the load against the polls
// its interval allows.
func (r *report) rhythm(start, end exposition) {
	r.Rhythm = map[string]float64{}
	secs := end.at.Sub(start.at).Seconds()
	for _, h := range healthy {
		got := end.value("pulseboard_source_polls_total", "source", h.name) - start.value("pulseboard_source_polls_total", "source", h.name)
		r.Rhythm[h.name] = got / (secs / h.interval)
	}
}

func (r *report) reloadCounters(start, end exposition) {
	r.ReloadResults = map[string]float64{}
	for _, res := range []string{"success", "failure", "timeout"} {
		r.ReloadResults[res] = end.value("pulseboard_config_reloads_total", "result", res) - start.value("pulseboard_config_reloads_total", "result", res)
	}
}

// p99Limit is the bound on the normal readers' p99 under load.
func (r *report) p99Limit() float64 { return max(2*r.BaselineP99Ms, r.BaselineP99Ms+5) }

// maxBaselineP99Ms is the most a quiet baseline's p99 may be for the run to
// count: every quiet run measured 3–34 ms, and a baseline of seconds (a
// machine busy with other work) made the load's bound unbreakable.
const maxBaselineP99Ms = 100

// isOff reports whether -off left kind out.
func (r *report) isOff(kind string) bool { return slices.Contains(r.Off, kind) }

// evaluate checks the invariants; those about a kind of load -off left
// out are not.
func (r *report) evaluate() {
	fail := func(format string, args ...any) { r.Failures = append(r.Failures, fmt.Sprintf(format, args...)) }
	for _, h := range healthy {
		if r.Rhythm[h.name] < 0.97 {
			fail("source %s kept %.3f of its polls (want ≥ 0.97)", h.name, r.Rhythm[h.name])
		}
	}
	if r.Gaps > 0 || r.Undecodable > 0 {
		fail("%d sequence gaps without a resync, %d undecodable messages", r.Gaps, r.Undecodable)
	}
	if r.ReaderRounds == 0 || r.ChurnRounds == 0 && !r.isOff("churn") {
		fail("no reader or churn round completed")
	}
	if r.BaselineP99Ms > maxBaselineP99Ms {
		fail("the quiet baseline's readers' p99 is %.1f ms, over %d ms: the machine was not quiet, and a bound of twice it would mean nothing; rerun when it is", r.BaselineP99Ms, maxBaselineP99Ms)
	}
	if r.LoadP99Ms > r.p99Limit() {
		fail("normal readers' p99 %.1f ms under load, over %.1f ms (baseline %.1f ms)", r.LoadP99Ms, r.p99Limit(), r.BaselineP99Ms)
	}
	for code, n := range r.Crashes {
		if code != 202 && code != 409 {
			fail("%d crash requests answered %d", n, code)
		}
	}
	if r.Crashes[202] == 0 && !r.isOff("crashes") {
		fail("no crash request was accepted")
	}
	if (r.ReloadResults["success"] == 0 || r.ReloadResults["failure"] == 0) && !r.isOff("reloads") {
		fail("reloads: %v; want both applied and refused ones", r.ReloadResults)
	}
	if r.Scrapes == 0 && !r.isOff("scrapers") {
		fail("no /metrics scrape succeeded")
	}
	if len(r.Errors) > 0 {
		fail("%d errors during the load (first: %s)", len(r.Errors), r.Errors[0])
	}
	if !memoryBack(r.MemoryBefore, r.MemoryAfter) {
		fail("memory not back after the load: %.0f goroutines, %.1f MiB heap (before: %.0f, %.1f MiB)",
			r.MemoryAfter.Goroutines, r.MemoryAfter.HeapInuseMiB, r.MemoryBefore.Goroutines, r.MemoryBefore.HeapInuseMiB)
	}
	if r.ExitCode != 0 {
		fail("exit status %d on SIGTERM", r.ExitCode)
	}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n== pulsesoak, %s of load\n", r.Duration)
	fmt.Fprintf(w, "readers      p99 %.1f ms under load (max %.1f ms), baseline %.1f ms, limit %.1f ms\n", r.LoadP99Ms, r.LoadMaxMs, r.BaselineP99Ms, r.p99Limit())
	fmt.Fprintf(w, "rounds       p99 %v ms\n", r.RoundP99Ms)
	fmt.Fprintf(w, "server side  p99 at most %v ms (baseline %.0f ms): build to write, every client\n", r.RoundServerP99Ms, r.BaselineServerP99Ms)
	fmt.Fprintf(w, "machine      load average %.1f at the baseline, up to %.1f under load (%d cores this process may use)\n", r.LoadAvgBaseline, r.LoadAvgMax, runtime.NumCPU())
	if len(r.Off) > 0 || len(r.ServerEnv) > 0 {
		fmt.Fprintf(w, "this run     without %v; server environment %v\n", r.Off, r.ServerEnv)
	}
	fmt.Fprintf(w, "sessions     %d measured in %d rounds beside %d stalled (%d cut by the server), %d churning in %d rounds\n",
		r.ReaderSessions, r.ReaderRounds, r.StalledOpened, r.StalledCut, r.ChurnSessions, r.ChurnRounds)
	fmt.Fprintf(w, "stream       %d deltas (%d replayed: built before their reader connected), %d gaps without resync, %d resyncs, %d undecodable\n", r.Deltas, r.Replayed, r.Gaps, r.Resyncs, r.Undecodable)
	names := make([]string, 0, len(r.Rhythm))
	for n := range r.Rhythm {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprint(w, "rhythm      ")
	for _, n := range names {
		fmt.Fprintf(w, " %s %.3f", n, r.Rhythm[n])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "crashes      %v (status: count)\n", r.Crashes)
	fmt.Fprintf(w, "reloads      saved %v; server: %v\n", r.ReloadsByKind, r.ReloadResults)
	fmt.Fprintf(w, "/metrics     %d scrapes, largest %d bytes, slowest %.0f ms\n", r.Scrapes, r.ScrapeMaxBytes, r.ScrapeMaxMs)
	fmt.Fprintf(w, "memory       before %.0f goroutines %.1f MiB heap; after %.0f goroutines %.1f MiB heap (%.0fs to settle)\n",
		r.MemoryBefore.Goroutines, r.MemoryBefore.HeapInuseMiB, r.MemoryAfter.Goroutines, r.MemoryAfter.HeapInuseMiB, r.SettledSecs)
	fmt.Fprintf(w, "SIGTERM      exit %d in %.1fs\n", r.ExitCode, r.ExitSecs)
	for _, e := range r.Errors {
		fmt.Fprintln(w, "error:", e)
	}
	if len(r.Failures) == 0 {
		fmt.Fprintln(w, "PASS: every invariant held")
		return
	}
	for _, f := range r.Failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
}

// loadAvg is the machine's 1-minute load average, 0 where /proc has none.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}
