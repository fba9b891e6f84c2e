package aggregator

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

var (
	// ErrDropped is returned by Subscription.Next once the subscriber fell
	// so far behind that it was dropped; resync with a new Subscribe.
	ErrDropped = errors.New("aggregator: subscriber dropped, resync")
	// ErrClosed is returned by Subscription.Next after Close.
	ErrClosed = errors.New("aggregator: subscription closed")
)

// Message is one frame for subscribers.
type Message struct {
	Type string // protocol.TypeSnapshot or protocol.TypeDelta
	Seq  uint64
	From uint64 // first seq merged into it (== Seq when not merged)
	// Data is the encoded JSON frame. It is shared by every subscriber:
	// never modify it.
	Data []byte
	// TS is a delta's "ts": when it was built, Unix ms (0 for a
	// snapshot). Writers measure delivery delay from it.
	TS int64
}

// broker fans published deltas out to subscribers and keeps the recent
// ones for resuming.
//
// How it works: every published delta is encoded once and appended to one
// shared log, a singly linked list of immutable entries (logEntry) that
// every subscriber walks with a cursor of its own. Publishing fills the
// log's open entry, links a new open one after it and closes the filled
// entry's channel, which wakes every subscriber waiting at the end of the
// log at once; a subscriber takes its next message with atomic loads and
// no lock shared with the others (Next). The one lock, broker.mu, guards
// the set of subscribers, the retained deltas and the drop decisions: the
// publisher, Subscribe, Close and OnDrop take it, Next never does.
//
// A subscription's mailbox is the stretch of the log between its cursor
// and the log's end (plus a merged delta a resume may start with, see
// Subscribe). The publisher measures it for each subscriber from the two
// entries' numbers and running byte counts, so publishing costs one entry
// whatever the number of subscribers, and a few loads and compares per
// subscriber. A subscriber whose mailbox would pass its bound
// (MailboxSize deltas or MailboxBytes of them) is dropped on the spot: its
// cursor goes (what it held is the GC's once no cursor behind it remains),
// its drop hook runs, and its Next returns ErrDropped; the reader resyncs
// with a fresh snapshot (or a resume, which merges the retained deltas on
// the reader's own goroutine). Nothing is merged or encoded per subscriber
// on the publisher's path, nor allocated: a thousand stalled subscribers
// cost a thousand compares, then a thousand drops.
//
// Lock order: the Aggregator's store lock, then broker.mu, then a
// Subscription's mu.
type broker struct {
	a      *Aggregator
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	recent []*delta // oldest first, consecutive seqs
	bytes  int
	// open is the log's last entry, not yet filled: where every
	// subscriber that read everything waits. Replaced under mu only;
	// Subscribe reads it under mu.
	open *logEntry
}

// logEntry is one delta of the broker's shared log. An entry is made
// open (empty, filled false) and filled once by the publisher, which then
// sets next and closes filled; from then on nothing in it changes.
type logEntry struct {
	it mailItem
	// n numbers the entries, the first 0; before is the encoded bytes of
	// every delta logged before this one. A mailbox from entry x to the
	// open entry o holds o.n-x.n deltas and o.before-x.before bytes.
	n      uint64
	before int64
	next   *logEntry     // set before filled is closed
	filled chan struct{} // closed when it is filled
}

func newLogEntry(n uint64, before int64) *logEntry {
	return &logEntry{n: n, before: before, filled: make(chan struct{})}
}

// isFilled reports whether e was filled (and next is set).
func (e *logEntry) isFilled() bool {
	select {
	case <-e.filled:
		return true
	default:
		return false
	}
}

func (b *broker) init(a *Aggregator) {
	b.a = a
	b.subs = make(map[*Subscription]struct{})
	b.open = newLogEntry(0, 0)
}

type mailItem struct {
	msg Message
	d   *delta // nil for a snapshot
}

// Subscription states.
const (
	subLive int32 = iota
	subDropped
	subClosed
)

