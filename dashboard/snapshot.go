package dashboard

import (
	"bytes"
	"strconv"
	"sync"
	"time"
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
type snapshotCache struct {
	mu   sync.Mutex // held while building: concurrent clients wait for one build
	data []byte
	seq  uint64
	at   time.Time
}

// get returns a snapshot and its seq, building one when the cached one is
// older than snapshotMaxAge. False when the feed has published nothing yet
// (seq 0 would subscribe for another snapshot) or the snapshot's seq cannot
// be read: the caller then subscribes from 0 and gets the broker's own.
func (sc *snapshotCache) get(build func() []byte, now time.Time) ([]byte, uint64, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.data != nil && now.Sub(sc.at) < snapshotMaxAge {
		return sc.data, sc.seq, true
	}
	sc.data = nil
	data := build()
	seq, ok := snapshotSeq(data)
	if !ok || seq == 0 {
		return nil, 0, false
	}
	sc.data, sc.seq, sc.at = data, seq, now
	return data, seq, true
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
	sc.data, sc.seq, sc.at = nil, 0, time.Time{}
}
