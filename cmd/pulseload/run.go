package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// maxDialing bounds handshakes in flight, so that a ramp of 0 does not
// overrun the server's accept backlog.
const maxDialing = 256

// summary is the run's result.
type summary struct {
	URL          string  `json:"url"`
	Clients      int     `json:"clients"`
	Connected    int64   `json:"connected"` // at the end of the measurement
	Dialed       int64   `json:"dialed"`
	DialFailed   int64   `json:"dial_failed"`
	Disconnects  int64   `json:"disconnects"`
	MeasuredSecs float64 `json:"measured_seconds"`
	Messages     uint64  `json:"messages"`
	MsgsPerSec   float64 `json:"messages_per_second"`
	MBPerSec     float64 `json:"megabytes_per_second"`
	BytesPerMsg  float64 `json:"bytes_per_message"`
	Compressed   bool    `json:"compressed"`
	WireMBPerSec float64 `json:"wire_megabytes_per_second"`
	WirePerMsg   float64 `json:"wire_bytes_per_message"`
	// DeltaBytes is the mean size of the deltas received while measuring
	// (snapshots left out), DeltaMax the largest; both as decoded.
	DeltaBytes   float64 `json:"delta_bytes_per_message"`
	DeltaMax     uint64  `json:"delta_bytes_max"`
	DelaySamples uint64  `json:"delay_samples"`
	DelayP50Ms   float64 `json:"delay_p50_ms"`
	DelayP90Ms   float64 `json:"delay_p90_ms"`
	DelayP99Ms   float64 `json:"delay_p99_ms"`
	DelayMaxMs   float64 `json:"delay_max_ms"`
	Deltas       uint64  `json:"deltas"`
	Merged       uint64  `json:"merged_deltas"`
	Snapshots    uint64  `json:"snapshots"`
	Gaps         uint64  `json:"gaps"`
	Resyncs      uint64  `json:"resyncs"`
	Replayed     uint64  `json:"replayed_deltas"`
	Undecodable  uint64  `json:"undecodable"`
	ServerCPU    float64 `json:"server_cpu_percent,omitempty"`
	ServerRSS    uint64  `json:"server_rss_bytes,omitempty"`
	ServerRSS0   uint64  `json:"server_rss_before_bytes,omitempty"`
	ServerRSSMax uint64  `json:"server_rss_peak_bytes,omitempty"`
	ServerRSSEnd uint64  `json:"server_rss_after_bytes,omitempty"`
	Stalled      int     `json:"stalled,omitempty"`
	StalledCut   int     `json:"stalled_cut,omitempty"`
	// StalledRefused are the stalled connections whose handshake failed
	// (refused by the server's admission, 503, or timed out).
	StalledRefused int     `json:"stalled_refused,omitempty"`
	RSSPerClient   float64 `json:"server_rss_per_client_bytes,omitempty"`
	LoadCPU        float64 `json:"pulseload_cpu_percent"`
	FirstError     string  `json:"first_error,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "\n== pulseload %s\n", s.URL)
	fmt.Fprintf(w, "clients      %d connected of %d (dial failures %d, disconnects %d)\n", s.Connected, s.Clients, s.DialFailed, s.Disconnects)
	fmt.Fprintf(w, "messages     %d in %.1fs: %.0f/s, %.2f MB/s, %.0f B a message\n", s.Messages, s.MeasuredSecs, s.MsgsPerSec, s.MBPerSec, s.BytesPerMsg)
	fmt.Fprintf(w, "deltas       %.0f B a delta, largest %d B\n", s.DeltaBytes, s.DeltaMax)
	fmt.Fprintf(w, "wire         %.2f MB/s, %.0f B a message (compression offered: %v)\n", s.WireMBPerSec, s.WirePerMsg, s.Compressed)
	fmt.Fprintf(w, "delay        p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (%d deltas)\n",
		s.DelayP50Ms, s.DelayP90Ms, s.DelayP99Ms, s.DelayMaxMs, s.DelaySamples)
	fmt.Fprintf(w, "sequence     %d gaps, %d resyncs, %d merged deltas, %d snapshots, %d deltas replayed (built before their client connected: no delay)\n", s.Gaps, s.Resyncs, s.Merged, s.Snapshots, s.Replayed)
	if s.Stalled > 0 || s.StalledRefused > 0 {
		fmt.Fprintf(w, "stalled      %d opened, %d cut by the server by the end", s.Stalled, s.StalledCut)
		if s.StalledRefused > 0 {
			fmt.Fprintf(w, ", %d refused at the handshake", s.StalledRefused)
		}
		fmt.Fprintln(w)
	}
	if s.ServerRSS > 0 {
		fmt.Fprintf(w, "server       CPU %.0f%%  RSS %.1f MiB (before %.1f MiB, peak %.1f MiB, after the clients left %.1f MiB, %.1f KiB a client)\n",
			s.ServerCPU, mib(s.ServerRSS), mib(s.ServerRSS0), mib(s.ServerRSSMax), mib(s.ServerRSSEnd), s.RSSPerClient/1024)
	}
	fmt.Fprintf(w, "pulseload    CPU %.0f%%\n", s.LoadCPU)
	if s.FirstError != "" {
		fmt.Fprintf(w, "first error  %s\n", s.FirstError)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// run connects the clients over the ramp, measures for the duration, then
// disconnects them all and returns the summary.
func run(ctx context.Context, cfg config, out io.Writer) (summary, error) {
	sum := summary{URL: cfg.url, Clients: cfg.clients, Compressed: cfg.compress}
	if lim, err := raiseFileLimit(uint64(cfg.clients) + 256); err != nil || lim < uint64(cfg.clients)+64 {
		return sum, fmt.Errorf("open file limit %d is too low for %d clients (%v)", lim, cfg.clients, err)
	}
	var server procSampler
	if cfg.pid > 0 {
		server.pid = cfg.pid
		if _, err := readProc(cfg.pid); err != nil {
			return sum, fmt.Errorf("-pid: %w", err)
		}
	}
	self := procSampler{pid: os.Getpid()}
	base := server.sample()

	var (
		c        counters
		delays   histogram
		measure  atomic.Bool
		errOnce  sync.Once
		firstErr atomic.Value
	)
	header := http.Header{}
	if cfg.token != "" {
		header.Set("Authorization", "Bearer "+cfg.token)
	}
	// A read buffer that holds a whole delta saves a read call per message.
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 16 << 10, WriteBufferSize: 256,
		EnableCompression: cfg.compress, NetDialContext: (&countingDialer{read: &c.wireBytes}).DialContext}
	clientsCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()

	// Launch: client i starts at i·ramp/N, at most maxDialing handshaking.
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxDialing)
	pending := atomic.Int64{}
	pending.Store(int64(cfg.clients))
	allDialed := make(chan struct{})
	dialed := func() {
		<-sem
		if pending.Add(-1) == 0 {
			close(allDialed)
		}
	}
	start := time.Now()
	launched := make(chan struct{})
	go func() {
		defer close(launched)
		for i := range cfg.clients {
			at := start.Add(time.Duration(int64(cfg.ramp) * int64(i) / int64(cfg.clients)))
			if d := time.Until(at); d > 0 {
				select {
				case <-time.After(d):
				case <-clientsCtx.Done():
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-clientsCtx.Done():
				return
			}
			cl := &client{url: cfg.url, header: header, dialer: dialer, c: &c, delays: &delays, measure: &measure, headOnly: cfg.compress,
				firstErr: func(err error) { errOnce.Do(func() { firstErr.Store(err.Error()) }) }}
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.run(clientsCtx, dialed)
			}()
		}
	}()

	// Wait until every client connected or failed (or the ramp plus a
	// margin passed), printing progress.
	tick := time.NewTicker(cfg.report)
	defer tick.Stop()
	rampEnd := time.NewTimer(cfg.ramp + 30*time.Second)
	defer rampEnd.Stop()
	prevMsgs, prevSrv := uint64(0), base
	progress := func(phase string) {
		msgs := c.messages.Load()
		line := fmt.Sprintf("%6.1fs %-7s connected %6d/%d  msgs/s %8.0f", time.Since(start).Seconds(), phase,
			c.connected.Load(), cfg.clients, float64(msgs-prevMsgs)/cfg.report.Seconds())
		prevMsgs = msgs
		if cur := server.sample(); cur.ok {
			sum.ServerRSSMax = max(sum.ServerRSSMax, cur.rssBytes)
			line += fmt.Sprintf("  server CPU %4.0f%% RSS %7.1f MiB", cpuPercent(prevSrv.procSample, cur.procSample), mib(cur.rssBytes))
			prevSrv = cur
		}
		fmt.Fprintln(out, line)
	}
ramp:
	for {
		select {
		case <-allDialed:
			break ramp
		case <-rampEnd.C:
			break ramp
		case <-ctx.Done():
			break ramp
		case <-tick.C:
			progress("ramp")
		}
	}
	// Warm up: a client's first deltas are the catch-up after its
	// snapshot and the server's resume grace, slower than the stream.
	if cfg.warmup > 0 {
		warm := time.NewTimer(cfg.warmup)
	warming:
		for {
			select {
			case <-warm.C:
				break warming
			case <-ctx.Done():
				warm.Stop()
				break warming
			case <-tick.C:
				progress("warmup")
			}
		}
	}

	// Measure, beside the stalled connections if asked: they are opened
	// while the measured clients read, so that what their handshakes cost
	// the others is measured too.
	measure.Store(true)
	m0, d0, b0, w0, t0 := c.messages.Load(), c.decoded.Load(), c.bytes.Load(), c.wireBytes.Load(), time.Now()
	srv0, self0 := server.sample(), self.sample()
	var stalled *stalledSet
	stalledOpen := make(chan struct{})
	if cfg.stalled > 0 {
		go func() {
			defer close(stalledOpen)
			stalled = openStalled(clientsCtx, cfg.url, header, cfg.stalled)
		}()
	} else {
		close(stalledOpen)
	}
	end := time.NewTimer(cfg.duration)
	defer end.Stop()
measuring:
	for {
		select {
		case <-ctx.Done():
			break measuring
		case <-end.C:
			break measuring
		case <-tick.C:
			progress("measure")
		}
	}
	measure.Store(false)
	m1, d1, b1, w1, t1 := c.messages.Load(), c.decoded.Load(), c.bytes.Load(), c.wireBytes.Load(), time.Now()
	srv1, self1 := server.sample(), self.sample()
	sum.Connected = c.connected.Load()
	<-stalledOpen // bounded by the dialer's handshake timeout
	if stalled != nil {
		sum.Stalled, sum.StalledRefused = len(stalled.conns), stalled.dialFailed
		if stalled.firstErr != nil {
			errOnce.Do(func() { firstErr.Store("stalled: " + stalled.firstErr.Error()) })
		}
		sum.StalledCut = stalled.cut()
		stalled.close()
	}

	stopClients()
	<-launched
	wg.Wait()
	if cfg.pid > 0 {
		// Let the server see the closes, then see what it kept.
		time.Sleep(2 * time.Second)
		sum.ServerRSSEnd = server.sample().rssBytes
	}

	secs := t1.Sub(t0).Seconds()
	sum.Dialed, sum.DialFailed, sum.Disconnects = c.dialed.Load(), c.dialFailed.Load(), c.disconnects.Load()
	sum.MeasuredSecs = secs
	sum.Messages = m1 - m0
	sum.MsgsPerSec = float64(m1-m0) / secs
	sum.WireMBPerSec = float64(w1-w0) / secs / 1e6
	if m1 > m0 {
		sum.WirePerMsg = float64(w1-w0) / float64(m1-m0)
	}
	if d1 > d0 { // of the messages read whole: every one, or a sample (headOnly)
		sum.BytesPerMsg = float64(b1-b0) / float64(d1-d0)
		sum.MBPerSec = sum.BytesPerMsg * sum.MsgsPerSec / 1e6
	}
	if n := c.measuredDeltas.Load(); n > 0 {
		sum.DeltaBytes = float64(c.deltaBytes.Load()) / float64(n)
		sum.DeltaMax = c.deltaMax.Load()
	}
	sum.DelaySamples = delays.count.Load()
	sum.DelayP50Ms, sum.DelayP90Ms, sum.DelayP99Ms = ms(delays.quantile(0.5)), ms(delays.quantile(0.9)), ms(delays.quantile(0.99))
	sum.DelayMaxMs = ms(delays.max())
	sum.Deltas, sum.Merged, sum.Snapshots = c.deltas.Load(), c.merged.Load(), c.snapshots.Load()
	sum.Gaps, sum.Resyncs, sum.Undecodable = c.gaps.Load(), c.resyncs.Load(), c.undecodable.Load()
	sum.Replayed = c.replayed.Load()
	if self0.ok && self1.ok {
		sum.LoadCPU = cpuPercent(self0.procSample, self1.procSample)
	}
	if srv0.ok && srv1.ok {
		sum.ServerCPU = cpuPercent(srv0.procSample, srv1.procSample)
		sum.ServerRSS, sum.ServerRSS0 = srv1.rssBytes, base.rssBytes
		if sum.Connected > 0 && srv1.rssBytes > base.rssBytes {
			sum.RSSPerClient = float64(srv1.rssBytes-base.rssBytes) / float64(sum.Connected)
		}
	}
	if e, ok := firstErr.Load().(string); ok {
		sum.FirstError = e
	}
	return sum, nil
}

// procSampler reads a process's /proc figures; with no pid it samples nothing.
type procSampler struct{ pid int }

type optSample struct {
	procSample
	ok bool
}

func (p procSampler) sample() optSample {
	if p.pid <= 0 {
		return optSample{}
	}
	s, err := readProc(p.pid)
	return optSample{procSample: s, ok: err == nil}
}