// Subscription is one subscriber's place in the broker's log, after the
// messages only it gets (a snapshot, a merged catch-up). Its methods are
// safe for concurrent use, though one reader is the normal case.
type Subscription struct {
	b *broker
	// at is the log entry to read next (nil once dropped or closed); the
	// publisher loads it to measure the mailbox, Next moves it on.
	at atomic.Pointer[logEntry]
	// state is subLive until the first of drop and Close; stopped is
	// closed then, to wake a waiting Next.
	state   atomic.Int32
	stopped chan struct{}
	// ownDeltas and ownBytes count the deltas of own (a snapshot is not
	// counted), for the publisher's bound.
	ownDeltas atomic.Int32
	ownBytes  atomic.Int64
	// onDrop runs once, outside the broker's lock, when the subscription
	// is dropped (see OnDrop). Guarded by b.mu.
	onDrop func()

	mu  sync.Mutex // guards own, and orders concurrent Next calls
	own []mailItem // what comes before the log: a snapshot, a merged delta
}

func deltaMessage(d *delta) Message {
	return Message{Type: protocol.TypeDelta, Seq: d.seq, From: d.from, Data: d.data, TS: d.ts}
}

// publish delivers d to every subscriber and retains it. Called with the
// store's write lock held, by the aggregator's Serve goroutine; the drop
// hooks of the subscribers it drops run before it returns, after the
// broker's lock is released.
func (b *broker) publish(d *delta, nowMs int64) {
	b.mu.Lock()
	b.recent = append(b.recent, d)
	b.bytes += d.size()
	b.trim(nowMs)
	var hooks []func()
	e := b.open
	for s := range b.subs {
		if !s.fits(e, len(d.data)) {
			s.drop()
			if s.onDrop != nil {
				hooks = append(hooks, s.onDrop)
			}
		}
	}
	e.it = mailItem{msg: deltaMessage(d), d: d}
	d.entry = e
	e.next = newLogEntry(e.n+1, e.before+int64(len(d.data)))
	b.open = e.next
	close(e.filled) // wakes every subscriber waiting at the end of the log
	b.mu.Unlock()
	for _, h := range hooks {
		h()
	}
}

// fits reports whether a delta of size bytes, about to fill the open
// entry, fits s's mailbox: fewer than MailboxSize deltas pending before
// it, and MailboxBytes with it. A lone delta is always taken, however big.
// Must hold b.mu.
func (s *Subscription) fits(open *logEntry, size int) bool {
	at := s.at.Load()
	if at == nil {
		return true // closing, or dropped already
	}
	o := &s.b.a.opts
	pending := int64(open.n-at.n) + int64(s.ownDeltas.Load())
	bytes := open.before - at.before + s.ownBytes.Load()
	return pending < int64(o.MailboxSize) && (pending == 0 || bytes+int64(size) <= int64(o.MailboxBytes))
}

// trim drops retained deltas past any of the three bounds.
func (b *broker) trim(nowMs int64) {
	o := &b.a.opts
	cut := 0
	bytes := b.bytes
	for cut < len(b.recent)-1 {
		d := b.recent[cut]
		if len(b.recent)-cut <= o.RetainDeltas && bytes <= o.RetainBytes && d.ts >= nowMs-o.RetainFor.Milliseconds() {
			break
		}
		bytes -= d.size()
		cut++
	}
	if cut > 0 {
		clear(b.recent[:cut])
		b.recent = b.recent[cut:]
		b.bytes = bytes
	}
}

// forgetRecent lets go of every retained delta: a resume from before the
// next publish gets a snapshot. The tick that drops a reload's removed
// sources calls it, with the store's write lock held: the deltas before
// it carry those series' points, as much as RetainBytes of them, which
// would otherwise outlive the series by RetainFor. The subscribers keep
// the log entries after their cursors until they read them.
func (b *broker) forgetRecent() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.recent)
	b.recent = nil
	b.bytes = 0
}

