package fill

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
)

// DefaultHost is the host template Run uses when Options.Host is nil: the
// series the host source shows on a small machine (two CPUs, 8 GiB, one
// disk, one filesystem, eth0 and lo), with plausible first values. Fixed,
// so fills are the same on every machine.
func DefaultHost() []aggregator.Sample {
	const gib = 1 << 30
	var out []aggregator.Sample
	g := func(m string, v float64, nv ...string) {
		out = append(out, aggregator.Sample{Metric: m, Labels: pairs(nv...), Kind: aggregator.KindGauge, Value: v})
	}
	c := func(m string, v float64, nv ...string) {
		out = append(out, aggregator.Sample{Metric: m, Labels: pairs(nv...), Kind: aggregator.KindCounter, Value: v})
	}
	g("host_memory_total_bytes", 8*gib)
	g("host_memory_used_bytes", 3*gib)
	g("host_memory_available_bytes", 4.5*gib)
	g("host_load1", 0.42)
	g("host_load5", 0.38)
	g("host_load15", 0.35)
	fs := []string{"device", "/dev/sda1", "fstype", "ext4", "mountpoint", "/"}
	g("host_filesystem_size_bytes", 100e9, fs...)
	g("host_filesystem_used_bytes", 41e9, fs...)
	for _, cpu := range []string{"total", "0", "1"} {
		n := 1.0
		if cpu == "total" {
			n = 2
		}
		c("host_cpu_seconds_total", n*21830.5, "cpu", cpu, "mode", "busy")
		c("host_cpu_seconds_total", n*301870.25, "cpu", cpu, "mode", "idle")
	}
	c("host_disk_read_bytes_total", 8.1e9, "device", "sda")
	c("host_disk_written_bytes_total", 23.7e9, "device", "sda")
	c("host_disk_reads_completed_total", 310e3, "device", "sda")
	c("host_disk_writes_completed_total", 1.2e6, "device", "sda")
	for _, nic := range []string{"eth0", "lo"} {
		c("host_network_receive_bytes_total", 5.3e9, "interface", nic)
		c("host_network_transmit_bytes_total", 1.9e9, "interface", nic)
		c("host_network_receive_errs_total", 0, "interface", nic)
		c("host_network_transmit_errs_total", 0, "interface", nic)
	}
	g("host_cpu_busy_percent", 6.7)
	g("host_cpu_core_busy_percent", 6.7, "cpu", "0")
	g("host_cpu_core_busy_percent", 6.7, "cpu", "1")
	return out
}

// MachineHost is the host template of this machine: the series one poll of
// the real host source shows now, with their values (and
// host_cpu_busy_percent and host_cpu_core_busy_percent, which the source
// shows from its second poll on).
// A fill with it has the identities a pulseboard here would have, so the
// program's live series continue the filled ones; its values depend on
// the machine and the moment.
func MachineHost(ctx context.Context) ([]aggregator.Sample, error) {
	src, err := collectors.NewSource(configs.Source{Name: "host", Type: configs.TypeHost, Spec: configs.NewHostSpec()}, collectors.Env{})
	if err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	samples, err := src.Poll(ctx)
	if err != nil {
		return nil, fmt.Errorf("fill: polling this machine: %w", err)
	}
	if !hasMetric(samples, "host_cpu_busy_percent") {
		samples = append(samples, aggregator.Sample{Metric: "host_cpu_busy_percent", Kind: aggregator.KindGauge, Value: 5})
	}
	if !hasMetric(samples, "host_cpu_core_busy_percent") {
		for _, s := range samples {
			if c := s.Labels.Get("cpu"); s.Metric == "host_cpu_seconds_total" && c != "total" && s.Labels.Get("mode") == "busy" {
				samples = append(samples, aggregator.Sample{Metric: "host_cpu_core_busy_percent", Labels: pairs("cpu", c), Kind: aggregator.KindGauge, Value: 5})
			}
		}
	}
	return samples, nil
}

func hasMetric(ss []aggregator.Sample, metric string) bool {
	for _, s := range ss {
		if s.Metric == metric {
			return true
		}
	}
	return false
}

// hostFeed synthesizes a host source's series from a template. A few
// shared quantities wander (how busy the CPUs are, the load, the memory in
// use) and every series follows them, so the charts look like one machine:
// busy and idle CPU seconds grow with the busy fraction, the busy percent
// shows it, available memory mirrors used. Byte and operation counters
// grow at a noisy rate, error counters stay, sizes stay, a filesystem
// fills slowly. Values are rounded as the real source's are (bytes to
// whole numbers, CPU seconds to hundredths, load to hundredths, percent to
// tenths), and everything is drawn from (seed, series, poll), so the same
// options give the same values.
type hostFeed struct {
	name     string
	interval time.Duration
	seed     uint64
	tmpl     []aggregator.Sample // identities (the source's labels merged in) and current values
	cpus     float64             // CPUs of the template (cpu labels other than "total")
	buffers  float64             // memory neither used nor available, kept as in the template
	total    float64             // memory
	at       time.Time
	polls    uint64
	busy     float64 // fraction of CPU time busy
	load     float64 // where load1 is heading
	used     float64 // memory in use
}

