package collectors

import (
	"hash/fnv"
	"math"
	"time"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// This file is a collector's schedule: the fixed phase of its polls, the
// slot of the next one, the slowing down after failures, and the stamping
// of a poll's samples with its scheduled time (see collector).

// phaseFor is the offset of a source's polls within its interval. A
// source that only reads this machine (host, simulated) polls on the
// interval's boundary, as Netdata's collectors do: its poll takes
// microseconds, so spreading it buys nothing, while polling such sources
// together lets one wake-up of the process and one delta to the
// dashboards serve them all (eleven sources at 1 s cost half as much CPU
// polled together as spread). A source that waits on a target gets
// phaseOf, spread by its name.
func phaseFor(cfg configs.Source, interval time.Duration) time.Duration {
	switch cfg.Type {
	case configs.TypeHost, configs.TypeSimulated:
		return 0
	}
	return phaseOf(cfg.Name, interval)
}

// phaseOf is the offset of the polls of a source that waits on a target:
// the FNV-1a hash of its name modulo the interval, so it is the same on
// every run and such sources spread evenly over the interval.
func phaseOf(name string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(interval))
}

// stampNow wraps the sources' clock: during a poll that started within
// the tolerance after its scheduled time, it returns the scheduled time
// instead, so the samples of a regular source are stamped exactly one
// interval apart.
func (c *collector) stampNow(now func() time.Time) func() time.Time {
	tolerance := min(c.interval/100, stampTolerance)
	return func() time.Time {
		t := now()
		if at := c.scheduled.Load(); at != 0 {
			if late := t.UnixNano() - at; late >= 0 && late <= int64(tolerance) {
				return time.Unix(0, at)
			}
		}
		return t
	}
}

// markDue counts the next poll, at t, in Manager.due until it starts
// (pollCounted) or Serve returns.
func (c *collector) markDue(t time.Time) {
	if c.due == nil {
		return
	}
	c.dueAt = t.UnixNano()
	c.due.add(c.dueAt)
}

// undue uncounts the poll markDue counted, if any.
func (c *collector) undue() {
	if c.due == nil || c.dueAt == 0 {
		return
	}
	c.due.remove(c.dueAt)
	c.dueAt = 0
}

// delay is the time from one poll's start to the next one's: the
// interval, or more after repeated failures. Serve rounds it to the phase.
func (c *collector) delay() time.Duration {
	d := c.interval
	if f := c.stats.snapshot().ConsecutiveFailures; f >= slowAfter {
		limit := max(c.interval, min(maxSlowFactor*c.interval, maxSlowDelay))
		d = supervisor.Doubling(c.interval, limit, int(min(f-slowAfter+1, 64)))
	}
	return d
}

// slotAtOrAfter is the first poll time of the source's phase at or after
// t. Serve asks for the slot at or after the previous start plus the
// delay less half an interval: a poll that started on time (or a little
// late) gets the slot one delay later, and the first poll, made at once
// whenever Serve starts, is followed by the next slot at least half an
// interval later.
//
// It saturates: past the year 2262, or when the next slot would be,
// UnixNano overflows (a 2562047h interval gets there from today) and the
// slot would wrap into the past, a poll at once, again and again. There it
// returns t, which a timer reaches in no less time than the real slot.
func (c *collector) slotAtOrAfter(t time.Time) time.Time {
	if !t.Before(lastNano) {
		return t
	}
	iv, n, ph := c.interval.Nanoseconds(), t.UnixNano(), c.phase.Nanoseconds()
	k := (n - ph) / iv
	if (n-ph)%iv < 0 {
		k-- // floor division
	}
	slot := k*iv + ph
	if slot < n {
		if slot > math.MaxInt64-iv {
			return t
		}
		slot += iv
	}
	return time.Unix(0, slot)
}

// lastNano is the last time UnixNano can hold.
var lastNano = time.Unix(0, math.MaxInt64)
