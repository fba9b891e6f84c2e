package configs

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// validConfig is a config built in code with one source of every type.
func validConfig() *Config {
	c := Default()
	site := NewHTTPSpec()
	site.URL = "http://127.0.0.1:9000/health"
	node := NewPrometheusSpec()
	node.URL, node.Include = "http://127.0.0.1:9100/metrics", []string{"^node_"}
	c.Sources = []Source{
		{Name: "sim", Type: TypeSimulated, Spec: &SimulatedSpec{Series: []SimSeries{{Metric: "up"}}, Faults: &Faults{ErrorRate: 0.1}}},
		{Name: "host", Type: TypeHost}, // ApplyDefaults gives it its spec
		{Name: "site", Type: TypeHTTP, Spec: site},
		{Name: "node", Type: TypePrometheus, Spec: node},
		// Built without the constructor: ApplyDefaults fills the zeros.
		{Name: "queue", Type: TypeJSON, Spec: &JSONSpec{HTTPClient: HTTPClient{URL: "https://127.0.0.1:9000/stats"}, Fields: map[string]string{"depth": "queue.depth"}}},
	}
	c.ApplyDefaults()
	return c
}

func TestValidConfigInCode(t *testing.T) {
	c := validConfig()
	require.NoError(t, c.Validate())
	c.Server.AllowedHosts = []string{"ops.example.com", "*.example.org", "*", "10.0.0.5", "::1", "Dash.Example.com."}
	require.NoError(t, c.Validate(), "names, domains, any, addresses")
	for _, s := range c.Sources {
		require.NoError(t, s.Validate(), s.Name)
	}
}