// mergeOwn merges every delta of own (after a leading snapshot, if any)
// into one, and reports whether there were two or more (or one not yet
// encoded). Only Subscribe calls it, before the subscription is shared,
// with the store's lock held so that the merge is encoded in the state of
// its last seq.
func (s *Subscription) mergeOwn(enc *encoder) bool {
	i := 0
	for i < len(s.own) && s.own[i].d == nil {
		i++
	}
	if len(s.own)-i < 2 && (len(s.own) == i || s.own[i].d.encoded) {
		return false
	}
	ds := make([]*delta, 0, len(s.own)-i)
	for _, it := range s.own[i:] {
		ds = append(ds, it.d)
	}
	m := mergeDeltas(ds)
	m.data, m.encoded = enc.encodeDelta(nil, m), true
	clear(s.own[i:])
	s.own = append(s.own[:i], mailItem{msg: deltaMessage(m), d: m})
	s.ownDeltas.Store(1)
	s.ownBytes.Store(int64(len(m.data)))
	s.b.a.stats.conflations.Add(1)
	return true
}

// drop ends s for falling behind. Must hold b.mu.
func (s *Subscription) drop() {
	delete(s.b.subs, s)
	s.b.a.stats.droppedSubs.Add(1)
	s.stop(subDropped)
}

// stop moves s from live to state, lets go of its cursor (and with it of
// the log behind it) and wakes its Next; false if it was not live. Must
// hold b.mu.
func (s *Subscription) stop(state int32) bool {
	if !s.state.CompareAndSwap(subLive, state) {
		return false
	}
	s.at.Store(nil)
	close(s.stopped)
	return true
}

// OnDrop sets f to run once when the broker drops the subscription for
// falling behind, at once if it already was. f runs on the publisher's
// goroutine (or the caller's), outside the broker's lock, while the
// aggregator holds its store lock: it must be quick, must not block and
// must not call back into the Aggregator. The dashboard uses it to cut a
// connection whose writer is stuck in a write, rather than wait for the
// write deadline.
func (s *Subscription) OnDrop(f func()) {
	s.b.mu.Lock()
	dropped := s.state.Load() == subDropped
	s.onDrop = f
	s.b.mu.Unlock()
	if dropped && f != nil {
		f()
	}
}

// Subscribe returns a new subscription. With after == 0 its first message
// is a snapshot with points. Otherwise it gets the deltas with seq > after
// if all of them are still retained (merged into one if they would not fit
// its mailbox), or else a snapshot. Deltas published later follow in order.
func (a *Aggregator) Subscribe(after uint64) *Subscription {
	s, _ := a.subscribe(after, false)
	return s
}

// Resume is Subscribe(after) for after > 0 when the retained deltas serve
// it within half a mailbox: ok false, and no subscription, when they do
// not (after is no longer retained, or what was missed is more than half
// a mailbox and would have to be merged for this subscriber alone).
// Deltas kept unencoded (published while nobody listened) are still
// merged for it, as they are at most half a mailbox; nobody can keep
// them unencoded while listening. The caller then starts the client
// from a snapshot it shares with others instead. Why: Subscribe's merge
// and snapshot are built per subscriber, under the store's read lock and
// the broker's lock that the publisher waits for; 150 connections each
// resuming from the oldest retained delta within their allowance merged
// and encoded 5.7 MB apiece and took 70 % of the core, and the readers'
// p99 went from 6 ms to 4.6 s (trial 14 round 9, F3). The dashboard's
// writers call it, on their own goroutines.
func (a *Aggregator) Resume(after uint64) (s *Subscription, ok bool) {
	return a.subscribe(after, true)
}

// Resumable says whether Resume(after) would subscribe now: after > 0 and
// the retained deltas serve it within half a mailbox. It takes the
// broker's lock briefly; the answer may change as deltas are published.
// The dashboard's handshake guard calls it, to let a reconnecting page
// that needs no snapshot in without waiting for the snapshot budget.
func (a *Aggregator) Resumable(after uint64) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b := &a.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case after == 0 || after > a.seq:
		return false
	case after == a.seq:
		return true
	case len(b.recent) == 0 || b.recent[0].seq > after+1:
		return false
	}
	n, bytes := 0, 0
	for _, d := range b.recent {
		if d.seq > after {
			n++
			bytes += len(d.data)
		}
	}
	return n <= a.opts.MailboxSize/2 && bytes <= a.opts.MailboxBytes/2
}

