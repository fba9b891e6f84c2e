package collectors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypeHost, newHostSource) }

// hostSource reports the machine pulseboard runs on: CPU, memory, load,
// disk and network rates, filesystem usage.
//
// CPU time, disk and network traffic go out as the kernel's counters
// (`_total`), not as rates: rates are computed where they are shown, and
// a poll needs no previous one (so the source keeps no state, and gopsutil's
// cpu.Percent, whose "since the last call" is shared by every caller in the
// process, is not used).
type hostSource struct {
	read    func(ctx context.Context, at time.Time) (*hostSnapshot, []error)
	now     func() time.Time
	partial Partial
	// prevBusy and prevIdle are the total CPU seconds of the previous
	// poll, for host_cpu_busy_percent; hasPrev says whether there was one.
	prevBusy, prevIdle float64
	hasPrev            bool
	// prevCores are each CPU's busy and idle seconds of the previous
	// poll (by the cpu label), for host_cpu_core_busy_percent.
	prevCores map[string][2]float64
}

// newHostSource builds the host source; a host spec has no keys, so
// there is nothing of it to read.
func newHostSource(_ configs.Source, env Env) (Source, error) {
	r := &hostReader{}
	return &hostSource{read: r.read, now: env.now}, nil
}

func (h *hostSource) Describe() string     { return "host metrics" }
func (h *hostSource) LastPartial() Partial { return h.partial }

// Poll reads every part of the host it can. Parts that fail are partial
// errors; the poll fails only when every part failed.
func (h *hostSource) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	h.partial = Partial{}
	cur, errs := h.read(ctx, h.now())
	if len(errs) == hostParts {
		return nil, fmt.Errorf("%w: %w", ErrNoValues, errors.Join(errs...))
	}
	samples := hostSamples(cur)
	if cur.CPUTotal != nil {
		busy, idle := cpuSeconds(*cur.CPUTotal)
		if pct, ok := busyPercent(h.prevBusy, h.prevIdle, busy, idle); ok && h.hasPrev {
			samples = append(samples, aggregator.Sample{Metric: "host_cpu_busy_percent", Kind: aggregator.KindGauge, TimeMs: cur.At.UnixMilli(), Value: pct})
		}
		h.prevBusy, h.prevIdle, h.hasPrev = busy, idle, true
	}
	samples = h.coreShares(samples, cur)
	h.partial.Errors = errs
	return samples, nil
}

// coreShares appends each CPU's busy share since the previous poll,
// host_cpu_core_busy_percent{cpu}, and keeps this poll's seconds for the
// next. The share is the CPU's busy seconds over its busy and idle ones
// within one pair of readings, not over the wall time between the polls:
// the kernel counts in ticks of 1/100 s, and a core kept busy through a
// poll of one second may count 101 ticks in it, which a rate against the
// wall clock shows as 101 %. A CPU missing from either reading (hot
// plugged) has no share this poll.
func (h *hostSource) coreShares(samples []aggregator.Sample, cur *hostSnapshot) []aggregator.Sample {
	if cur.CPUs == nil {
		return samples // the CPU part failed: the previous reading stays the base
	}
	next := make(map[string][2]float64, len(cur.CPUs))
	for _, c := range cur.CPUs {
		name := strings.TrimPrefix(c.CPU, "cpu")
		busy, idle := cpuSeconds(c)
		next[name] = [2]float64{busy, idle}
		prev, ok := h.prevCores[name]
		if !ok {
			continue
		}
		if pct, ok := busyPercent(prev[0], prev[1], busy, idle); ok {
			samples = append(samples, aggregator.Sample{Metric: "host_cpu_core_busy_percent", Labels: pairs("cpu", name), Kind: aggregator.KindGauge, TimeMs: cur.At.UnixMilli(), Value: pct})
		}
	}
	h.prevCores = next
	return samples
}

