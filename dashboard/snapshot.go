package dashboard

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// snapshotMaxAge is how long one encoded snapshot serves every client that
// starts fresh. Well within the broker's delta retention (30s by default),
// so a client handed a snapshot this old still gets every delta after it.
const snapshotMaxAge = time.Second

// snapshotCache shares one snapshot among the clients that connect (or
// resync) at about the same time.
//
// Why: a snapshot carries every series' history and costs far more to
// build than a delta. When thousands of dashboards connect at once (a
// restart, a load test) building one each would hold up the feed for
// seconds. A client instead gets the cached snapshot at seq S and then
// subscribes after S: the broker sends the deltas since S, or a newer
// snapshot if it no longer holds them, so the client's view is exact
// either way.
//
// A snapshot older than snapshotMaxAge is never served again, so it is let
// go once it is that old (expire), with what was made of it for sending
// (expired): kept until the next client came, it was the largest part of
// what one connected dashboard cost a small server (for 81 series, the
// snapshot, its columns form and their prepared frames, about 2 MB of
// heap, against the 30 MB of RSS issue 13 allows the whole process).
type snapshotCache struct {
	mu sync.Mutex // held while building: concurrent clients wait for one build
	// size is the length of the last snapshot built, kept after it is
	// let go: the price of a resync before it is built (client.subscribe).
	size atomic.Int64
	data []byte
	seq  uint64
	at   time.Time
	// expired, if set, is called with each snapshot let go for its age
	// or replaced by a newer one, outside mu: the hub drops what it made
	// of it (columns, frames).
	expired func(data []byte)
	// timer lets data go once it is too old to serve (expire).
	timer *time.Timer
}

// get returns a snapshot and its seq, building one when the cached one is
// older than snapshotMaxAge. False when the feed has published nothing yet
// (seq 0 would subscribe for another snapshot) or the snapshot's seq cannot
// be read: the caller then subscribes from 0 and gets the broker's own.
func (sc *snapshotCache) get(build func() []byte, now time.Time) ([]byte, uint64, bool) {
	var old []byte // a snapshot too old to serve, replaced: told to expired once mu is let go
	defer func() {
		if old != nil && sc.expired != nil {
			sc.expired(old)
		}
	}()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.data != nil && now.Sub(sc.at) < snapshotMaxAge {
		return sc.data, sc.seq, true
	}
	old, sc.data = sc.data, nil
	if sc.timer != nil {
		sc.timer.Stop()
	}
	data := build()
	seq, ok := snapshotSeq(data)
	if !ok || seq == 0 {
		return nil, 0, false
	}
	sc.data, sc.seq, sc.at = data, seq, now
	sc.size.Store(int64(len(data)))
	sc.timer = time.AfterFunc(snapshotMaxAge, func() { sc.expire(data) })
	return data, seq, true
}

// expire lets go of data if it is still the cached snapshot (a newer build
// or a release may have replaced it), then tells expired. Runs on the
// timer's goroutine.
func (sc *snapshotCache) expire(data []byte) {
	sc.mu.Lock()
	held := sc.data != nil && unsafe.SliceData(sc.data) == unsafe.SliceData(data)
	if held {
		sc.data, sc.seq, sc.at = nil, 0, time.Time{}
	}
	sc.mu.Unlock()
	if held && sc.expired != nil {
		sc.expired(data)
	}
}

// snapshotSeq reads N from a message starting {"type":"snapshot","seq":N,
// (the feed writes these fields first).
func snapshotSeq(data []byte) (uint64, bool) {
	const prefix = `{"type":"snapshot","seq":`
	if !bytes.HasPrefix(data, []byte(prefix)) {
		return 0, false
	}
	rest := data[len(prefix):]
	end := bytes.IndexAny(rest, ",}")
	if end <= 0 {
		return 0, false
	}
	seq, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	return seq, err == nil
}

// release lets go of the cached snapshot; the next get builds one.
func (sc *snapshotCache) release() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.timer != nil {
		sc.timer.Stop()
	}
	sc.data, sc.seq, sc.at = nil, 0, time.Time{}
}

// drop lets go of the cached snapshot if it is still the one at seq: a
// client found it too far behind the broker's log to catch up from
// (client.subscribe), and the next get builds a newer one, once, for
// every client waiting.
func (sc *snapshotCache) drop(seq uint64) {
	sc.mu.Lock()
	data := sc.data
	current := data != nil && sc.seq == seq
	sc.mu.Unlock()
	if current {
		sc.expire(data) // a no-op if it was replaced meanwhile; so is its timer's, later
	}
}

// lastSize is the length of the last snapshot built, 0 before any.
func (sc *snapshotCache) lastSize() int { return int(sc.size.Load()) }
