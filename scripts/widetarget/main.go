// Command widetarget serves one wide Prometheus exposition on loopback,
// the shape of the attack trial's "atlimit" target (issue 14): -series
// series of one family, each with -labels labels whose values are about
// -value-bytes long, inside every per-series limit of a prometheus source.
// scripts/wide-bench.sh runs it beside pulseboard:
//
//	widetarget -listen 127.0.0.1:18092 -series 9000 -labels 29
//
// GET /metrics answers the exposition. The body is built once: serving it
// costs the measured machine a copy, not a formatting pass. With -vary,
// every -vary'th series changes its value at every scrape (the others keep
// theirs, as most of a real exporter's series do between two scrapes).
//
// -shape picks another body, the hostile targets of the attack trial's
// round 6 (F2), which stay inside every limit but cost the work of reading
// what is then refused (scripts/hostile-bench.sh):
//
//	wide     -series series of which three in four break a default label
//	         limit (40 labels, a 5,000-byte value, a 300-byte name) and
//	         are dropped, then 50 plain ones (4.4 MB at 3,000);
//	explode  -series one-label series, for a sample_limit under it.
//
// and of round 7 (N2), whose body changes at every scrape:
//
//	churn    -series kept series with a new label value at every scrape
//	         (9,000 new series a scrape at the trial's 9,000);
//	vary     -series dropped series as wide's, each with a part that
//	         changes at every scrape, then 50 plain ones.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"github.com/pulseboard/pulseboard/internal/hostilebody"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18092", "address to serve on (loopback only)")
	series := flag.Int("series", 9000, "series in the exposition (1…100000)")
	labels := flag.Int("labels", 29, "labels per series, the index label included (1…64)")
	valueBytes := flag.Int("value-bytes", 31, "approximate length of each label value (1…1024)")
	vary := flag.Int("vary", 0, "every vary'th series changes its value at each scrape; 0 for none")
	shape := flag.String("shape", "atlimit", "atlimit, wide, explode, churn or vary (see the package comment)")
	flag.Parse()
	if err := run(*listen, *shape, *series, *labels, *valueBytes, *vary); err != nil {
		log.Fatal(err)
	}
}

var errBounds = errors.New("out of bounds")

func run(listen, shape string, series, labels, valueBytes, vary int) error {
	if series < 1 || series > 100000 || labels < 1 || labels > 64 || valueBytes < 1 || valueBytes > 1024 || vary < 0 {
		return fmt.Errorf("-series, -labels, -value-bytes or -vary: %w", errBounds)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %s: not a loopback address", listen)
	}
	var h http.Handler
	switch shape {
	case "atlimit":
		h = newBody(series, labels, valueBytes, vary)
	case "wide":
		h = fixedBody(hostilebody.Wide(series))
	case "explode":
		h = fixedBody(hostilebody.Explode(series))
	case "churn":
		h = &roundBody{make: func(r uint64) []byte { return hostilebody.Churn(series, r) }}
	case "vary":
		h = &roundBody{make: func(r uint64) []byte { return hostilebody.Vary(series, r) }}
	default:
		return fmt.Errorf("-shape %q: not atlimit, wide, explode, churn or vary", shape)
	}
	srv := &http.Server{Addr: listen, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// body is the exposition: lines whose values are the only part that may
// change between scrapes.
type body struct {
	prefixes [][]byte // each series' line up to and including the space before its value
	vary     int
	scrapes  atomic.Int64
}

func newBody(series, labels, valueBytes, vary int) *body {
	b := &body{vary: vary}
	value := strings.Repeat("v", valueBytes-1)
	for i := range series {
		var l bytes.Buffer
		l.WriteString("wide_metric{")
		for j := range labels - 1 {
			fmt.Fprintf(&l, "l%d=%q,", j, value+strconv.Itoa(j%10))
		}
		fmt.Fprintf(&l, "i=%q} ", strconv.Itoa(i))
		b.prefixes = append(b.prefixes, l.Bytes())
	}
	return b
}

func (b *body) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	n := b.scrapes.Add(1)
	var out bytes.Buffer
	out.WriteString("# TYPE wide_metric gauge\n")
	for i, p := range b.prefixes {
		out.Write(p)
		v := int64(i)
		if b.vary > 0 && i%b.vary == 0 {
			v += n
		}
		out.WriteString(strconv.FormatInt(v, 10))
		out.WriteByte('\n')
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write(out.Bytes())
}

// fixedBody serves the same exposition at every scrape.
type fixedBody []byte

func (b fixedBody) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write(b)
}

// roundBody serves make(round), round counting the scrapes from 1: a body
// that changes at every scrape.
type roundBody struct {
	make   func(round uint64) []byte
	rounds atomic.Uint64
}

func (b *roundBody) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write(b.make(b.rounds.Add(1)))
}