func newHostFeed(src configs.Source, tmpl []aggregator.Sample, seed uint64, from time.Time) *hostFeed {
	h := &hostFeed{name: src.Name, interval: src.Interval.D(), seed: seed, at: from, busy: 0.07, load: 0.4}
	h.tmpl = withLabels(cloneSamples(tmpl), labelsOf(src.Labels))
	cpus := map[string]bool{}
	var avail float64
	for _, s := range h.tmpl {
		switch s.Metric {
		case "host_cpu_seconds_total":
			if c := s.Labels.Get("cpu"); c != "total" {
				cpus[c] = true
			}
		case "host_memory_total_bytes":
			h.total = s.Value
		case "host_memory_used_bytes":
			h.used = s.Value
		case "host_memory_available_bytes":
			avail = s.Value
		case "host_cpu_busy_percent":
			h.busy = s.Value / 100
		case "host_load1":
			h.load = s.Value
		}
	}
	h.cpus = float64(max(1, len(cpus)))
	h.buffers = max(0, h.total-h.used-avail)
	return h
}

func cloneSamples(in []aggregator.Sample) []aggregator.Sample {
	out := make([]aggregator.Sample, len(in))
	copy(out, in)
	return out
}

func (h *hostFeed) next() time.Time { return h.at }
func (h *hostFeed) series() int     { return len(h.tmpl) }

// poll moves the shared quantities one step, then every series.
func (h *hostFeed) poll(context.Context) (aggregator.Batch, bool, error) {
	dt := h.interval.Seconds()
	if h.polls > 0 {
		h.step(dt)
	}
	ms := h.at.UnixMilli()
	out := make([]aggregator.Sample, len(h.tmpl))
	for i := range h.tmpl {
		s := &h.tmpl[i]
		if h.polls > 0 {
			s.Value = h.value(i, s, dt)
		}
		out[i] = *s
		out[i].TimeMs = ms
	}
	h.polls++
	h.at = h.at.Add(h.interval)
	return aggregator.Batch{Source: h.name, Samples: out, Complete: true}, true, nil
}

// step moves the shared quantities: bounded random walks.
func (h *hostFeed) step(dt float64) {
	h.busy = reflectInto(h.busy+0.01*h.gauss(0, 1), 0.02, 0.9)
	h.load = reflectInto(h.load+0.03*h.gauss(0, 2), 0, 2*h.cpus)
	if h.total > 0 {
		h.used = math.Round(reflectInto(h.used+0.0005*h.total*h.gauss(0, 3), 0.1*h.total, 0.9*h.total-h.buffers))
	}
}

// value is series i's next value, dt seconds after its last one.
func (h *hostFeed) value(i int, s *aggregator.Sample, dt float64) float64 {
	v := s.Value
	key := uint64(i) + 16
	switch m := s.Metric; {
	case m == "host_cpu_busy_percent":
		return math.Round(h.busy*1000) / 10
	case m == "host_cpu_core_busy_percent":
		return math.Round(reflectInto(h.busy+0.03*h.gauss(key, 0), 0, 1)*1000) / 10
	case m == "host_cpu_seconds_total":
		n, b := h.cpus, h.busy
		if s.Labels.Get("cpu") != "total" {
			n, b = 1, reflectInto(h.busy+0.03*h.gauss(key, 0), 0, 1)
		}
		if s.Labels.Get("mode") != "busy" {
			b = 1 - b
		}
		return math.Round((v+n*b*dt)*100) / 100
	case m == "host_load1":
		return math.Round(h.load*100) / 100
	case m == "host_load5", m == "host_load15":
		tau := 300.0
		if m == "host_load15" {
			tau = 900
		}
		return math.Round((v+(h.load-v)*(1-math.Exp(-dt/tau)))*100) / 100
	case m == "host_memory_used_bytes" && h.total > 0:
		return h.used
	case m == "host_memory_available_bytes" && h.total > 0:
		return h.total - h.used - h.buffers
	case m == "host_filesystem_used_bytes":
		return v + math.Round(2048*dt*max(0, 1+h.gauss(key, 0)))
	case strings.HasSuffix(m, "_errs_total"), strings.HasSuffix(m, "_size_bytes"), strings.HasSuffix(m, "_total_bytes"):
		return v
	case s.Kind == aggregator.KindCounter:
		rate := 3.0 // operations a second
		if strings.HasSuffix(m, "_bytes_total") {
			rate = 20e3
		}
		return v + math.Round(rate*dt*max(0, 1+0.5*h.gauss(key, 0)))
	}
	return v // other gauges stay
}

// gauss is a standard normal number drawn from the seed, the poll and
// (series, n).
func (h *hostFeed) gauss(series, n uint64) float64 {
	k := mix64(h.seed ^ mix64(h.polls^mix64(series<<8|n)))
	u1 := float64(mix64(k)>>11) / (1 << 53)
	u2 := float64(mix64(k^0x6a56)>>11) / (1 << 53)
	u1 = max(u1, 1e-300)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// reflectInto folds v back into [lo, hi], a walk bouncing off its bounds.
func reflectInto(v, lo, hi float64) float64 {
	span := hi - lo
	if span <= 0 {
		return lo
	}
	m := math.Mod(v-lo, 2*span)
	if m < 0 {
		m += 2 * span
	}
	if m > span {
		m = 2*span - m
	}
	return lo + m
}

// pairs builds sorted labels from name, value, name, value….
func pairs(nv ...string) aggregator.Labels {
	m := make(map[string]string, len(nv)/2)
	for i := 0; i+1 < len(nv); i += 2 {
		m[nv[i]] = nv[i+1]
	}
	return labelsOf(m)
}
