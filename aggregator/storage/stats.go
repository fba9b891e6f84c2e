package storage

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats returns each tier's totals as of the last committed Write or
// Enforce, from memory (no transaction). Safe on any goroutine.
func (db *DB) Stats() [NumTiers]TierStats {
	db.mu.Lock()
	defer db.mu.Unlock()
	var st [NumTiers]TierStats
	for t, ps := range db.parts {
		for _, p := range ps {
			s := &st[t]
			s.Bytes += p.bytes
			s.Points += p.points
			s.Blocks += p.blocks
			// A partition Replace emptied keeps its record until
			// retention drops it; it holds nothing old.
			if p.blocks > 0 && (s.Oldest == 0 || p.minStart < s.Oldest) {
				s.Oldest = p.minStart
			}
		}
	}
	// The journal holds raw samples of the open tails: its bytes are the
	// raw tier's on disk (its points are counted once their chunk is
	// written whole).
	st[Raw].Bytes += db.journal
	return st
}

// Health reports whether writes succeed: ok is false from a failed Write
// or Enforce until one succeeds, with detail naming the file and the
// error ("storage degraded to memory-only: write …: no space left on
// device"); detail is "" while ok. For /readyz and the page; any
// goroutine.
func (db *DB) Health() (ok bool, detail string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return !db.degraded, db.detail
}

// noteWrite records a write transaction's outcome: the first failure
// logs one Error line and marks the DB degraded, later failures only
// count and refresh the detail; the first success after logs one Info
// line and clears it.
func (db *DB) noteWrite(err error) {
	db.mu.Lock()
	changed := false
	if err == nil {
		if db.degraded {
			db.degraded, db.detail, changed = false, "", true
			db.log.Info("storage: writes succeed again; history is stored on disk", "path", db.path)
		}
	} else {
		db.flushErrors.Inc()
		// bbolt's errors name the file already ("write /d/pulseboard.db: no
		// space left on device"); the path is added only when they do not.
		detail := err.Error()
		if !strings.Contains(detail, db.path) {
			detail = fmt.Sprintf("write %s: %s", db.path, detail)
		}
		db.detail = "storage degraded to memory-only: " + detail
		if !db.degraded {
			db.degraded, changed = true, true
			db.log.Error("storage: write failed; keeping history in memory only and retrying at every flush",
				"path", db.path, "err", err)
		}
	}
	ok, detail := !db.degraded, db.detail
	db.mu.Unlock()
	if changed && db.onHealth != nil {
		db.onHealth(ok, detail)
	}
}

var (
	descBytes = prometheus.NewDesc("pulseboard_storage_bytes",
		"Bytes of stored blocks (keys and values) per tier, in bytes.", []string{"tier"}, nil)
	descPoints = prometheus.NewDesc("pulseboard_storage_points",
		"Points stored per tier (samples in raw, aggregate points in 1m and 1h).", []string{"tier"}, nil)
	descBlocks = prometheus.NewDesc("pulseboard_storage_blocks",
		"Blocks stored per tier.", []string{"tier"}, nil)
	descDegraded = prometheus.NewDesc("pulseboard_storage_degraded",
		"1 while writes to the history store fail and history is kept in memory only, else 0.", nil, nil)
)

// Collector exports the store's metrics at scrape time:
// pulseboard_storage_bytes, _points and _blocks per tier,
// pulseboard_storage_flush_seconds (histogram of Write transactions),
// pulseboard_storage_flush_errors_total and pulseboard_storage_degraded.
// Register it once; it is cheap (Stats, no transaction).
func (db *DB) Collector() prometheus.Collector { return collector{db} }

type collector struct{ db *DB }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBytes
	ch <- descPoints
	ch <- descBlocks
	ch <- descDegraded
	c.db.flushSeconds.Describe(ch)
	c.db.flushErrors.Describe(ch)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.db.Stats()
	for t, s := range st {
		tier := Tier(t).String()
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(s.Bytes), tier)
		ch <- prometheus.MustNewConstMetric(descPoints, prometheus.GaugeValue, float64(s.Points), tier)
		ch <- prometheus.MustNewConstMetric(descBlocks, prometheus.GaugeValue, float64(s.Blocks), tier)
	}
	degraded := 0.0
	if ok, _ := c.db.Health(); !ok {
		degraded = 1
	}
	ch <- prometheus.MustNewConstMetric(descDegraded, prometheus.GaugeValue, degraded)
	c.db.flushSeconds.Collect(ch)
	c.db.flushErrors.Collect(ch)
}