// busyPercent is the share of all CPUs' time spent busy between two
// readings of the total CPU seconds, in percent to a tenth: the one CPU
// figure people read and alert on ("CPU over 80 %"), beside the counters
// it is computed from. A tenth keeps it as cheap to store as a counter.
// ok is false when no time passed or the counters went back (a reset).
// The share is of the deltas of one pair of readings, so it is within
// 0…100 by construction; the clamp is a last guard (a NaN or an infinity
// from a broken reading), so that a share of capacity is never shown past
// 100 % or below 0.
func busyPercent(prevBusy, prevIdle, busy, idle float64) (float64, bool) {
	db, di := busy-prevBusy, idle-prevIdle
	if !(db >= 0) || !(di >= 0) || !(db+di > 0) || math.IsInf(db+di, 0) {
		return 0, false
	}
	return min(100, max(0, math.Round(1000*db/(db+di))/10)), true
}

// hostParts is how many independent readings readHost makes.
const hostParts = 6

// mountsEvery is how often the list of mounted filesystems is read again.
// Reading it (/proc/self/mountinfo, parsed) is half of a poll's cost, and
// mounts come and go rarely; their usage is read at every poll.
const mountsEvery = time.Minute

// hostReader reads the host through gopsutil, keeping the mount list
// between polls. Only its source's poll goroutine uses it.
type hostReader struct {
	mounts   []disk.PartitionStat
	mountsAt time.Time
}

// read takes a snapshot; each part that fails is left empty and its error
// returned.
func (r *hostReader) read(ctx context.Context, at time.Time) (*hostSnapshot, []error) {
	s := &hostSnapshot{At: at}
	var errs []error
	fail := func(part string, err error) { errs = append(errs, fmt.Errorf("%s: %w", part, err)) }

	// One read of /proc/stat: the total is the CPUs' sum (the kernel's
	// "cpu" line is that sum too), not a second read of the whole file.
	if per, err := cpu.TimesWithContext(ctx, true); err != nil || len(per) == 0 {
		fail("cpu", errOr(err, "no CPU"))
	} else {
		s.CPUs = per
		total := sumTimes(per)
		s.CPUTotal = &total
	}
	if m, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		fail("memory", err)
	} else {
		s.Mem = m
	}
	if l, err := load.AvgWithContext(ctx); err != nil {
		fail("load", err)
	} else {
		s.Load = l
	}
	if d, err := disk.IOCountersWithContext(ctx); err != nil {
		fail("disk", err)
	} else {
		for name := range d {
			if skipDisk.MatchString(name) {
				delete(d, name)
			}
		}
		s.Disks = d
	}
	if n, err := net.IOCountersWithContext(ctx, true); err != nil {
		fail("network", err)
	} else {
		s.Nets = n
	}
	if fs, err := r.filesystems(ctx, at); err != nil {
		fail("filesystems", err)
	} else {
		s.FS = fs
	}
	return s, errs
}

// filesystems reads the usage of every real mounted filesystem, once per
// device (bind mounts repeat a device under other paths; the first,
// usually the shortest, mount point is kept). The mount list is read
// again when it is older than mountsEvery (or the clock went back).
func (r *hostReader) filesystems(ctx context.Context, at time.Time) ([]fsUsage, error) {
	if r.mountsAt.IsZero() || at.Sub(r.mountsAt) >= mountsEvery || at.Before(r.mountsAt) {
		parts, err := disk.PartitionsWithContext(ctx, true)
		if err != nil && len(parts) == 0 {
			return nil, err
		}
		r.mounts = slices.DeleteFunc(parts, func(p disk.PartitionStat) bool { return !realFilesystem(p) })
		r.mountsAt = at
	}
	seen := make(map[string]bool)
	var out []fsUsage
	for _, p := range r.mounts {
		if seen[p.Device] {
			continue
		}
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue // unreadable or empty mounts say nothing useful
		}
		seen[p.Device] = true
		out = append(out, fsUsage{Device: p.Device, Mountpoint: p.Mountpoint, Fstype: p.Fstype, Size: u.Total, Used: u.Used})
	}
	return out, nil
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// sumTimes is the CPUs' times added up, named as gopsutil names the total.
func sumTimes(per []cpu.TimesStat) cpu.TimesStat {
	t := cpu.TimesStat{CPU: "cpu-total"}
	for _, c := range per {
		t.User += c.User
		t.System += c.System
		t.Idle += c.Idle
		t.Nice += c.Nice
		t.Iowait += c.Iowait
		t.Irq += c.Irq
		t.Softirq += c.Softirq
		t.Steal += c.Steal
		t.Guest += c.Guest
		t.GuestNice += c.GuestNice
	}
	return t
}
