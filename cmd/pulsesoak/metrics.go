package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exposition is one /metrics scrape of the server, parsed.
type exposition struct {
	at       time.Time
	families map[string]*dto.MetricFamily
	bytes    int
	took     time.Duration
}

// scrapeMetrics reads the server's /metrics.
func scrapeMetrics(ctx context.Context, client *http.Client, base string) (exposition, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return exposition{}, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return exposition{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return exposition{}, fmt.Errorf("/metrics: status %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return exposition{}, err
	}
	took := time.Since(start)
	e, err := parseText(body)
	if err != nil {
		return exposition{}, fmt.Errorf("/metrics: %w", err)
	}
	e.at, e.took = start.Add(took/2), took
	return e, nil
}

// parseText parses the text exposition format.
func parseText(body []byte) (exposition, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	return exposition{families: fams, bytes: len(body)}, err
}

// value is the value of the metric of family name whose labels hold
// every pair of want (name, value, …); 0 when there is none.
func (e exposition) value(name string, want ...string) float64 {
	f := e.families[name]
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			if labelOf(m, want[i]) != want[i+1] {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// deliveryHist is the server's histogram of delivery delays: from a
// delta's build to its write to a client returning.
const deliveryHist = "pulseboard_ws_delivery_delay_seconds"

// histQuantile is the upper bound, in ms, of the bucket that holds the q
// quantile of what histogram family name observed between scrapes a and b
// (b the later); 0 when it observed nothing. It tells the server's part of
// a delay from the readers' (their process waiting for a core, say).
func histQuantile(a, b exposition, name string, q float64) float64 {
	buckets := func(e exposition) ([]*dto.Bucket, uint64) {
		f := e.families[name]
		if f == nil || len(f.GetMetric()) == 0 || f.GetMetric()[0].GetHistogram() == nil {
			return nil, 0
		}
		h := f.GetMetric()[0].GetHistogram()
		return h.GetBucket(), h.GetSampleCount()
	}
	ba, na := buckets(a)
	bb, nb := buckets(b)
	if nb <= na || len(ba) != len(bb) {
		return 0
	}
	rank := q * float64(nb-na)
	for i, bk := range bb {
		if float64(bk.GetCumulativeCount()-ba[i].GetCumulativeCount()) >= rank {
			return bk.GetUpperBound() * 1000
		}
	}
	return math.Inf(1) // beyond the last bucket
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// memory is the server's goroutines and heap in use, each the least of a
// few scrapes a second apart: the heap just after a collection is the live
// heap, and a goroutine that a poll or a handler holds for a moment is
// not a leak.
type memory struct {
	Goroutines   float64 `json:"goroutines"`
	HeapInuseMiB float64 `json:"heap_inuse_mib"`
}

func sampleMemory(ctx context.Context, client *http.Client, base string, n int) (memory, error) {
	var m memory
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				return m, ctx.Err()
			case <-time.After(time.Second):
			}
		}
		e, err := scrapeMetrics(ctx, client, base)
		if err != nil {
			return m, err
		}
		g, h := e.value("go_goroutines"), e.value("go_memstats_heap_inuse_bytes")/(1<<20)
		if i == 0 || g < m.Goroutines {
			m.Goroutines = g
		}
		if i == 0 || h < m.HeapInuseMiB {
			m.HeapInuseMiB = h
		}
	}
	return m, nil
}
