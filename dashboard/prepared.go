package dashboard

import (
	"sync"
	"sync/atomic"
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
	next   int
}

type preparedEntry struct {
	data []byte
	pm   *websocket.PreparedMessage
}

// get returns the prepared text frame of data. Safe from any goroutine;
// the compression itself runs outside the lock, once, in the first writer
// that needs it (PreparedMessage serialises that).
func (pc *preparedCache) get(data []byte) (*websocket.PreparedMessage, error) {
	if e := pc.latest.Load(); e != nil && e.holds(data) {
		return e.pm, nil
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, e := range pc.slots {
		if e != nil && e.holds(data) {
			return e.pm, nil
		}
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return nil, err
	}
	e := &preparedEntry{data: data, pm: pm}
	pc.slots[pc.next] = e
	pc.next = (pc.next + 1) % preparedSlots
	pc.latest.Store(e)
	return pm, nil
}

// holds reports whether e is the message data: the same bytes, not equal ones.
func (e *preparedEntry) holds(data []byte) bool {
	return unsafe.SliceData(e.data) == unsafe.SliceData(data) && len(e.data) == len(data)
}
