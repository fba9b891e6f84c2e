package dashboard

import (
	"bytes"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// storeExposer is a Feed that writes its series into /metrics itself (the
// aggregator does): at 100k series the registry's per-sample work is most
// of a scrape.
type storeExposer interface {
	// ExposeStoreDirectly takes the store's series out of the Feed's
	// Collector, so that they are not in the registry as well.
	ExposeStoreDirectly()
	// AppendStoreMetrics appends the store's families in the text format,
	// leaving out those skip names.
	AppendStoreMetrics(dst []byte, skip func(family string) bool) []byte
}

// newDirectMetricsHandler serves /metrics as the registry's families (the
// program's own metrics) followed by the store's, in the text format 0.0.4,
// gzipped when the scraper accepts it. A store family named like one of
// the registry's is left out rather than written twice.
//
// The whole body is built before the first byte is sent, so a scraper that
// reads slowly holds no lock and no scrape state, only its response
// buffer; building it holds the store's lock in short chunks only.
//
// send sends the body (Server.sendAnswer, which bounds the bytes of
// answers held while written).
func newDirectMetricsHandler(reg prometheus.Gatherer, store storeExposer, send func(*fiber.Ctx, []byte) error) fiber.Handler {
	var sizeHint atomic.Int64 // the last body's size, to allocate once
	contentType := string(expfmt.NewFormat(expfmt.TypeTextPlain))
	return func(c *fiber.Ctx) error {
		mfs, err := reg.Gather()
		if err != nil { // as promhttp's HTTPErrorOnError
			return fiber.NewError(fiber.StatusInternalServerError, "error gathering metrics: "+err.Error())
		}
		var buf bytes.Buffer
		buf.Grow(int(sizeHint.Load()) + 4096)
		own := make(map[string]struct{}, len(mfs))
		for _, mf := range mfs {
			own[mf.GetName()] = struct{}{}
			if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
				return fiber.NewError(fiber.StatusInternalServerError, "error encoding metrics: "+err.Error())
			}
		}
		body := store.AppendStoreMetrics(buf.Bytes(), func(name string) bool {
			_, clash := own[name]
			return clash
		})
		sizeHint.Store(int64(len(body)))
		c.Set(fiber.HeaderContentType, contentType)
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			var z bytes.Buffer
			z.Grow(len(body) / 6)
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed) // a valid level
			_, _ = zw.Write(body)                            // into memory: cannot fail
			_ = zw.Close()
			body = z.Bytes()
			c.Set(fiber.HeaderContentEncoding, "gzip")
		}
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		return send(c, body)
	}
}

// acceptsGzip reads an Accept-Encoding header as promhttp does: gzip
// listed, with no q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
