package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// hostileTarget serves what a careless or hostile exporter would, on
// loopback, for the soak's prometheus sources:
//
//	/ok     a small, ordinary scrape (a healthy source)
//	/huge   200 series whose label values are 10,000 bytes long (issue 14)
//	/bomb   a gzip body that inflates to 64 MiB of zeros, 64 KiB on the wire
//	/slow   a body dripped one line every 200 ms, for ever
type hostileTarget struct {
	srv  *http.Server
	addr string
	huge []byte
	bomb []byte
	// left, set by -off hostile, leaves the sources that poll the hostile
	// routes (huge, bomb, slow) out of every config (see configText).
	left bool
}

func startTarget() (*hostileTarget, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &hostileTarget{addr: ln.Addr().String(), huge: hugeBody(), bomb: gzipBomb(64 << 20)}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for i := range 20 {
			fmt.Fprintf(w, "ok_value{i=\"%d\"} %d\n", i, time.Now().UnixMilli()%1000+int64(i))
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write(t.huge)
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(t.bomb)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "slow{i=\"%d\"} 1\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	t.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

func (t *hostileTarget) url(path string) string { return "http://" + t.addr + path }

func (t *hostileTarget) close() { _ = t.srv.Close() }

// hugeBody is issue 14's fault 4: 200 series, label values of 10,000
// characters, 2 MB a scrape.
func hugeBody() []byte {
	var b bytes.Buffer
	b.WriteString("# TYPE huge gauge\n")
	for i := range 200 {
		fmt.Fprintf(&b, "huge{path=\"%04d%s\"} %d\n", i, strings.Repeat("x", 10_000-4), i)
	}
	return b.Bytes()
}

// gzipBomb compresses n zero bytes.
func gzipBomb(n int) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		_, _ = zw.Write(zero)
	}
	_ = zw.Close()
	return b.Bytes()
}