// Each rule, checked on a config built in code: Validate reports the field
// path and the message, without a position.
func TestValidateRules(t *testing.T) {
	src := func(c *Config, name string) *Source {
		for i := range c.Sources {
			if c.Sources[i].Name == name {
				return &c.Sources[i]
			}
		}
		t.Fatalf("no source %s", name)
		return nil
	}
	sim := func(c *Config) *SimulatedSpec { return specOf[*SimulatedSpec](t, *src(c, "sim")) }
	site := func(c *Config) *HTTPSpec { return specOf[*HTTPSpec](t, *src(c, "site")) }
	node := func(c *Config) *PrometheusSpec { return specOf[*PrometheusSpec](t, *src(c, "node")) }
	queue := func(c *Config) *JSONSpec { return specOf[*JSONSpec](t, *src(c, "queue")) }
	cases := []struct {
		name   string
		change func(c *Config)
		path   string
		msg    string
	}{
		{"listen host", func(c *Config) { c.Server.Listen = "no such host:80" }, "server.listen", `host "no such host"`},
		{"listen port", func(c *Config) { c.Server.Listen = "127.0.0.1:99999" }, "server.listen", "is not a number from 0 to 65535"},
		{"listen garbage", func(c *Config) { c.Server.Listen = "a:b:c" }, "server.listen", "is not host:port"},
		{"listen empty port", func(c *Config) { c.Server.Listen = "127.0.0.1:" }, "server.listen", "has no port"},
		{"listen bare IPv6", func(c *Config) { c.Server.Listen = "::1" }, "server.listen", "is not host:port, like 127.0.0.1:8080 or [::1]:8080"},
		{"origin with path", func(c *Config) { c.Server.AllowedOrigins = []string{"https://ops.example.com/x"} }, "server.allowed_origins[0]", "is not an origin"},
		{"origin wildcard", func(c *Config) { c.Server.AllowedOrigins = []string{"*"} }, "server.allowed_origins[0]", "is not an origin"},
		{"window under a second", func(c *Config) { c.Aggregator.Windows = []Duration{Duration(time.Minute), Duration(time.Nanosecond)} }, "aggregator.windows[1]", "shorter than 1s"},
		{"host with port", func(c *Config) { c.Server.AllowedHosts = []string{"ops.example.com:8080"} }, "server.allowed_hosts[0]", "is not a host"},
		{"host with scheme", func(c *Config) { c.Server.AllowedHosts = []string{"ok.example", "https://ops.example.com"} }, "server.allowed_hosts[1]", "is not a host"},
		{"host wildcard inside", func(c *Config) { c.Server.AllowedHosts = []string{"ops.*.example.com"} }, "server.allowed_hosts[0]", "is not a host"},
		{"history", func(c *Config) { c.Aggregator.History = 0 }, "aggregator.history", "must be positive"},
		{"no windows", func(c *Config) { c.Aggregator.Windows = nil }, "aggregator.windows", "at least one window"},
		{"same span", func(c *Config) {
			c.Aggregator.Windows = []Duration{Duration(7010 * time.Millisecond), Duration(7 * time.Second)}
		}, "aggregator.windows[1]", "7s and 7.01s (windows[0]) are the same window once cut into 60 slices of whole milliseconds (both cover 7.02s)"},
		{"negative window", func(c *Config) { c.Aggregator.Windows = []Duration{-1} }, "aggregator.windows[0]", "must be positive"},
		{"per-source cap", func(c *Config) { c.Aggregator.MaxSeriesPerSource = -1 }, "aggregator.max_series_per_source", "must be positive, got -1"},
		{"queue", func(c *Config) { c.Aggregator.QueueSize = 0 }, "aggregator.queue_size", "must be positive"},
		{"broadcast", func(c *Config) { c.Broadcast.Interval = Duration(minInterval - 1) }, "broadcast.interval", "too short"},
		{"max restarts", func(c *Config) { c.Supervisor.MaxRestarts = -1 }, "supervisor.max_restarts", "must not be negative"},
		{"period", func(c *Config) { c.Supervisor.Period = 0 }, "supervisor.period", "must be positive"},
		{"cooldown", func(c *Config) { c.Supervisor.Cooldown = -1 }, "supervisor.cooldown", "must be positive"},
		{"backoff initial", func(c *Config) { c.Supervisor.Backoff.Initial = 0 }, "supervisor.backoff.initial", "must be positive"},
		{"backoff max", func(c *Config) { c.Supervisor.Backoff.Max = c.Supervisor.Backoff.Initial - 1 }, "supervisor.backoff.max", "shorter than backoff.initial"},

		{"source name chars", func(c *Config) { src(c, "host").Name = "my host" }, "sources[1].name", "invalid source name"},
		{"no type", func(c *Config) { src(c, "host").Type = "" }, "sources[1].type", "is required (one of: "},
		{"interval too short", func(c *Config) { s := src(c, "host"); s.Interval, s.Timeout = minInterval/2, minInterval/2 }, "sources[1].interval", "too short"},
		{"timeout", func(c *Config) { src(c, "host").Timeout = -1 }, "sources[1].timeout", "must be positive"},
		{"source label", func(c *Config) { src(c, "host").Labels = map[string]string{"__name__": "x"} }, "sources[1].labels.__name__", "reserved"},

		{"no series", func(c *Config) { sim(c).Series = nil }, "sources[0].series", "at least one series"},
		{"duplicate series", func(c *Config) { s := sim(c); s.Series = append(s.Series, s.Series[0]) }, "sources[0].series[1]", `duplicate series: metric "up" with the same labels as series[0]`},
		{"reserved metric", func(c *Config) { sim(c).Series[0].Metric = "pulseboard_up" }, "sources[0].series[0].metric", "reserved for pulseboard's own metrics"},
		{"NaN max", func(c *Config) { sim(c).Series[0].Max = math.NaN() }, "sources[0].series[0].max", "must be a finite number"},
		{"infinite noise", func(c *Config) { sim(c).Series[0].Noise = math.Inf(1) }, "sources[0].series[0].noise", "must be a finite number"},
		{"negative noise", func(c *Config) { sim(c).Series[0].Noise = -1 }, "sources[0].series[0].noise", "must not be negative"},
		{"negative rate", func(c *Config) { sim(c).Series[0].Rate = -1 }, "sources[0].series[0].rate", "must not be negative"},
		{"negative period", func(c *Config) { sim(c).Series[0].Period = -1 }, "sources[0].series[0].period", "must be positive"},
		{"zero period", func(c *Config) { sim(c).Series[0].Period = 0 }, "sources[0].series[0].period", "must be positive"},
		{"counter below zero", func(c *Config) { s := &sim(c).Series[0]; s.Shape, s.Min = "counter", -1 }, "sources[0].series[0].min", "a counter cannot start below 0"},
		{"series label", func(c *Config) { sim(c).Series[0].Labels = map[string]string{"0x": "y"} }, "sources[0].series[0].labels.0x", "invalid label name"},
		{"instance label with count", func(c *Config) {
			s := &sim(c).Series[0]
			s.Count, s.Labels = 2, map[string]string{"instance": "a"}
		}, "sources[0].series[0].labels.instance", "set by count > 1"},
		{"too many series", func(c *Config) { sim(c).Series[0].Count = c.Aggregator.MaxSeriesPerSource + 1 }, "sources[0].series", "more than aggregator.max_series_per_source"},
		{"error rate", func(c *Config) { sim(c).Faults.ErrorRate = -0.1 }, "sources[0].faults.error_rate", "must be a probability"},
		{"NaN hang rate", func(c *Config) { sim(c).Faults.HangRate = math.NaN() }, "sources[0].faults.hang_rate", "must be a probability"},
		{"latency", func(c *Config) { sim(c).Faults.Latency = -1 }, "sources[0].faults.latency", "must not be negative"},
		{"rates above 1", func(c *Config) { sim(c).Faults.PanicRate, sim(c).Faults.HangRate = 0.5, 0.5 }, "sources[0].faults", "error_rate + panic_rate + hang_rate is 1.1: they cannot add up to more than 1"},
		{"no spec", func(c *Config) { src(c, "site").Spec = nil }, "sources[2]", "a http source needs its config (*configs.HTTPSpec)"},
		{"wrong spec", func(c *Config) { src(c, "site").Spec = &JSONSpec{} }, "sources[2]", "a http source's config is a *configs.HTTPSpec, not a *configs.JSONSpec"},

		{"url without host", func(c *Config) { site(c).URL = "http:///health" }, "sources[2].url", "has no host"},
		{"port zero", func(c *Config) { site(c).URL = "http://h:0/health" }, "sources[2].url", "port 0 is not in 1..65535"},
		{"port too big", func(c *Config) { site(c).URL = "https://h:65536/health" }, "sources[2].url", "port 65536 is not in 1..65535"},
		{"space in path, bare", func(c *Config) { site(c).URL = "http://h/a b" }, "sources[2].url", "(U+0020)"},
		{"no-break space", func(c *Config) { site(c).URL = "http://h/a\u00a0b" }, "sources[2].url", "(U+00A0)"},
		{"tab in query", func(c *Config) { site(c).URL = "http://h/?a=\tb" }, "sources[2].url", "invalid control character"},
		{"header name", func(c *Config) { site(c).Headers = map[string]string{"Bad Header": "x"} }, "sources[2].headers.Bad Header", "invalid header name"},
		{"header value", func(c *Config) { site(c).Headers = map[string]string{"X-A": "a\r\nb"} }, "sources[2].headers.X-A", "line break"},
		{"header control", func(c *Config) { site(c).Headers = map[string]string{"X-K": "HSEC4\x01"} }, "sources[2].headers.X-K", "a header value cannot hold a line break or control character"},
		{"header DEL", func(c *Config) { site(c).Headers = map[string]string{"X-K": "HSEC4\x7f"} }, "sources[2].headers.X-K", "control character"},
		{"body limit", func(c *Config) { site(c).MaxBodyBytes = -5 }, "sources[2].max_body_bytes", "must be positive"},
		{"method", func(c *Config) { site(c).Method = "get" }, "sources[2].method", `unknown method "get"`},
		{"status", func(c *Config) { site(c).ExpectStatus = []int{200, 700} }, "sources[2].expect_status[1]", "700 is not an HTTP status code"},
		{"exclude regex", func(c *Config) { node(c).Exclude = []string{"a**"} }, "sources[3].exclude[0]", "invalid regular expression"},
		{"prometheus cap", func(c *Config) { node(c).MaxSeries = 0 }, "sources[3].max_series", "must be positive"},
		{"json path", func(c *Config) { queue(c).Fields["depth"] = " " }, "sources[4].fields.depth", "the JSON path is empty"},
		{"json metric", func(c *Config) { queue(c).Fields["bad name"] = "x" }, "sources[4].fields.bad name", "invalid metric name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(c)
			err := c.Validate()
			require.ErrorIs(t, err, ErrInvalid)
			errs := Errors(err)
			require.Len(t, errs, 1, "errors: %v", err)
			require.Equal(t, tc.path, errs[0].Path)
			require.Contains(t, errs[0].Msg, tc.msg)
			require.Zero(t, errs[0].Line, "Validate knows no positions")
			require.Equal(t, tc.path+": "+errs[0].Msg, errs[0].Error())
		})
	}
}

