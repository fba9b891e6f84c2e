package dashboard

import (
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// errReadBudget is the read error of a connection that sent more than its
// read budget. A WebSocket reader closes with 1008 on it; fasthttp drops an
// HTTP connection.
var errReadBudget = errors.New("connection read budget exceeded")

// budgetListener gives each accepted connection a read budget: a token
// bucket of bytes, ReadBurst deep, refilled at ReadRate a second.
//
// Why bytes: the cost of reading a WebSocket is per frame, and frames the
// library handles on its own (empty continuation fragments, pings, pongs)
// never reach our code to be counted; every frame costs at least 6 bytes
// from a client (header and mask), so a byte budget bounds them all. The
// default (64 KiB a second, 256 KiB at once) is far above what a page, a
// scraper or a client's resume messages send, and far below what a flood
// of tiny frames needs to cost a core.
//
// It also bounds each connection's kernel send buffer to sendBuffer bytes
// (when positive). Left to autotuning, Linux grows it to 4 MiB for a
// client that does not read: the server's writes then succeed for many
// seconds while the kernel holds megabytes per stalled client, and the
// broker's mailbox bound cannot see the client fall behind. 128 KiB still
// carries a few MB/s over a 100 ms round trip.
type budgetListener struct {
	net.Listener
	rate       rate.Limit
	burst      int
	sendBuffer int
	exceeded   func() // counts a connection over budget; once per connection
	// reqRate and reqBurst make each connection's request budget
	// (limitRequests); reqRate 0 gives none.
	reqRate  float64
	reqBurst int
}

func (l *budgetListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc := tcpConn(c); tc != nil && l.sendBuffer > 0 {
		_ = tc.SetWriteBuffer(l.sendBuffer) // best effort: the default is only slower to notice
	}
	bc := &budgetConn{Conn: c, lim: rate.NewLimiter(l.rate, l.burst), exceeded: l.exceeded}
	if l.reqRate > 0 {
		bc.requests = newRequestBudget(l.reqRate, l.reqBurst)
	}
	return bc, nil
}

type budgetConn struct {
	net.Conn
	lim      *rate.Limiter
	requests *rate.Limiter // HTTP requests' cost budget (limitRequests); only fasthttp's goroutine for the connection uses it
	exceeded func()
	over     atomic.Bool
	wd       atomic.Int64 // the write deadline in force, Unix ns; 0 for none set here
	written  atomic.Int64 // bytes handed to the kernel (stallWatch)
	// closes checks the peer's close frames once the connection is a
	// WebSocket (serveConn sets it, on the goroutine that then reads).
	closes *closeWatch
	// raw is the socket's RawConn for unacked, made at its first call
	// (the WebSocket writer's goroutine, its only caller).
	raw syscall.RawConn
	// batch holds the WebSocket writer's frames while it writes several
	// messages at once (batch.go).
	batch connBatch
}

// Write counts what the kernel took, for stallWatch.
func (c *budgetConn) Write(p []byte) (int, error) {
	if c.held(p) {
		return len(p), nil
	}
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// SetWriteDeadline skips a deadline equal to the one in force: the
// WebSocket writer keeps one deadline for many writes (see client.write),
// and the library sets it again before every frame, which would otherwise
// re-arm a runtime timer per message.
func (c *budgetConn) SetWriteDeadline(t time.Time) error {
	ns := t.UnixNano()
	if !t.IsZero() && c.wd.Load() == ns {
		return nil
	}
	c.wd.Store(ns)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline forgets the write deadline in force: the next one is set.
func (c *budgetConn) SetDeadline(t time.Time) error {
	c.wd.Store(0)
	return c.Conn.SetDeadline(t)
}

// Read charges what it read to the budget; once it is overdrawn the bytes
// already read are returned with errReadBudget, and every later Read fails.
// On a WebSocket, a close frame that closeWatch refuses is held back and
// the read fails with its *badCloseFrame, as every later one does.
func (c *budgetConn) Read(p []byte) (int, error) {
	if c.over.Load() {
		return 0, errReadBudget
	}
	n, err := c.Conn.Read(p)
	if n > 0 && !c.lim.AllowN(time.Now(), n) {
		c.over.Store(true)
		c.exceeded()
		return n, errReadBudget
	}
	if c.closes != nil {
		if k, bad := c.closes.feed(p[:n]); bad != nil {
			return k, bad
		}
	}
	return n, err
}
