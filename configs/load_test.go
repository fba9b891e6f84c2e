package configs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefault(t *testing.T) {
	c := Default()
	require.Equal(t, "127.0.0.1:8080", c.Server.Listen)
	require.Empty(t, c.Server.AllowedOrigins)
	require.Equal(t, Auth{}, c.Server.Auth)
	require.Equal(t, 15*time.Minute, c.Aggregator.History.D())
	require.Equal(t, []Duration{Duration(time.Minute), Duration(5 * time.Minute), Duration(15 * time.Minute)}, c.Aggregator.Windows)
	require.Equal(t, 100000, c.Aggregator.MaxSeries)
	require.Equal(t, 10000, c.Aggregator.MaxSeriesPerSource)
	require.Equal(t, 1024, c.Aggregator.QueueSize)
	require.Equal(t, 100*time.Millisecond, c.Broadcast.Interval.D())
	require.Equal(t, 5, c.Supervisor.MaxRestarts)
	require.Equal(t, 30*time.Second, c.Supervisor.Period.D())
	require.Equal(t, time.Minute, c.Supervisor.Cooldown.D())
	require.Equal(t, 100*time.Millisecond, c.Supervisor.Backoff.Initial.D())
	require.Equal(t, 30*time.Second, c.Supervisor.Backoff.Max.D())
	require.Empty(t, c.Sources)
	require.NoError(t, c.Validate())

	// Each call builds a new value: callers may change theirs.
	c.Aggregator.Windows[0] = 0
	require.Equal(t, Duration(time.Minute), Default().Aggregator.Windows[0])
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	dir := stateDir(t)
	for _, src := range []string{"", "# only a comment\n", "---\n"} {
		c, err := Parse("empty.yaml", []byte(src))
		require.NoError(t, err, "%q", src)
		want := Default()
		want.Storage.Path = dir
		require.Equal(t, want, c, "%q", src)
	}
}

// Keys left out keep their defaults, in every section and every source.
func TestAbsentKeysKeepDefaults(t *testing.T) {
	src := `
server:
  auth: {admin_token: secret}
aggregator:
  max_series: 500
supervisor:
  backoff: {max: 10s}
sources:
  - {name: sim, type: simulated, series: [{metric: up}, {metric: hits_total, shape: counter}, {metric: spikes, shape: spike}, {metric: walk, shape: random_walk}]}
  - {name: host, type: host}
  - {name: site, type: http, url: "http://127.0.0.1:9000/"}
  - {name: node, type: prometheus, url: "http://127.0.0.1:9100/metrics"}
  - {name: queue, type: json, url: "http://127.0.0.1:9000/stats", fields: {depth: queue.depth}}
  - {name: slow, type: http, url: "http://127.0.0.1:9000/", interval: 1m}
`
	c, err := Parse("partial.yaml", []byte(src))
	require.NoError(t, err)

	want := Default()
	want.Server.Auth.AdminToken = "secret"
	want.Aggregator.MaxSeries = 500
	want.Supervisor.Backoff.Max = Duration(10 * time.Second)
	require.Equal(t, want.Server, c.Server)
	require.Equal(t, want.Aggregator, c.Aggregator)
	require.Equal(t, want.Broadcast, c.Broadcast)
	require.Equal(t, want.Supervisor, c.Supervisor)

	byName := func(name string) Source {
		s, ok := c.SourceByName(name)
		require.True(t, ok, name)
		return s
	}
	sim := byName("sim")
	require.Equal(t, time.Second, sim.Interval.D())
	require.Equal(t, time.Second, sim.Timeout.D())
	simSpec := specOf[*SimulatedSpec](t, sim)
	require.Nil(t, simSpec.Seed)
	require.Nil(t, simSpec.Faults)
	require.Equal(t, SimSeries{Metric: "up", Shape: "sine", Min: 0, Max: 100, Period: Duration(time.Minute), Count: 1}, simSpec.Series[0])
	require.Equal(t, SimSeries{Metric: "hits_total", Shape: "counter", Rate: 1, Count: 1}, simSpec.Series[1])
	require.Equal(t, SimSeries{Metric: "spikes", Shape: "spike", Max: 100, Rate: 6, Count: 1}, simSpec.Series[2])
	require.Equal(t, SimSeries{Metric: "walk", Shape: "random_walk", Max: 100, Noise: 2, Count: 1}, simSpec.Series[3])

	host := byName("host")
	require.Equal(t, time.Second, host.Interval.D())
	require.Equal(t, time.Second, host.Timeout.D())
	require.Equal(t, NewHostSpec(), host.Spec)

	site := byName("site")
	require.Equal(t, 10*time.Second, site.Interval.D())
	require.Equal(t, 10*time.Second, site.Timeout.D())
	siteSpec := specOf[*HTTPSpec](t, site)
	require.Equal(t, "GET", siteSpec.Method)
	require.NotNil(t, siteSpec.FollowRedirects)
	require.True(t, *siteSpec.FollowRedirects)
	require.Equal(t, int64(10<<20), siteSpec.MaxBodyBytes)
	require.Empty(t, siteSpec.ExpectStatus)

	node := byName("node")
	require.Equal(t, 15*time.Second, node.Interval.D())
	require.Equal(t, 10*time.Second, node.Timeout.D(), "the timeout is the interval, at most 10s")
	require.Equal(t, 10000, specOf[*PrometheusSpec](t, node).MaxSeries)
	require.Equal(t, int64(10<<20), specOf[*PrometheusSpec](t, node).MaxBodyBytes)

	queue := byName("queue")
	require.Equal(t, 10*time.Second, queue.Interval.D())
	require.Equal(t, int64(10<<20), specOf[*JSONSpec](t, queue).MaxBodyBytes)

	require.Equal(t, 10*time.Second, byName("slow").Timeout.D())
}