// An explicit zero in the file is reported; only an absent key gets its
// default. (Built in code, a zero means "absent".)
func TestExplicitZeroIsNotDefaulted(t *testing.T) {
	cases := []struct{ key, src, path string }{
		{"timeout", "{name: h, type: host, timeout: 0s}", "sources[0].timeout"},
		{"max_body_bytes", "{name: s, type: http, url: 'http://x/', max_body_bytes: 0}", "sources[0].max_body_bytes"},
		{"method", "{name: s, type: http, url: 'http://x/', method: ''}", "sources[0].method"},
		{"max_series", "{name: n, type: prometheus, url: 'http://x/', max_series: 0}", "sources[0].max_series"},
		{"count", "{name: d, type: simulated, series: [{metric: up, count: 0}]}", "sources[0].series[0].count"},
		{"period", "{name: d, type: simulated, series: [{metric: up, period: 0s}]}", "sources[0].series[0].period"},
		{"shape", "{name: d, type: simulated, series: [{metric: up, shape: ''}]}", "sources[0].series[0].shape"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			_, err := Parse("zero.yaml", []byte("sources:\n  - "+tc.src+"\n"))
			errs := Errors(err)
			require.Len(t, errs, 1, "errors: %v", err)
			require.Equal(t, tc.path, errs[0].Path)
			require.Equal(t, 2, errs[0].Line)
		})
	}
}

