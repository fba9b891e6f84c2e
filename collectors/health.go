package collectors

import (
	"fmt"
	"strings"
	"time"
)

// succeed books a poll that succeeded, in whole or in part: the source is
// up, and what went wrong in part becomes its last warning (never its
// last error, which keeps telling the latest failure). Called on the
// collector's goroutine.
func (c *collector) succeed(at time.Time, took time.Duration, p Partial, infinite, shed int) {
	warning := c.shown(warningText(p, infinite, shed))
	recovered, newWarning, toldUp := false, false, false
	c.stats.update(func(s *Stats) {
		recovered = s.ConsecutiveFailures > 0
		toldUp = c.stats.toldDown
		c.stats.toldDown = false
		s.Polls++
		s.ConsecutiveFailures = 0
		s.Up = true
		s.LastSuccess = at
		s.LastPoll = took
		s.PartialErrors += uint64(len(p.Errors))
		addDropped(s, p.Dropped)
		s.SecretsMasked += uint64(p.Masked)
		if warning != "" {
			newWarning = warning != s.LastWarning
			s.LastWarning, s.LastWarningAt = warning, at
		}
	})
	if recovered {
		c.log.Info("poll succeeded again")
	}
	if toldUp && c.health != nil {
		c.health(HealthChange{Source: c.cfg.Name, Up: true, At: at})
	}
	if newWarning {
		// Once per change, not per poll: a target over its limit says so
		// at every scrape.
		c.log.Warn("poll succeeded in part", "warning", warning)
	}
}

// HealthChange is a source's polls failing, or working again
// (ManagerOptions.Health).
type HealthChange struct {
	Source string
	// Up: the polls work again; else they fail.
	Up bool
	// At is when the poll that told it started.
	At time.Time
	// Error is the failed poll's error, one line, the source's secrets
	// masked (as Stats.LastError); "" when Up.
	Error string
}

// failed books a poll that failed with an error (text, masked): not a
// panic or a hang, which end the run and are the supervisor's to tell.
// The first of a row is logged and told (ManagerOptions.Health): while
// the polls keep failing, nothing more. Called on the collector's
// goroutine.
func (c *collector) failed(at time.Time, took time.Duration, text string) {
	if !c.stats.failTold(at, took, text) {
		return
	}
	c.log.Warn("poll failed", "err", text)
	if c.health != nil {
		c.health(HealthChange{Source: c.cfg.Name, At: at, Error: text})
	}
}

// warningText is one line saying what went wrong in a poll that still
// succeeded, "" if nothing did; the caller masks it (collector.redact).
func warningText(p Partial, infinite, shed int) string {
	parts := make([]string, 0, len(p.Errors)+2)
	for _, err := range p.Errors {
		parts = append(parts, err.Error())
	}
	if infinite > 0 {
		parts = append(parts, fmt.Sprintf("left out %d infinite values", infinite))
	}
	if shed > 0 {
		// The store is behind: the sources produce more than it stores.
		parts = append(parts, fmt.Sprintf("shed %d samples: the aggregator's ingest queue was full "+
			"(aggregator.queue_size batches or queue_samples samples)", shed))
	}
	return strings.ReplaceAll(strings.Join(parts, "; "), "\n", " ")
}

// addDropped counts a poll's drops by reason, whether the poll succeeded
// or not (a scrape whose every series broke a label limit fails, and its
// drops are what the operator needs to see).
func addDropped(s *Stats, dropped map[string]int) {
	for reason, n := range dropped {
		if s.Dropped == nil {
			s.Dropped = make(map[string]uint64, len(dropped))
		}
		s.Dropped[reason] += uint64(n)
		s.SeriesDropped += uint64(n)
	}
}
