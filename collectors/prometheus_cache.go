package collectors

import (
	"hash/maphash"

	"github.com/pulseboard/pulseboard/aggregator"
)

// seriesCache remembers, from one scrape of a source to the next, what
// each series' text (`name{labels}` as the target wrote it) became: its
// name, its labels with the source's target labels applied and its
// identity key. A target writes the same text for the same series poll
// after poll, so a scrape only lexes a known series' line; parsing its
// labels into a set, sorting, checking them as UTF-8, applying the target
// labels and the limits, and building the key are done once. Prometheus
// keeps a scrape cache by series text for the same reason. On a target of
// 9,000 series with 29 labels each, that work was half of the server's
// CPU (BENCHMARKS.md "One wide source").
//
// The result depends only on the text and on the source's options, which
// are fixed for the source's life (a reload makes a new source), so an
// entry never goes out of date. A dropped series (invalid, past a label
// limit) is cached too, as its reason only: a hostile target may send
// thousands of series that only exist to be dropped, and the next scrape
// then counts them without building their labels again (the first of each
// reason is read again, to be named in the warning). Entries not seen in a scrape are forgotten
// after it, so the cache holds at most the series of the last scrape
// (bounded by sample_limit and the body's size).
//
// Texts are keyed by two 64-bit hashes with independent random seeds
// rather than by the text itself, which would hold another copy of every
// series' labels (10 MB on that target); 128 bits make a wrong hit (two
// texts of one source sharing both) a chance of about n²/2¹²⁹.
//
// It is used by one poll at a time (a source's polls never overlap).
type seriesCache struct {
	seeds      [2]maphash.Seed
	prev, next map[[2]uint64]*cachedSeries
	// out is the scrape's list of series read, kept from one scrape to
	// the next (takeOut, giveOut): a target of tens of thousands of series
	// (or one over sample_limit, whose scrape fails at the limit every
	// time) would otherwise grow a new one of megabytes every poll.
	out []keyedScrape
}

// takeOut returns the list kept from the last scrape, empty.
func (c *seriesCache) takeOut() []keyedScrape {
	out := c.out[:0]
	c.out = nil
	return out
}

// giveOut keeps out, cleared so it holds on to no series, for the next
// scrape; one that used under a quarter of it lets it go, so that a
// target that shrank does not keep its largest scrape's list for good.
func (c *seriesCache) giveOut(out []keyedScrape) {
	clear(out[:cap(out)])
	if len(out) < cap(out)/4 {
		out = nil
	}
	c.out = out[:0]
}

// cachedSeries is what a series' text became, as scrapeReader.series
// makes it.
type cachedSeries struct {
	name   string            // as the target wrote it: its family and kind are looked up by it
	metric string            // as stored: name with the source's secrets masked
	labels aggregator.Labels // shared by every scrape's samples: never modified
	key    string
	// exposed and renamed are aggregator.ExposedIdentity's answer.
	exposed string
	renamed bool
	// drop, when set, is why the series was dropped (dropInvalid, a label
	// limit), and the fields above but name are unset: the next scrape
	// counts it without reading its labels again.
	drop string
}

func newSeriesCache() *seriesCache {
	return &seriesCache{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		prev:  map[[2]uint64]*cachedSeries{},
		next:  map[[2]uint64]*cachedSeries{},
	}
}

func (c *seriesCache) hash(text []byte) [2]uint64 {
	return [2]uint64{maphash.Bytes(c.seeds[0], text), maphash.Bytes(c.seeds[1], text)}
}

// get returns what text became in this scrape or the last, or nil, and
// keeps a hit for the next scrape.
func (c *seriesCache) get(h [2]uint64) *cachedSeries {
	if e := c.next[h]; e != nil {
		return e // the same text twice in one body: a duplicate, dropped later
	}
	e := c.prev[h]
	if e != nil {
		c.next[h] = e
	}
	return e
}

// put keeps what a text became, for the next scrape.
func (c *seriesCache) put(h [2]uint64, e *cachedSeries) { c.next[h] = e }

// done ends a scrape: what it did not see is forgotten. A scrape that
// failed forgets nothing it had (it may have stopped early).
func (c *seriesCache) done(ok bool) {
	if !ok {
		for h, e := range c.next {
			c.prev[h] = e
		}
		clear(c.next)
		return
	}
	c.prev, c.next = c.next, c.prev
	clear(c.next)
}
