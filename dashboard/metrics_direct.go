package dashboard

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
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
// One exposition (and its gzipped copy, made on the first scrape that
// asks) serves the scrapes that come, within metricsMaxAge of its build,
// while another scrape still holds it (s.metricsAnswer, an answerCache with
// inFlightOnly): hundreds of scrapers that never read cost one build a
// second and hold one or a few buffers, counted
// against Options.MaxAnswerBytes by their capacity. A scrape that finds
// the bound reached is answered 503 before anything is built.
//
// The whole body is built before the first byte is sent, so a scraper that
// reads slowly holds no lock and no scrape state, only a shared buffer;
// building it holds the store's lock in short chunks only.
func newDirectMetricsHandler(reg prometheus.Gatherer, store storeExposer, s *Server) fiber.Handler {
	contentType := string(expfmt.NewFormat(expfmt.TypeTextPlain))
	build := func(dst []byte) ([]byte, error) {
		mfs, err := reg.Gather()
		if err != nil { // as promhttp's HTTPErrorOnError
			return nil, fiber.NewError(fiber.StatusInternalServerError, "error gathering metrics: "+err.Error())
		}
		buf := bytes.NewBuffer(dst)
		own := make(map[string]struct{}, len(mfs))
		for _, mf := range mfs {
			own[mf.GetName()] = struct{}{}
			if _, err := expfmt.MetricFamilyToText(buf, mf); err != nil {
				return nil, fiber.NewError(fiber.StatusInternalServerError, "error encoding metrics: "+err.Error())
			}
		}
		return store.AppendStoreMetrics(buf.Bytes(), func(name string) bool {
			_, clash := own[name]
			return clash
		}), nil
	}
	return func(c *fiber.Ctx) error {
		a, err := s.metricsAnswer.get(s, time.Now(), build)
		if errors.Is(err, errAnswersFull) {
			return s.refuseAnswer(c)
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		return a.send(c, acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)))
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
