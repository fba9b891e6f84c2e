package dashboard

import (
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fasthttp/websocket"
)

// preparedLevel is the deflate level of the shared frames. A frame is
// compressed once for every client, so a level that costs more CPU than
// the per-connection default (1) pays for itself in bytes on every wire.
const preparedLevel = 6

// preparedSlots is how many recent messages keep their prepared frames:
// enough for a client a few deltas behind (and a snapshot) to find them.
const preparedSlots = 16

// preparedMaxAge bounds how long an entry older than the newest is kept:
// a client more than that behind the feed is about to be dropped by its
// mailbox bound anyway (16 deltas at the 100 ms broadcast interval is
// 1.6 s). At 10 deltas a second this keeps what the slots keep; at the
// one delta a second of a small setup it keeps 2 or 3 of 16, which were
// about a megabyte of frames (each a copy of its message, grown by
// doubling) for one connected dashboard of 81 series (issue 13's RSS).
const preparedMaxAge = 2 * time.Second

// preparedBytes bounds the messages the slots keep, by their length: past
// it the oldest entries go, though the newest is always kept. Each entry
// also holds its frames (the plain one, a copy of the message, and the
// compressed one once a client asks for it), so the cache holds up to
// about three times this, or three times its largest message. Without the
// bound, 16 slots could keep 16 snapshots of a wide target (each client
// that resyncs gets one of its own), hundreds of megabytes while clients
// read slowly, and for as long as no new message turned the slots over.
const preparedBytes = 16 << 20

// preparedCache turns the broker's shared message bytes into one
// websocket.PreparedMessage each, shared by every client: the frame header
// and, for clients that negotiated permessage-deflate, the compressed
// payload are built once per message instead of once per client.
//
// Entries are found by the identity of the message's bytes (the broker and
// the snapshot cache hand every client the same slice). An entry keeps its
// slice, so its address cannot be reused by another message while the
// entry lives. A client that asks for an evicted message prepares it again:
// only clients far behind pay that, and they are bounded by their mailbox.
type preparedCache struct {
	// latest is the entry made last: the one every client asks for right
	// after a publish, found without the lock.
	latest atomic.Pointer[preparedEntry]
	mu     sync.Mutex
	slots  [preparedSlots]*preparedEntry
	next   int // the slot the next entry takes: the oldest, when all are full
	bytes  int // the kept entries' message lengths, at most preparedBytes or the newest's
	// budget is preparedBytes (0); tests set it lower.
	budget int
	// prepare makes a frame (nil: websocket.NewPreparedMessage); tests
	// replace it to see what runs under the lock.
	prepare func(messageType int, data []byte) (*websocket.PreparedMessage, error)
	// now is the clock entries are aged by (nil: time.Now); tests set it.
	now func() time.Time
}

type preparedEntry struct {
	data []byte
	pm   *websocket.PreparedMessage
	made time.Time
}

// get returns the prepared text frame of data. Safe from any goroutine.
// The frame is made outside the lock: NewPreparedMessage copies the
// message into its plain frame (800 KB for a soak's snapshot), and made
// under the lock it held up every writer of every client behind it,
// 37 ms once in the soak while a collection slowed it down. Two writers
// that miss the same message at once may both make it; the first kept is
// the one every later writer gets. The compression runs outside the lock
// too, once, in the first writer that needs it (PreparedMessage
// serialises that).
func (pc *preparedCache) get(data []byte) (*websocket.PreparedMessage, error) {
	if e := pc.latest.Load(); e != nil && e.holds(data) {
		return e.pm, nil
	}
	if pm := pc.find(data); pm != nil {
		return pm, nil
	}
	prepare := pc.prepare
	if prepare == nil {
		prepare = websocket.NewPreparedMessage
	}
	pm, err := prepare(websocket.TextMessage, data)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if kept := pc.findLocked(data); kept != nil {
		return kept, nil
	}
	now := time.Now
	if pc.now != nil {
		now = pc.now
	}
	e := &preparedEntry{data: data, pm: pm, made: now()}
	if old := pc.slots[pc.next]; old != nil {
		pc.bytes -= len(old.data)
	}
	pc.slots[pc.next] = e
	pc.bytes += len(data)
	pc.next = (pc.next + 1) % preparedSlots
	pc.latest.Store(e)
	pc.trimLocked()
	return pm, nil
}

// trimLocked lets the oldest entries go until the kept ones fit the
// budget and none is more than preparedMaxAge older than the newest, the
// newest excepted. Must hold pc.mu.
func (pc *preparedCache) trimLocked() {
	budget := pc.budget
	if budget <= 0 {
		budget = preparedBytes
	}
	newest := (pc.next + preparedSlots - 1) % preparedSlots
	cutoff := pc.slots[newest].made.Add(-preparedMaxAge)
	for i := pc.next; i != newest; i = (i + 1) % preparedSlots {
		e := pc.slots[i]
		if e == nil {
			continue
		}
		if pc.bytes <= budget && !e.made.Before(cutoff) {
			break // oldest first: the rest are newer
		}
		pc.bytes -= len(e.data)
		pc.slots[i] = nil
	}
}

func (pc *preparedCache) find(data []byte) *websocket.PreparedMessage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.findLocked(data)
}

func (pc *preparedCache) findLocked(data []byte) *websocket.PreparedMessage {
	for _, e := range pc.slots {
		if e != nil && e.holds(data) {
			return e.pm
		}
	}
	return nil
}

// holds reports whether e is the message data: the same bytes, not equal ones.
func (e *preparedEntry) holds(data []byte) bool {
	return unsafe.SliceData(e.data) == unsafe.SliceData(data) && len(e.data) == len(data)
}

// forget lets go of data's prepared frame, if kept: a message that will
// not be asked for again (an expired snapshot). A writer that holds the
// frame finishes with it.
func (pc *preparedCache) forget(data []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for i, e := range pc.slots {
		if e != nil && e.holds(data) {
			pc.bytes -= len(e.data)
			pc.slots[i] = nil
		}
	}
	if e := pc.latest.Load(); e != nil && e.holds(data) {
		pc.latest.Store(nil)
	}
}

// release lets go of every prepared frame and the message it was made of.
// A writer that holds one finishes with it; a later get prepares afresh.
func (pc *preparedCache) release() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.slots = [preparedSlots]*preparedEntry{}
	pc.next, pc.bytes = 0, 0
	pc.latest.Store(nil)
}
