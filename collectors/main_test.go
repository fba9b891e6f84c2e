package collectors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixedNow is the clock of tests that need sample times to be known.
var fixedNow = time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// recordingSink keeps every batch it is given, per source.
type recordingSink struct {
	mu      sync.Mutex
	batches map[string][]aggregator.Batch
	refuse  bool
}

func newRecordingSink() *recordingSink {
	return &recordingSink{batches: make(map[string][]aggregator.Batch)}
}

func (s *recordingSink) Push(_ context.Context, b aggregator.Batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse {
		return false
	}
	s.batches[b.Source] = append(s.batches[b.Source], b)
	return true
}

func (s *recordingSink) count(source string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.batches[source])
}

func (s *recordingSink) last(source string) aggregator.Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := s.batches[source]
	if len(bs) == 0 {
		return aggregator.Batch{}
	}
	return bs[len(bs)-1]
}

// funcSource is a Source made of a function, with a Close that releases
// anything blocked on closed.
type funcSource struct {
	poll   func(ctx context.Context) ([]aggregator.Sample, error)
	closed chan struct{}
	once   sync.Once
}

func newFuncSource(poll func(ctx context.Context) ([]aggregator.Sample, error)) *funcSource {
	return &funcSource{poll: poll, closed: make(chan struct{})}
}

func (f *funcSource) Poll(ctx context.Context) ([]aggregator.Sample, error) { return f.poll(ctx) }
func (f *funcSource) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// gauge is a one-sample poll result.
func gauge(metric string, v float64) []aggregator.Sample {
	return []aggregator.Sample{{Metric: metric, Kind: aggregator.KindGauge, TimeMs: fixedNow.UnixMilli(), Value: v}}
}

// testEnv is the Env of source tests: a fixed clock and, for TLS test
// servers, their client.
func testEnv(srv *httptest.Server) Env {
	env := Env{Version: "test", Now: fixedClock}
	if srv != nil {
		env.NewHTTPClient = func() *http.Client {
			c := *srv.Client()
			return &c
		}
	}
	return env
}

// urlSource is the configuration of an http, prometheus or json source,
// with its type's defaults.
func urlSource(typ, url string) configs.Source {
	var spec configs.SourceSpec
	switch typ {
	case configs.TypeHTTP:
		spec = configs.NewHTTPSpec()
	case configs.TypePrometheus:
		spec = configs.NewPrometheusSpec()
	case configs.TypeJSON:
		s := configs.NewJSONSpec()
		s.Fields = map[string]string{"m": "a"}
		spec = s
	}
	cfg := configs.Source{
		Name:     "t",
		Type:     typ,
		Interval: configs.Duration(time.Second),
		Timeout:  configs.Duration(time.Second),
		Spec:     spec,
	}
	client(cfg).URL = url
	return cfg
}

// The specs of test sources, to change a key.
func httpSpec(cfg configs.Source) *configs.HTTPSpec       { return cfg.Spec.(*configs.HTTPSpec) }
func promSpec(cfg configs.Source) *configs.PrometheusSpec { return cfg.Spec.(*configs.PrometheusSpec) }
func jsonSpec(cfg configs.Source) *configs.JSONSpec       { return cfg.Spec.(*configs.JSONSpec) }
func simSpec(cfg configs.Source) *configs.SimulatedSpec   { return cfg.Spec.(*configs.SimulatedSpec) }

// client is the HTTP keys of an http, prometheus or json source.
func client(cfg configs.Source) *configs.HTTPClient {
	switch spec := cfg.Spec.(type) {
	case *configs.HTTPSpec:
		return &spec.HTTPClient
	case *configs.PrometheusSpec:
		return &spec.HTTPClient
	case *configs.JSONSpec:
		return &spec.HTTPClient
	}
	panic("client: not an HTTP source")
}

// byMetric indexes samples by metric and labels, e.g. `up{job="x"}`.
func byMetric(ss []aggregator.Sample) map[string]aggregator.Sample {
	m := make(map[string]aggregator.Sample, len(ss))
	for _, s := range ss {
		m[s.Metric+s.Labels.String()] = s
	}
	return m
}

// metricNames lists the distinct metric names of ss, sorted.
func metricNames(ss []aggregator.Sample) []string {
	var names []string
	for _, s := range ss {
		if !slices.Contains(names, s.Metric) {
			names = append(names, s.Metric)
		}
	}
	slices.Sort(names)
	return names
}