// Given keys win over defaults, including false and zero where those are
// valid values.
func TestGivenKeysOverrideDefaults(t *testing.T) {
	src := `
aggregator: {windows: [30s]}
sources:
  - name: site
    type: http
    url: http://127.0.0.1:9000/
    interval: 3s
    follow_redirects: false
    method: HEAD
  - name: sim
    type: simulated
    series:
      - {metric: flat, shape: sine, min: 5, max: 5, noise: 0}
      - {metric: walk, shape: random_walk, min: 0, max: 10, noise: 0}
      - {metric: idle_total, shape: counter, rate: 0}
`
	c, err := Parse("given.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, []Duration{Duration(30 * time.Second)}, c.Aggregator.Windows)
	site, _ := c.SourceByName("site")
	require.Equal(t, 3*time.Second, site.Timeout.D())
	require.False(t, *specOf[*HTTPSpec](t, site).FollowRedirects)
	require.Equal(t, "HEAD", specOf[*HTTPSpec](t, site).Method)
	sim, _ := c.SourceByName("sim")
	series := specOf[*SimulatedSpec](t, sim).Series
	require.Equal(t, 5.0, series[0].Min)
	require.Equal(t, 5.0, series[0].Max)
	require.Zero(t, series[1].Noise, "an explicit 0 is kept")
	require.Zero(t, series[2].Rate, "an explicit 0 is kept")
}

func TestDefaultYAMLIsValid(t *testing.T) {
	c, err := LoadDefault()
	require.NoError(t, err)
	require.Equal(t, Default().Aggregator.Windows, c.Aggregator.Windows)

	var types []string
	for _, s := range c.Sources {
		types = append(types, s.Type)
	}
	require.Contains(t, types, TypeHost)
	require.Contains(t, types, TypeSimulated)
	for _, s := range c.Sources {
		require.Contains(t, []string{TypeSimulated, TypeHost}, s.Type, "the demo must need no network")
	}
	flaky, ok := c.SourceByName("flaky")
	require.True(t, ok)
	faults := specOf[*SimulatedSpec](t, flaky).Faults
	require.NotNil(t, faults)
	require.Positive(t, faults.ErrorRate)
	require.Positive(t, faults.PanicRate)

	// The embedded bytes are the file in the repository.
	onDisk, err := os.ReadFile(DefaultFile)
	require.NoError(t, err)
	require.Equal(t, onDisk, DefaultYAML())
}

func TestDefaultYAMLReturnsACopy(t *testing.T) {
	b := DefaultYAML()
	b[0] = '!'
	require.NotEqual(t, b[0], DefaultYAML()[0])
	_, err := LoadDefault()
	require.NoError(t, err)
}

func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, f := range files {
		c, err := Load(f)
		require.NoError(t, err, f)
		require.NotEmpty(t, c.Sources, f)
		for _, s := range c.Sources {
			seen[s.Type] = true
		}
	}
	for _, typ := range SourceTypes() {
		require.True(t, seen[typ], "no example uses type %s", typ)
		require.FileExists(t, filepath.Join("examples", typ+".yaml"))
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.False(t, errors.Is(err, ErrInvalid), "an I/O error is not a config error")
	require.EqualError(t, err, path+":1:1: does not exist")
	require.Len(t, Errors(err), 1)
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pulse.yaml")
	require.NoError(t, os.WriteFile(path, []byte("server:\n  listen: nowhere\n"), 0o600))
	_, err := Load(path)
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, path+`:2:11: server.listen: "nowhere" has no port: want host:port, like 127.0.0.1:8080 (or :8080 for every interface)`, err.Error())
}
