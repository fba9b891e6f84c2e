package collectors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/configs"
)

// promBound: Prometheus' parser and the scrape's sort are n log n in the
// series at worst; what is allocated is the series kept (each copied
// once or twice) and, per dropped one, a counter.
var promBound = bound{fixedTime: time.Second, timePerByte: 20 * time.Microsecond, fixedBytes: 1 << 20, bytesPerByte: 256}

// FuzzPromSource reads hostile bodies through the whole prometheus source
// but the network: scrapeProm with include, label limits, max_series and
// sample_limit small enough to be hit, then the poll's own half. Whatever
// the body, the poll costs time and memory linear in it, no sample breaks
// a limit, no more than max_series are kept, sample_limit fails the poll
// whole, and every warning and error is one bounded line.
func FuzzPromSource(f *testing.F) {
	seedFiles(f, "scrape/*.[po][rm]*", func(name string, b []byte) []any { return []any{b, strings.HasSuffix(name, ".om")} })
	seedFiles(f, "*.prom", func(_ string, b []byte) []any { return []any{b, false} })
	f.Add([]byte(hugeLabels(3)), false)
	f.Add([]byte("m{"+strings.Repeat("a", 200)+"=\"1\"} 1\n"+strings.Repeat("n", 300)+" 2\n"), false)
	f.Add([]byte("# TYPE "+strings.Repeat("f", 5000)+" gauge\n# TYPE g gauge\n# TYPE "+strings.Repeat("f", 5000)+" gauge\n"), false)
	f.Add([]byte("x{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\"} 1\n# EOF\n"), true)

	spec := configs.NewPrometheusSpec()
	spec.LabelLimits = configs.LabelLimits{LabelLimit: 4, LabelNameLengthLimit: 64, LabelValueLengthLimit: 128}
	spec.MaxSeries, spec.SampleLimit = 20, 40
	spec.Exclude = []string{"^excluded"}
	spec.URL = "http://127.0.0.1:9/metrics"
	cfg := configs.Source{Name: "fuzz", Type: configs.TypePrometheus, Interval: configs.Duration(time.Second),
		Timeout: configs.Duration(time.Second), Spec: spec, Labels: map[string]string{"env": "prod"}}
	src, err := NewSource(cfg, testEnv(nil))
	if err != nil {
		f.Fatal(err)
	}
	p := src.(*promSource)
	f.Cleanup(func() { _ = p.Close() })
	limits := labelLimitsOf(spec.LabelLimits)

	f.Fuzz(func(t *testing.T, body []byte, om bool) {
		ct := ctClassic
		if om {
			ct = ctOM
		}
		var c testtool.Cost
		samples, partial, err := func() (s any, pt Partial, e error) {
			var out []sampleLike
			c = costOf(func() {
				ss, pp, ee := p.samples(body, ct, nowMs)
				pt, e = pp, ee
				for _, x := range ss {
					if reason := limits.check(x.Metric, x.Labels); reason != "" {
						t.Fatalf("%s kept past %s", x.Metric, reason)
					}
					out = append(out, sampleLike{x.Metric, x.Value})
				}
			})
			return out, pt, e
		}()
		promBound.check(t, "prometheus poll", len(body), c)
		kept := samples.([]sampleLike)
		if len(kept) > spec.MaxSeries {
			t.Fatalf("%d samples kept, over max_series %d", len(kept), spec.MaxSeries)
		}
		if errors.Is(err, ErrSampleLimit) && len(kept) > 0 {
			t.Fatalf("a scrape over sample_limit kept %d samples", len(kept))
		}
		lines := strings.Count(string(body), "\n") + 1
		if partial.DroppedTotal()+len(kept) > lines {
			t.Fatalf("%d drops and %d samples from %d lines", partial.DroppedTotal(), len(kept), lines)
		}
		msgs := partial.Errors
		if err != nil {
			msgs = append(msgs, err)
		}
		for _, m := range msgs {
			if s := m.Error(); len(s) > 1024 || strings.Contains(s, "\n") {
				t.Fatalf("a warning or error of %d bytes, or of several lines: %.200q", len(s), s)
			}
		}
	})
}
