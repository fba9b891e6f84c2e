package aggregator

import (
	"context"
	"errors"
	"sync"

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
// How it works: every published delta is encoded once, and every
// subscriber's mailbox holds references to those same immutable deltas, so
// publishing costs a pointer append per subscriber whatever the size of the
// delta or the number of slow subscribers. A subscriber whose mailbox would
// pass its bound (MailboxSize deltas or MailboxBytes of them) is dropped on
// the spot: its references go, its drop hook runs, and its Next returns
// ErrDropped; the reader resyncs with a fresh snapshot (or a resume, which
// merges the retained deltas on the reader's own goroutine). Nothing is
// merged or encoded per subscriber on the publisher's path: a thousand
// stalled subscribers cost a thousand slice appends, then a thousand drops.
//
// Lock order: the Aggregator's store lock, then broker.mu.
type broker struct {
	a      *Aggregator
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	recent []*delta // oldest first, consecutive seqs
	bytes  int
}

func (b *broker) init(a *Aggregator) {
	b.a = a
	b.subs = make(map[*Subscription]struct{})
}

type mailItem struct {
	msg Message
	d   *delta // nil for a snapshot
}

// Subscription is one subscriber's mailbox. Its methods are safe for
// concurrent use, though one reader is the normal case.
type Subscription struct {
	b       *broker
	box     []mailItem
	notify  chan struct{}
	dropped bool
	closed  bool
	bytes   int // encoded size of the pending deltas
	// onDrop runs once, outside the broker's lock, when the subscription
	// is dropped (see OnDrop).
	onDrop func()
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
	it := mailItem{msg: deltaMessage(d), d: d}
	for s := range b.subs {
		if !s.deliver(it) && s.onDrop != nil {
			hooks = append(hooks, s.onDrop)
		}
	}
	b.mu.Unlock()
	for _, h := range hooks {
		h()
	}
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
// would otherwise outlive the series by RetainFor. The subscribers'
// mailboxes keep theirs until they read them.
func (b *broker) forgetRecent() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.recent)
	b.recent = nil
	b.bytes = 0
}

// deliver puts it in the mailbox, or drops the subscriber when that would
// pass the mailbox's bound; false when dropped. A lone delta is always
// taken, however big. Must hold b.mu.
func (s *Subscription) deliver(it mailItem) bool {
	o := &s.b.a.opts
	pending := len(s.box)
	if pending > 0 && s.box[0].d == nil {
		pending-- // the snapshot a subscription starts with does not count
	}
	if pending >= o.MailboxSize || pending > 0 && s.bytes+len(it.msg.Data) > o.MailboxBytes {
		s.drop()
		return false
	}
	s.box = append(s.box, it)
	s.bytes += len(it.msg.Data)
	s.wake()
	return true
}

// mergeBox merges every delta in the mailbox (after a leading snapshot, if
// any) into one, and reports whether there were two or more. Only
// Subscribe calls it, on the subscriber's goroutine, with the store's lock
// held so that the merge is encoded in the state of its last seq. Must
// hold b.mu.
func (s *Subscription) mergeBox(enc *encoder) bool {
	i := 0
	for i < len(s.box) && s.box[i].d == nil {
		i++
	}
	if len(s.box)-i < 2 && (len(s.box) == i || s.box[i].d.encoded) {
		return false
	}
	ds := make([]*delta, 0, len(s.box)-i)
	for _, it := range s.box[i:] {
		ds = append(ds, it.d)
	}
	m := mergeDeltas(ds)
	m.data, m.encoded = enc.encodeDelta(nil, m), true
	clear(s.box[i:])
	s.box = append(s.box[:i], mailItem{msg: deltaMessage(m), d: m})
	s.bytes = len(m.data)
	s.b.a.stats.conflations.Add(1)
	return true
}

func (s *Subscription) drop() {
	s.dropped = true
	clear(s.box)
	s.box = nil
	s.bytes = 0
	delete(s.b.subs, s)
	s.b.a.stats.droppedSubs.Add(1)
	s.wake()
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
	dropped := s.dropped
	s.onDrop = f
	s.b.mu.Unlock()
	if dropped && f != nil {
		f()
	}
}

func (s *Subscription) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Subscribe returns a new subscription. With after == 0 its first message
// is a snapshot with points. Otherwise it gets the deltas with seq > after
// if all of them are still retained (merged into one if they would not fit
// its mailbox), or else a snapshot. Deltas published later follow in order.
func (a *Aggregator) Subscribe(after uint64) *Subscription {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b := &a.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &Subscription{b: b, notify: make(chan struct{}, 1)}
	switch {
	case after > 0 && after == a.seq:
		// Up to date: nothing to send until the next delta.
	case after > 0 && after < a.seq && len(b.recent) > 0 && b.recent[0].seq <= after+1:
		unencoded := false
		for _, d := range b.recent {
			if d.seq > after {
				s.box = append(s.box, mailItem{msg: deltaMessage(d), d: d})
				s.bytes += len(d.data)
				unencoded = unencoded || !d.encoded
			}
		}
		// Deltas published while nobody listened were kept unencoded
		// (publishLocked): merged, they are encoded in the store's state
		// now, which is the state of the last of them.
		if unencoded || len(s.box) > a.opts.MailboxSize/2 || s.bytes > a.opts.MailboxBytes/2 {
			s.mergeBox(a.encoder(a.nowMs()))
		}
	default:
		s.box = append(s.box, mailItem{msg: Message{Type: protocol.TypeSnapshot, Seq: a.seq, From: a.seq, Data: a.snapshotLocked(true)}})
	}
	if len(s.box) > 0 {
		s.wake()
	}
	b.subs[s] = struct{}{}
	return s
}

// Next returns the next message, blocking until there is one. It returns
// ErrDropped once the subscriber was dropped for falling behind, ErrClosed
// after Close, or ctx's error when ctx ends first.
func (s *Subscription) Next(ctx context.Context) (Message, error) {
	for {
		s.b.mu.Lock()
		switch {
		case s.closed:
			s.b.mu.Unlock()
			return Message{}, ErrClosed
		case s.dropped:
			s.b.mu.Unlock()
			return Message{}, ErrDropped
		case len(s.box) > 0:
			it := s.box[0]
			if it.d != nil {
				s.bytes -= len(it.msg.Data)
			}
			s.box[0] = mailItem{}
			s.box = s.box[1:]
			if len(s.box) == 0 {
				s.box = nil // let the backing array go
			}
			s.b.mu.Unlock()
			return it.msg, nil
		}
		s.b.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// Close ends the subscription and frees its mailbox. Safe to call twice.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	clear(s.box)
	s.box = nil
	s.bytes = 0
	delete(s.b.subs, s)
	s.wake()
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
