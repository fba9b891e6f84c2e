package configs

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Keys given through anchors, aliases and merge keys count as given: they
// keep their values, and errors in them point at where they are written.
func TestAnchorsAndMergeKeys(t *testing.T) {
	src := `
supervisor:
  backoff: &b {initial: 1s, max: 9s}
sources:
  - &site
    name: site
    type: http
    url: http://127.0.0.1:9000/
    follow_redirects: false
    interval: 3s
  - <<: *site
    name: site2
  - <<: *site
    name: site3
    interval: 20s
    timeout: 20s
`
	c, err := Parse("anchors.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, c.Sources, 3)
	for _, s := range c.Sources {
		spec := specOf[*HTTPSpec](t, s)
		require.False(t, *spec.FollowRedirects, "%s: merged false is kept, not defaulted to true", s.Name)
		require.Equal(t, "http://127.0.0.1:9000/", spec.URL)
	}
	require.Equal(t, 3*time.Second, c.Sources[1].Interval.D(), "merged interval is kept")
	require.Equal(t, 3*time.Second, c.Sources[1].Timeout.D())
	require.Equal(t, 20*time.Second, c.Sources[2].Interval.D(), "a given key beats a merged one")
}

func TestAliasedSourceErrorsPointAtTheAlias(t *testing.T) {
	src := `sources:
  - &h {name: host, type: host}
  - *h
`
	_, err := Parse("alias.yaml", []byte(src))
	errs := Errors(err)
	require.Len(t, errs, 1)
	require.Equal(t, `alias.yaml:3:5: sources[1].name: duplicate source name "host" (first used by sources[0]) (through alias *h; the value is written at 2:15)`, errs[0].Error(),
		"the duplicate is where the alias puts it")

	_, err = Parse("alias.yaml", []byte("sources:\n  - &s {name: a, type: http}\n  - <<: *s\n    name: b\n"))
	errs = Errors(err)
	require.Len(t, errs, 2)
	require.Equal(t, "alias.yaml:2:8: sources[0].url: is required for http sources", errs[0].Error())
	require.Equal(t, "alias.yaml:3:5: sources[1].url: is required for http sources", errs[1].Error())
}

func TestAliasCycleDoesNotHang(t *testing.T) {
	_, err := Parse("cycle.yaml", []byte("server:\n  allowed_origins: &a [*a]\n"))
	require.Error(t, err)
}

// An error in a value reached through an alias is reported at the alias,
// under the alias's path, with LF or CRLF line endings: it was reported at
// the anchor, under the anchor's path (a valid server.listen).
func TestErrorsThroughAnAliasNameTheAlias(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"server:\n  listen: &x \"127.0.0.1:18080\"\nsources:\n  - name: y\n    type: simulated\n    series: [{metric: m, shape: sine}]\n    interval: *x\n",
			`a.yaml:7:15: sources[0].interval: invalid duration "127.0.0.1:18080": want a number with a unit, like 500ms, 10s or 1m (through alias *x; the value is written at 2:14)`},
		{"a: &x 1\nsources: [{name: x, type: simulated, interval: *x}]\n",
			`a.yaml:1:1: a: unknown key "a" (known keys: server, aggregator, broadcast, supervisor, alerting, storage, cluster, sources, alerts)` + "\n" +
				`a.yaml:2:11: sources[0].series: a simulated source needs at least one series` + "\n" +
				`a.yaml:2:48: sources[0].interval: invalid duration "1": want a number with a unit, like 500ms, 10s or 1m (through alias *x; the value is written at 1:7)`},
		{"b: &s {name: x, type: simulated, interval: 1}\nsources: [*s]\n",
			`a.yaml:1:1: b: unknown key "b" (known keys: server, aggregator, broadcast, supervisor, alerting, storage, cluster, sources, alerts)` + "\n" +
				`a.yaml:2:11: sources[0].interval: invalid duration "1": want a number with a unit, like 500ms, 10s or 1m (through alias *s; the value is written at 1:44)` + "\n" +
				`a.yaml:2:11: sources[0].series: a simulated source needs at least one series (through alias *s; the value is written at 1:7)`},
		{"x: &a 1\nserver: {<<: *a}\n",
			`a.yaml:1:1: x: unknown key "x" (known keys: server, aggregator, broadcast, supervisor, alerting, storage, cluster, sources, alerts)` + "\n" +
				`a.yaml:2:14: server: want a mapping, got a int (through alias *a; the value is written at 1:7)`},
	} {
		for _, eol := range []string{"\n", "\r\n"} {
			_, err := Parse("a.yaml", []byte(strings.ReplaceAll(c.src, "\n", eol)))
			require.EqualError(t, err, c.want, "%q", eol)
		}
	}
}
