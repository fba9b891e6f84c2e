package configs

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// minInterval is the shortest poll or broadcast interval accepted: below it
// a typo ("1ms" for "1m") would keep a core busy.
const minInterval = Duration(10 * time.Millisecond)

// Validate checks the whole configuration and returns every problem found,
// joined, each an *Error with its field path (see Errors). Call
// ApplyDefaults first on a Config built in code; Load and Parse do both.
func (c *Config) Validate() error { return c.validate(valuesOf(c), nil) }

// validate checks c; the sources' series are held to the aggregator
// limits inForce, or to c's own when it is nil.
func (c *Config) validate(k keys, inForce *Aggregator) error {
	var p problems
	p.nest("server", c.Server.Validate())
	p.nest("aggregator", c.Aggregator.validate(k.sub("aggregator")))
	p.nest("broadcast", c.Broadcast.Validate())
	p.nest("supervisor", c.Supervisor.Validate())
	p.nest("alerting", c.Alerting.Validate())
	p.nest("storage", c.Storage.validate(k.sub("storage")))
	if c.Cluster != nil {
		p.nest("cluster", c.Cluster.Validate())
	}
	seen := map[string]int{}
	budget := newSeriesBudget(&p, c.Aggregator, inForce)
	for i := range c.Sources {
		s := &c.Sources[i]
		path := index("sources", i)
		p.nest(path, s.validate(k.sub(path)))
		if first, dup := seen[s.Name]; dup && s.Name != "" {
			p.addf(joinPath(path, "name"), "duplicate source name %q (first used by sources[%d])", s.Name, first)
		} else {
			seen[s.Name] = i
		}
		budget.check(&p, path, s)
	}
	c.validateAlerts(&p)
	return p.err()
}

// seriesBounder is implemented by specs that know from their config alone
// how many series the source makes (a simulated source), with the key to
// point at when that is too many.
type seriesBounder interface {
	seriesBound() (n int, key string)
}

// SeriesKnown reports whether the source's series count is known from its
// config alone (a simulated source): the load's memory check charges its
// series against aggregator.memory_limit (KnownSeriesMemory), so the store
// never refuses them for memory. A source that learns its series as it
// polls is held to the limit by the store as they arrive.
func (s *Source) SeriesKnown() bool {
	_, ok := s.Spec.(seriesBounder)
	return ok
}

// Validate checks the listen address and the allowed origins.
func (s Server) Validate() error {
	var p problems
	host, port, err := net.SplitHostPort(s.Listen)
	switch {
	case err != nil || port == "":
		if _, _, e := net.SplitHostPort(s.Listen + ":0"); e == nil || (err == nil && port == "") {
			p.addf("listen", "%q has no port: want host:port, like 127.0.0.1:8080 (or :8080 for every interface)", s.Listen)
		} else {
			p.addf("listen", "%q is not host:port, like 127.0.0.1:8080 or [::1]:8080", s.Listen)
		}
	case !validPort(port):
		p.addf("listen", "port %q of %q is not a number from 0 to 65535", port, s.Listen)
	case host != "" && net.ParseIP(host) == nil && !validHostname(host):
		p.addf("listen", "host %q of %q is neither an IP address nor a host name", host, s.Listen)
	}
	for i, h := range s.AllowedHosts {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if name != "*" && net.ParseIP(name) == nil && !validHostname(strings.TrimPrefix(name, "*.")) {
			p.addf(index("allowed_hosts", i), "%q is not a host: want a name (ops.example.com), a domain's names (*.example.com) or * (any); no scheme, port or path", h)
		}
	}
	p.nest("auth", s.Auth.Validate())
	s.validateConns(&p)
	s.validateDear(&p)
	s.validateSlowCuts(&p)
	s.validateSessions(&p)
	for i, o := range s.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			p.addf(index("allowed_origins", i), "%q is not an origin: want scheme://host[:port], like https://ops.example.com", o)
		}
	}
	return p.err()
}

// Validate checks the tokens: each, when given, is visible ASCII (a
// bearer token an Authorization header can carry: a newline or a space
// would make a token no client can send), and the viewer token differs
// from the admin token (or a viewer could crash and reload). The errors
// never quote a token.
func (a Auth) Validate() error {
	var p problems
	for _, t := range []struct{ key, token string }{{"viewer_token", a.ViewerToken}, {"admin_token", a.AdminToken}} {
		if strings.IndexFunc(t.token, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			p.addf(t.key, "has a space, control or non-ASCII character: a token is visible ASCII characters only, as an Authorization header carries it")
		}
	}
	if a.ViewerToken != "" && a.ViewerToken == a.AdminToken {
		p.addf("viewer_token", "is the same as admin_token: a viewer could then use the admin routes; give each its own")
	}
	return p.err()
}

// Validate checks the store's sizes, the history and the windows.
func (a Aggregator) Validate() error { return a.validate(valuesOf(&a)) }

