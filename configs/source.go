package configs

import (
	"maps"
	"slices"
)

// SourceByName returns the source called name.
func (c *Config) SourceByName(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Equal reports whether two sources are configured alike, key by key. A
// reload restarts a source only when its new config is not Equal to the old.
// An empty list or mapping equals an absent one.
func (s Source) Equal(o Source) bool {
	return s.Name == o.Name &&
		s.Type == o.Type &&
		s.Interval == o.Interval &&
		s.Timeout == o.Timeout &&
		maps.Equal(s.Labels, o.Labels) &&
		equalPtr(s.Seed, o.Seed) &&
		slices.EqualFunc(s.Series, o.Series, SimSeries.Equal) &&
		equalPtr(s.Faults, o.Faults) &&
		s.URL == o.URL &&
		maps.Equal(s.Headers, o.Headers) &&
		s.MaxBodyBytes == o.MaxBodyBytes &&
		s.Method == o.Method &&
		slices.Equal(s.ExpectStatus, o.ExpectStatus) &&
		equalPtr(s.FollowRedirects, o.FollowRedirects) &&
		slices.Equal(s.Include, o.Include) &&
		slices.Equal(s.Exclude, o.Exclude) &&
		s.MaxSeries == o.MaxSeries &&
		maps.Equal(s.Fields, o.Fields)
}

// Equal reports whether two simulated series are configured alike.
func (ss SimSeries) Equal(o SimSeries) bool {
	return ss.Metric == o.Metric &&
		ss.Shape == o.Shape &&
		maps.Equal(ss.Labels, o.Labels) &&
		ss.Min == o.Min &&
		ss.Max == o.Max &&
		ss.Period == o.Period &&
		ss.Noise == o.Noise &&
		ss.Rate == o.Rate &&
		ss.Count == o.Count
}

// equalPtr compares what two pointers point to; two nils are equal.
func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
