package dashboard

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
)

// metricsMaxAge is the longest one /metrics exposition is shared with the
// scrapes that come while another scrape still holds it (inFlightOnly):
// hundreds of scrapers that never read cost one build a second, and no
// scrape is handed an exposition more than a second old.
const metricsMaxAge = time.Second

// errAnswersFull: the answers held already fill Options.MaxAnswerBytes.
var errAnswersFull = errors.New("answers held fill max_answer_bytes")

// sharedAnswer is one encoded answer that the requests of a short age
// share, plain and (built on first demand) gzipped. Its buffers are never
// written after it is published, so any number of responses may read
// them. Its bytes are counted in Server.answerBytes, once, while its cache
// or any response holds it (refs).
type sharedAnswer struct {
	s      *Server
	plain  []byte
	gzOnce sync.Once
	gz     []byte
	refs   atomic.Int64
	held   atomic.Int64 // bytes counted for it
	// idle, when set (an inFlightOnly cache's answer), is called when a
	// requester's release leaves the cache the only holder.
	idle func(*sharedAnswer)
}

func (a *sharedAnswer) acquire() { a.refs.Add(1) }

// release drops a requester's hold (a response written or given up, or a
// caller of get done with it); the last holder uncounts its bytes (the
// garbage collector takes the buffers). Called on the response's
// goroutine, never under the cache's lock.
func (a *sharedAnswer) release() {
	n := a.refs.Add(-1)
	switch {
	case n == 0:
		a.s.adjustAnswerBytes(-a.held.Swap(0))
	case n == 1 && a.idle != nil:
		a.idle(a)
	}
}

// releaseCached drops the cache's hold, under the cache's lock: unlike
// release it never calls idle, which takes that lock.
func (a *sharedAnswer) releaseCached() {
	if a.refs.Add(-1) == 0 {
		a.s.adjustAnswerBytes(-a.held.Swap(0))
	}
}

// gzipped is the answer gzipped (BestSpeed), built once by the first
// caller that asks and counted from then on. The caller holds a ref.
func (a *sharedAnswer) gzipped() []byte {
	a.gzOnce.Do(func() {
		var z bytes.Buffer
		z.Grow(len(a.plain)/6 + 512)
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed) // a valid level
		_, _ = zw.Write(a.plain)                         // into memory: cannot fail
		_ = zw.Close()
		a.gz = z.Bytes()
		n := int64(cap(a.gz))
		a.held.Add(n)
		a.s.adjustAnswerBytes(n)
	})
	return a.gz
}

// send sends the answer as a 200 (gzipped when gz), holding a ref until
// fasthttp has written it or given up. Consumes the caller's ref.
func (a *sharedAnswer) send(c *fiber.Ctx, gz bool) error {
	body := a.plain
	if gz {
		body = a.gzipped()
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	c.Status(fiber.StatusOK)
	c.Response().SetBodyStream(&heldAnswer{Reader: bytes.NewReader(body), release: a.release}, len(body))
	return nil
}

// answerCache shares one answer among the requests that come within
// maxAge of its build, as snapshotCache does for the WebSocket snapshot.
// With inFlightOnly (/metrics) an answer is shared only with the requests
// that come while a response still holds it (hundreds of scrapers that
// never read): a scrape that comes after the last one was written builds
// afresh, and so sees what happened since (a reload, a crash), as a
// Prometheus user expects of a scrape; a keep-alive loop pays for its
// builds through the request budgets. It lets go of its answer (and its
// count) as soon as the last response holding it is done: an answer no one
// may share is not kept.
type answerCache struct {
	mu     sync.Mutex // held while building: concurrent requests wait for one build
	maxAge time.Duration
	cur    *sharedAnswer
	at     time.Time
	// inFlightOnly: share only while a response holds the answer.
	inFlightOnly bool
	size         int // the last build's length, to allocate about once
}

// get returns the cached answer with a ref for the caller, or builds one
// when the cached one is maxAge old or more, or (inFlightOnly) held by no
// response. Before building it reserves
// the last build's size (and a little) against the bound, so that a
// request refused (errAnswersFull) has allocated nothing large; the
// reservation is settled to the built buffer's capacity. build appends
// the answer to dst (which it may outgrow) and must not keep it. An error
// of build is returned as it is. Safe from any goroutine.
func (ac *answerCache) get(s *Server, now time.Time, build func(dst []byte) ([]byte, error)) (*sharedAnswer, error) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if a := ac.cur; a != nil && now.Sub(ac.at) < ac.maxAge && !now.Before(ac.at) &&
		(!ac.inFlightOnly || a.refs.Load() > 1) { // refs > 1: a response holds it besides the cache
		a.acquire()
		return a, nil
	}
	ac.dropLocked()
	estimate := int64(ac.size) + 4096
	if !s.holdAnswerBytes(estimate) {
		return nil, errAnswersFull
	}
	body, err := build(make([]byte, 0, estimate))
	if err != nil {
		s.adjustAnswerBytes(-estimate)
		return nil, err
	}
	a := &sharedAnswer{s: s, plain: body}
	if ac.inFlightOnly {
		a.idle = ac.dropIdle
	}
	a.held.Store(int64(cap(body)))
	s.adjustAnswerBytes(int64(cap(body)) - estimate)
	a.refs.Store(2) // the cache's and the caller's
	ac.cur, ac.at, ac.size = a, now, len(body)
	return a, nil
}

// drop lets go of the cached answer (responses still holding it keep it
// until written); the next get builds one.
func (ac *answerCache) drop() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	ac.dropLocked()
}

func (ac *answerCache) dropLocked() {
	if ac.cur != nil {
		ac.cur.releaseCached()
		ac.cur = nil
	}
}

// dropIdle drops a, when it is still the cached answer, once no response
// holds it. TryLock: a get in progress decides for itself (it shares a
// held answer or drops an unheld one), and a response's goroutine must not
// wait behind a build.
func (ac *answerCache) dropIdle(a *sharedAnswer) {
	if !ac.mu.TryLock() {
		return
	}
	defer ac.mu.Unlock()
	if ac.cur == a && a.refs.Load() == 1 {
		ac.dropLocked()
	}
}