// subscribe is Subscribe, or with cheap Resume: false, and no subscription,
// where Subscribe would merge deltas or build a snapshot.
func (a *Aggregator) subscribe(after uint64, cheap bool) (*Subscription, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b := &a.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &Subscription{b: b, stopped: make(chan struct{})}
	at := b.open // from the next delta on, unless a resume starts earlier
	switch {
	case after > 0 && after == a.seq:
		// Up to date: nothing to send until the next delta.
	case after > 0 && after < a.seq && len(b.recent) > 0 && b.recent[0].seq <= after+1:
		var missed []*delta
		unencoded, bytes := false, 0
		for _, d := range b.recent {
			if d.seq > after {
				missed = append(missed, d)
				bytes += len(d.data)
				unencoded = unencoded || !d.encoded
			}
		}
		// Deltas published while nobody listened were kept unencoded
		// (publishLocked): merged, they are encoded in the store's state
		// now, which is the state of the last of them.
		long := len(missed) > a.opts.MailboxSize/2 || bytes > a.opts.MailboxBytes/2
		if unencoded || long {
			if cheap && long {
				return nil, false
			}
			for _, d := range missed {
				s.own = append(s.own, mailItem{msg: deltaMessage(d), d: d})
			}
			s.mergeOwn(a.encoder(a.nowMs()))
		} else {
			// Retained deltas are in the log: read from there.
			at = missed[0].entry
		}
	default:
		if cheap {
			return nil, false
		}
		s.own = append(s.own, mailItem{msg: Message{Type: protocol.TypeSnapshot, Seq: a.seq, From: a.seq, Data: a.snapshotLocked(true)}})
	}
	s.at.Store(at)
	b.subs[s] = struct{}{}
	return s, true
}

// Next returns the next message, blocking until there is one. It returns
// ErrDropped once the subscriber was dropped for falling behind, ErrClosed
// after Close, or ctx's error when ctx ends first. A message ready when it
// is called is returned whatever ctx.
func (s *Subscription) Next(ctx context.Context) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		switch s.state.Load() {
		case subClosed:
			return Message{}, ErrClosed
		case subDropped:
			return Message{}, ErrDropped
		}
		if len(s.own) > 0 {
			it := s.own[0]
			if it.d != nil {
				s.ownDeltas.Add(-1)
				s.ownBytes.Add(-int64(len(it.msg.Data)))
			}
			s.own[0] = mailItem{}
			s.own = s.own[1:]
			if len(s.own) == 0 {
				s.own = nil // let the backing array go
			}
			return it.msg, nil
		}
		at := s.at.Load()
		if at == nil {
			continue // stopped meanwhile: the state says how
		}
		if at.isFilled() {
			// A drop or Close meanwhile keeps its nil: the log behind it
			// is let go, and the state check above returns.
			s.at.CompareAndSwap(at, at.next)
			return at.it.msg, nil
		}
		select {
		case <-at.filled:
		case <-s.stopped:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Close ends the subscription and frees its mailbox. Safe to call twice.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	if s.stop(subClosed) {
		delete(s.b.subs, s)
	} else {
		s.state.Store(subClosed) // a dropped one says closed from now on
	}
	s.b.mu.Unlock()
	s.mu.Lock()
	clear(s.own)
	s.own = nil
	s.ownDeltas.Store(0)
	s.ownBytes.Store(0)
	s.mu.Unlock()
}

// live reports whether any subscription is live. Called by the publisher
// with the store's write lock held.
func (b *broker) live() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) > 0
}

// Subscribers returns how many subscriptions are live.
func (a *Aggregator) Subscribers() int {
	a.broker.mu.Lock()
	defer a.broker.mu.Unlock()
	return len(a.broker.subs)
}
