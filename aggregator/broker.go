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
}

// broker fans published deltas out to subscribers and keeps the recent
// ones for resuming. Publishing never blocks: each subscriber has a bounded
// mailbox. When a mailbox is full its deltas are merged into one (its
// "from" tells the client a merge from a loss); a subscriber whose mailbox
// fills again before it took anything since that merge is dropped and
// must resync.
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
	b         *broker
	box       []mailItem
	notify    chan struct{}
	dropped   bool
	closed    bool
	conflated bool // merged since the reader last took a message
	bytes     int  // encoded size of the pending deltas
}

func deltaMessage(d *delta) Message {
	return Message{Type: protocol.TypeDelta, Seq: d.seq, From: d.from, Data: d.data}
}

// publish delivers d to every subscriber and retains it. Called with the
// store's write lock held, so the store is in d's state: merges encoded
// here read the right windows.
func (b *broker) publish(d *delta, nowMs int64, enc *encoder) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recent = append(b.recent, d)
	b.bytes += d.size()
	b.trim(nowMs)
	for s := range b.subs {
		s.deliver(mailItem{msg: deltaMessage(d), d: d}, enc)
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

// deliver puts it in the mailbox, merging or dropping when full. Must hold b.mu.
func (s *Subscription) deliver(it mailItem, enc *encoder) {
	o := &s.b.a.opts
	full := len(s.box) >= o.MailboxSize || len(s.box) > 0 && s.bytes+len(it.msg.Data) > o.MailboxBytes
	switch {
	case !full:
		s.box = append(s.box, it)
		s.bytes += len(it.msg.Data)
	case s.conflated:
		s.drop()
		return
	default:
		s.box = append(s.box, it)
		s.bytes += len(it.msg.Data)
		if s.mergeBox(enc) {
			s.conflated = true
			s.b.a.stats.conflations.Add(1)
		}
	}
	s.wake()
}

// mergeBox merges every delta in the mailbox (after a leading snapshot, if
// any) into one, and reports whether there were two or more. Must hold b.mu.
func (s *Subscription) mergeBox(enc *encoder) bool {
	i := 0
	for i < len(s.box) && s.box[i].d == nil {
		i++
	}
	if len(s.box)-i < 2 {
		return false
	}
	ds := make([]*delta, 0, len(s.box)-i)
	for _, it := range s.box[i:] {
		ds = append(ds, it.d)
	}
	m := mergeDeltas(ds)
	m.data = enc.encodeDelta(nil, m)
	clear(s.box[i:])
	s.box = append(s.box[:i], mailItem{msg: deltaMessage(m), d: m})
	s.bytes = len(m.data)
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
		for _, d := range b.recent {
			if d.seq > after {
				s.box = append(s.box, mailItem{msg: deltaMessage(d), d: d})
				s.bytes += len(d.data)
			}
		}
		if len(s.box) > a.opts.MailboxSize/2 || s.bytes > a.opts.MailboxBytes/2 {
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
			s.conflated = false
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

// Subscribers returns how many subscriptions are live.
func (a *Aggregator) Subscribers() int {
	a.broker.mu.Lock()
	defer a.broker.mu.Unlock()
	return len(a.broker.subs)
}
