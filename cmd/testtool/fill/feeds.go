package fill

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
)

// newFeeds makes a feed of every simulated and host source of o.Config,
// and names the sources of other types.
func newFeeds(o Options) (feeds []feed, skipped []string, err error) {
	for _, src := range o.Config.Sources {
		if src.Interval <= 0 {
			return nil, nil, fmt.Errorf("fill: source %q has no interval", src.Name)
		}
		var f feed
		switch src.Type {
		case configs.TypeSimulated:
			f, err = newSimFeed(src, o)
		case configs.TypeHost:
			host := o.Host
			if host == nil {
				host = DefaultHost()
			}
			f = newHostFeed(src, host, seedOf(o.Seed, src.Name), o.From)
		default:
			skipped = append(skipped, src.Name)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		feeds = append(feeds, f)
	}
	return feeds, skipped, nil
}

// seedOf mixes the fill's seed with a source's name.
func seedOf(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return mix64(seed ^ h.Sum64())
}

// simFeed plays a simulated source: its values come from the source
// itself (collectors.NewSource, on the fill's clock), built without its
// faults; the faults are drawn here, from a generator seeded and drawn as
// the source draws its own (the latency's jitter, then the fault, one
// number each per poll), so the same polls fail as in a run of the program
// with that seed. The latency is not waited for: it only delays the
// poll's time stamp, as it does in the program.
type simFeed struct {
	name     string
	src      collectors.Source
	labels   aggregator.Labels // the source's configured labels
	interval time.Duration
	faults   configs.Faults
	rng      *rand.Rand

	tick  time.Time // when the next poll starts
	at    time.Time // when its samples are stamped: tick plus its latency
	fault fault
	n     int // series seen in a poll
}

type fault uint8

const (
	faultNone fault = iota
	faultPanic
	faultHang
	faultError
)

func newSimFeed(src configs.Source, o Options) (*simFeed, error) {
	spec, ok := src.Spec.(*configs.SimulatedSpec)
	if !ok {
		return nil, fmt.Errorf("fill: source %q: no simulated spec", src.Name)
	}
	seed := int64(seedOf(o.Seed, src.Name))
	if spec.Seed != nil {
		seed = *spec.Seed
	}
	quiet := *spec
	quiet.Seed, quiet.Faults = &seed, nil
	qsrc := src
	qsrc.Spec = &quiet
	f := &simFeed{
		name:     src.Name,
		labels:   labelsOf(src.Labels),
		interval: src.Interval.D(),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)), // as collectors' simSource
		tick:     o.From,
	}
	if spec.Faults != nil {
		f.faults = *spec.Faults
	}
	s, err := collectors.NewSource(qsrc, collectors.Env{Now: func() time.Time { return f.at }})
	if err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	f.src = s
	f.schedule()
	return f, nil
}

// schedule draws the latency and the fault of the poll at tick.
func (f *simFeed) schedule() {
	f.at = f.tick
	if l := f.faults.Latency.D(); l > 0 {
		f.at = f.tick.Add(jittered(l, f.rng.Float64()))
	}
	u, r := f.rng.Float64(), f.faults
	switch {
	case u < r.PanicRate:
		f.fault = faultPanic
	case u < r.PanicRate+r.HangRate:
		f.fault = faultHang
	case u < r.PanicRate+r.HangRate+r.ErrorRate:
		f.fault = faultError
	default:
		f.fault = faultNone
	}
}

func (f *simFeed) next() time.Time { return f.at }
func (f *simFeed) series() int     { return f.n }

// poll is the collector's record of one poll: a panic pushes nothing, a
// hang (cut by the poll's timeout) or an error a failed batch, a success
// the samples with the source's labels, as a complete batch.
func (f *simFeed) poll(ctx context.Context) (aggregator.Batch, bool, error) {
	defer func() {
		f.tick = f.tick.Add(f.interval)
		f.schedule()
	}()
	switch f.fault {
	case faultPanic:
		return aggregator.Batch{}, false, nil
	case faultHang, faultError:
		return aggregator.Batch{Source: f.name, Failed: true}, true, nil
	}
	samples, err := f.src.Poll(ctx)
	if err != nil {
		return aggregator.Batch{}, false, fmt.Errorf("fill: source %q: %w", f.name, err)
	}
	f.n = max(f.n, len(samples))
	return aggregator.Batch{Source: f.name, Samples: withLabels(samples, f.labels), Complete: true}, true, nil
}

// jittered is collectors' latency: d plus u times half of d.
func jittered(d time.Duration, u float64) time.Duration {
	j := u * float64(d) / 2
	if j >= float64(math.MaxInt64-d) {
		return math.MaxInt64
	}
	return d + time.Duration(j)
}

// withLabels gives every sample the source's labels it lacks, as the
// collector does (a sample's own label wins), and drops infinite values,
// which the collector does not push either.
func withLabels(in []aggregator.Sample, extra aggregator.Labels) []aggregator.Sample {
	out := in[:0]
	for _, s := range in {
		if math.IsInf(s.Value, 0) {
			continue
		}
		if len(extra) > 0 {
			ls := slices.Clone(s.Labels)
			for _, l := range extra {
				if !hasLabel(s.Labels, l.Name) {
					ls = append(ls, l)
				}
			}
			slices.SortFunc(ls, func(a, b aggregator.Label) int { return cmp.Compare(a.Name, b.Name) })
			s.Labels = ls
		}
		out = append(out, s)
	}
	return out
}

func hasLabel(ls aggregator.Labels, name string) bool {
	return slices.ContainsFunc(ls, func(l aggregator.Label) bool { return l.Name == name })
}

func labelsOf(m map[string]string) aggregator.Labels {
	var ls aggregator.Labels
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ls = append(ls, aggregator.Label{Name: k, Value: m[k]})
	}
	return ls
}

// mix64 is SplitMix64's finaliser.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