// A key the type does not use is an error even when its value is empty,
// when it is given in the file.
func TestUnusedKeyGivenEmpty(t *testing.T) {
	_, err := Parse("unused.yaml", []byte("sources:\n  - name: h\n    type: host\n    url: ''\n"))
	errs := Errors(err)
	require.Len(t, errs, 1)
	require.Equal(t, "unused.yaml:4:5: sources[0].url: not used by host sources (it is for http, json, prometheus)", errs[0].Error())
}

// Keys given to a type that does not use them are reported at the key,
// with the types that do use them, all at once.
func TestUnusedKeys(t *testing.T) {
	src := `sources:
  - {name: h, type: host, url: 'http://x/', seed: 1}
  - {name: s, type: simulated, series: [{metric: up}], fields: {a: b}}
  - {name: w, type: http, url: 'http://x/', include: [x]}
  - {name: q, type: json, url: 'http://x/', fields: {a: b}, method: GET}
  - {name: n, type: prometheus, url: 'http://x/', follow_redirects: false}
`
	_, err := Parse("unused.yaml", []byte(src))
	var got []string
	for _, e := range Errors(err) {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		"unused.yaml:2:27: sources[0].url: not used by host sources (it is for http, json, prometheus)",
		"unused.yaml:2:45: sources[0].seed: not used by host sources (it is for simulated)",
		"unused.yaml:3:56: sources[1].fields: not used by simulated sources (it is for json)",
		"unused.yaml:4:45: sources[2].include: not used by http sources (it is for prometheus)",
		"unused.yaml:5:61: sources[3].method: not used by json sources (it is for http)",
		"unused.yaml:6:51: sources[4].follow_redirects: not used by prometheus sources (it is for http)",
	}, got)
}

// Which type uses which key comes from the registered specs' yaml tags.
func TestKeysComeFromTheRegisteredSpecs(t *testing.T) {
	types := SourceTypes()
	require.IsIncreasing(t, types)
	require.Subset(t, types, []string{TypeHost, TypeHTTP, TypeJSON, TypePrometheus, TypeSimulated})
	require.Equal(t, "http, json, prometheus", typesUsing("url"))
	require.Equal(t, "simulated", typesUsing("series"))
	require.Empty(t, typesUsing("name"))
	var foreign []string
	for _, f := range foreignFields(TypeJSON) {
		foreign = append(foreign, f.key)
	}
	require.Subset(t, foreign, []string{"method", "expect_status", "follow_redirects", "include", "exclude", "max_series", "seed", "series", "faults"})
	require.NotContains(t, foreign, "url", "json's own key")
	require.NotContains(t, foreign, "fields", "json's own key")
	sourceKeys := keysOf(typeAt(typeOfConfig(), "sources[0]"))
	require.Equal(t, []string{"name", "type", "interval", "timeout", "labels"}, sourceKeys[:5], "the common keys first")
	require.Subset(t, sourceKeys, []string{"url", "headers", "max_body_bytes", "method", "fields", "include", "seed", "series", "faults"})
	for _, typ := range SourceTypes() {
		require.Positive(t, DefaultInterval(typ), "no default interval for %s", typ)
	}
	require.Zero(t, DefaultInterval("nope"))
}

func TestUnknownTypeHasNoIntervalError(t *testing.T) {
	c := &Config{}
	*c = *Default()
	c.Sources = []Source{{Name: "x", Type: "nope"}}
	c.ApplyDefaults()
	errs := Errors(c.Validate())
	require.Len(t, errs, 1)
	require.True(t, strings.HasPrefix(errs[0].Msg, `unknown source type "nope"`))
}