// validate is Validate, told by k which keys the file gives: a history
// too short for windows the file does not give (the default ones) is the
// history's fault, reported there once, not at windows[i] the file does
// not have.
func (a Aggregator) validate(k keys) error {
	var p problems
	defaultWindows := !k.has("windows")
	var longest Duration // of the default windows longer than history
	if a.History <= 0 {
		p.addf("history", "must be positive, got %s", a.History)
	}
	if len(a.Windows) == 0 {
		p.addf("windows", "at least one window is needed")
	}
	for i, w := range a.Windows {
		path := index("windows", i)
		switch first := slices.Index(a.Windows, w); {
		case w <= 0:
			p.addf(path, "must be positive, got %s", w)
		case w < Duration(time.Second):
			p.addf(path, "%s is shorter than 1s: a window's statistics are kept in 60 slices of at least a few milliseconds each", w)
		case first < i:
			p.addf(path, "duplicate window %s (also windows[%d])", w, first)
		case sameSpan(a.Windows[:i], w) >= 0:
			j := sameSpan(a.Windows[:i], w)
			p.addf(path, "%s and %s (windows[%d]) are the same window once cut into %d slices of whole milliseconds (both cover %s)",
				w, a.Windows[j], j, aggregator.DefaultSubBuckets, Duration(aggregator.RoundWindow(w.D(), aggregator.DefaultSubBuckets)))
		case a.History > 0 && w > a.History && defaultWindows:
			longest = max(longest, w)
		case a.History > 0 && w > a.History && !k.has("history"):
			p.addf(path, "window %s is longer than history (%s, the default): give aggregator.history of at least %s", w, a.History, w)
		case a.History > 0 && w > a.History:
			p.addf(path, "window %s is longer than history (%s)", w, a.History)
		}
	}
	if longest > 0 {
		p.addf("history", "%s is shorter than the default windows (%s), which need a history of at least %s: give a longer history, or windows no longer than %s",
			a.History, joinDurations(a.Windows), longest, a.History)
	}
	positive(&p, "max_series", a.MaxSeries)
	positive(&p, "max_series_per_source", a.MaxSeriesPerSource)
	if n := a.MaxNewSeriesPerHour; n != 0 && (n < a.MaxSeriesPerSource || n > MaxSeriesCeiling*24) {
		p.addf("max_new_series_per_hour", "%d is outside %d (max_series_per_source: a source must be able to fill its cap) to %d; leave it out for twice max_series_per_source",
			n, a.MaxSeriesPerSource, MaxSeriesCeiling*24)
	}
	if n := a.MaxNewSeriesPerHourAllSources; n != 0 && (n < a.MaxSeries || n > MaxSeriesCeiling*24) {
		p.addf("max_new_series_per_hour_all_sources", "%d is outside %d (max_series: the store must be able to fill its cap) to %d; leave it out for twice max_series",
			n, a.MaxSeries, MaxSeriesCeiling*24)
	}
	positive(&p, "queue_size", a.QueueSize)
	positive(&p, "queue_samples", a.QueueSamples)
	positive(&p, "memory_limit", int64(a.MemoryLimit))
	a.validateCeilings(&p)
	return p.err()
}

// sameSpan is the index of the first of earlier that covers the same span
// as w once rounded as the aggregator rounds it, or -1.
func sameSpan(earlier []Duration, w Duration) int {
	span := aggregator.RoundWindow(w.D(), aggregator.DefaultSubBuckets)
	return slices.IndexFunc(earlier, func(e Duration) bool {
		return e > 0 && aggregator.RoundWindow(e.D(), aggregator.DefaultSubBuckets) == span
	})
}

// Validate checks the broadcast interval.
func (b Broadcast) Validate() error {
	var p problems
	atLeast(&p, "interval", b.Interval, minInterval)
	return p.err()
}

// Validate checks restart intensity and backoff.
func (s Supervisor) Validate() error {
	var p problems
	switch {
	case s.MaxRestarts < 0:
		p.addf("max_restarts", "must not be negative, got %d", s.MaxRestarts)
	case s.MaxRestarts > MaxRestartsCeiling:
		p.addf("max_restarts", "%d is more than the ceiling of %d restarts: past it a crashing child is restarted for ever instead of being parked",
			s.MaxRestarts, MaxRestartsCeiling)
	}
	atLeast(&p, "period", s.Period, MinSupervisorPeriod)
	atLeast(&p, "cooldown", s.Cooldown, MinCooldown)
	if least := Duration(s.MaxRestarts) * MaxRestartRate; s.MaxRestarts > 0 && s.MaxRestarts <= MaxRestartsCeiling && s.Cooldown >= MinCooldown && s.Cooldown < least {
		p.addf("cooldown", "%s is too short for max_restarts %d: a source that crashes at every start would be restarted %d times every %s, more than once a second; the least is %s",
			s.Cooldown, s.MaxRestarts, s.MaxRestarts, s.Cooldown, least)
	}
	atLeast(&p, "backoff.initial", s.Backoff.Initial, MinBackoff)
	if s.Backoff.Max < s.Backoff.Initial {
		p.addf("backoff.max", "%s is shorter than backoff.initial (%s)", s.Backoff.Max, s.Backoff.Initial)
	}
	atMost(&p, "backoff.max", s.Backoff.Max, MaxBackoff)
	return p.err()
}

func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// positive reports an integer that must be > 0.
func positive[T int | int64](p *problems, path string, v T) {
	if v <= 0 {
		p.addf(path, "must be positive, got %d", v)
	}
}

// atMost reports a duration above its ceiling.
func atMost(p *problems, path string, d, ceiling Duration) {
	if d > ceiling {
		p.addf(path, "%s is too long: the most is %s", d, ceiling)
	}
}

// atLeast reports a duration below its floor (a floor of 1ns means
// "positive").
func atLeast(p *problems, path string, d, floor Duration) {
	switch {
	case d <= 0:
		p.addf(path, "must be positive, got %s", d)
	case d < floor:
		p.addf(path, "%s is too short: the least is %s", d, floor)
	}
}

// joinDurations lists durations as a config writes them: "1m, 5m, 15m".
func joinDurations(ds []Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return strings.Join(out, ", ")
}
