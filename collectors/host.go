package collectors

import (
	"context"
	"errors"
	"fmt"
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
}

// newHostSource builds the host source; a host spec has no keys, so
// there is nothing of it to read.
func newHostSource(_ configs.Source, env Env) (Source, error) {
	return &hostSource{read: readHost, now: env.now}, nil
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
	h.partial.Errors = errs
	return samples, nil
}

// hostParts is how many independent readings readHost makes.
const hostParts = 6

// readHost takes a snapshot through gopsutil; each part that fails is left
// empty and its error returned.
func readHost(ctx context.Context, at time.Time) (*hostSnapshot, []error) {
	s := &hostSnapshot{At: at}
	var errs []error
	fail := func(part string, err error) { errs = append(errs, fmt.Errorf("%s: %w", part, err)) }

	if total, err := cpu.TimesWithContext(ctx, false); err != nil || len(total) == 0 {
		fail("cpu", errOr(err, "no total"))
	} else {
		s.CPUTotal = &total[0]
		if per, err := cpu.TimesWithContext(ctx, true); err == nil {
			s.CPUs = per
		}
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
	if fs, err := readFilesystems(ctx); err != nil {
		fail("filesystems", err)
	} else {
		s.FS = fs
	}
	return s, errs
}

// readFilesystems reads the usage of every real mounted filesystem, once
// per device (bind mounts repeat a device under other paths; the first,
// usually the shortest, mount point is kept).
func readFilesystems(ctx context.Context) ([]fsUsage, error) {
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil && len(parts) == 0 {
		return nil, err
	}
	seen := make(map[string]bool)
	var out []fsUsage
	for _, p := range parts {
		if !realFilesystem(p) || seen[p.Device] {
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