func TestValueKeys(t *testing.T) {
	s := &Source{Name: "n", Spec: &SimulatedSpec{Series: []SimSeries{{Metric: "m"}}, Faults: &Faults{ErrorRate: 0.5}}}
	k := valuesOf(s)
	require.True(t, k.has("name"))
	require.True(t, k.has("series"), "a key of the spec")
	require.False(t, k.has("seed"), "zero counts as absent")
	require.False(t, k.has("url"), "a key of another type")
	require.False(t, k.has("nope"))
	require.True(t, k.sub("series[0]").has("metric"))
	require.False(t, k.sub("series[0]").has("shape"))
	require.True(t, k.sub("faults").has("error_rate"))
	require.False(t, k.sub("series[1]").has("metric"), "out of range")
	require.False(t, k.sub("name[0]").has("x"), "not a list")
	require.False(t, k.sub("nope").has("x"))
	require.False(t, valuesOf(&Source{Spec: &SimulatedSpec{}}).sub("faults").has("error_rate"), "nil pointer")
	require.False(t, valuesOf(&Source{}).sub("faults").has("error_rate"), "no spec")
	http := &Source{Spec: &HTTPSpec{HTTPClient: HTTPClient{URL: "http://x/"}}}
	require.True(t, valuesOf(http).has("url"), "a key of the inline client")
	require.False(t, valuesOf(http).has("headers"))
}

func TestTaggedValues(t *testing.T) {
	c, err := Parse("tags.yaml", []byte("server:\n  listen: !!str 127.0.0.1:9999\n"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", c.Server.Listen)
	_, err = Parse("tags.yaml", []byte("server:\n  listen: !!str 127.0.0.1\n"))
	require.Equal(t, `tags.yaml:2:16: server.listen: "127.0.0.1" has no port: want host:port, like 127.0.0.1:8080 (or :8080 for every interface)`, err.Error())
	// go-yaml will not put "!!int 7" in an int field; the message must not
	// read "want an integer, got an integer".
	_, err = Parse("tags.yaml", []byte("aggregator:\n  max_series: !!int 7\n"))
	require.Equal(t, "tags.yaml:2:15: aggregator.max_series: cannot decode this value as an integer", err.Error())
}

// URLs in messages keep no secret: user info and query values are masked,
// in a URL that parses and in one that does not.
func TestURLMessagesHideSecrets(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"ftp://alice:s3cret@example.com/x?token=t0ken#frag", `URL "ftp://xxxxx:xxxxx@example.com/x?token=xxxxx": the scheme must be http or https`},
		{"http://a b:s3cret@[::1/?token=t0ken", `invalid URL "http://xxxxx:xxxxx@[::1/?token=xxxxx": missing ']' in host`},
		{"http://[::1:9100/metrics", `invalid URL "http://[::1:9100/metrics": missing ']' in host`},
		{"http://alice:s3cret@/x?k=t0ken", `URL "http://xxxxx:xxxxx@/x?k=xxxxx" has no host`},
	} {
		spec := NewHTTPSpec()
		spec.URL = tc.url
		errs := Errors(spec.Validate())
		require.Len(t, errs, 1, tc.url)
		require.Equal(t, "url: "+tc.want, errs[0].Error())
		for _, secret := range []string{"s3cret", "t0ken", "alice", "frag"} {
			require.NotContains(t, errs[0].Error(), secret)
		}
	}
}

func TestUnknownTypeListsTheTypes(t *testing.T) {
	_, err := Load("testdata/unknown_source_type.yaml")
	errs := Errors(err)
	require.Len(t, errs, 1)
	require.Equal(t, `unknown source type "postgres" (known: `+strings.Join(SourceTypes(), ", ")+")", errs[0].Msg)
}

// TestMaxRestartsZeroIsNoRestart: an explicit max_restarts: 0 is a value,
// kept through Load and given to the supervisor as "no restart" (its 0
// would mean the default 5); a missing key is 5.
func TestMaxRestartsZeroIsNoRestart(t *testing.T) {
	cfg, err := Parse("zero.yaml", []byte("supervisor:\n  max_restarts: 0\n"))
	require.NoError(t, err)
	require.Equal(t, 0, cfg.Supervisor.MaxRestarts)
	require.Equal(t, -1, cfg.Supervisor.Restarts())

	cfg, err = Parse("missing.yaml", []byte("supervisor:\n  period: 10s\n"))
	require.NoError(t, err)
	require.Equal(t, 5, cfg.Supervisor.Restarts())
	require.Equal(t, 2, Supervisor{MaxRestarts: 2}.Restarts())
}
