package notify

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// scraped runs a Notifier with one target that delivers (in 20 ms) and
// one that always fails, with a queue of 2, and returns its registry.
func scraped(t *testing.T) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{answer: func(req *http.Request, _ int) (*http.Response, error) {
			if req.URL.Hostname() == "down" {
				return respond(http.StatusServiceUnavailable, ""), nil
			}
			time.Sleep(20 * time.Millisecond)
			return respond(http.StatusOK, ""), nil
		}}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am:9093"}, Webhooks: []string{"http://u:pw@down/hook?token=abcd"},
			QueueCapacity: 2, Attempts: 2})
		n.Send([]Alert{alert("A"), alert("B"), alert("C")})
		serve(t, n)
		time.Sleep(time.Minute)
		synctest.Wait()
		reg.MustRegister(n.Collector())
		require.Same(t, n.Collector(), n.Collector())
	})
	return reg
}

func TestMetrics(t *testing.T) {
	reg := scraped(t)
	const am, hook = `target="http://am:9093/api/v2/alerts"`, `target="http://xxxxx:xxxxx@down/hook?token=xxxxx"`
	want := `
# HELP pulseboard_notifications_dropped_total Alerts never delivered to the target: its queue was full (the oldest go), its requests failed for good or too often, or the alert could not be encoded.
# TYPE pulseboard_notifications_dropped_total counter
pulseboard_notifications_dropped_total{` + am + `} 1
pulseboard_notifications_dropped_total{` + hook + `} 3
# HELP pulseboard_notifications_errors_total Alerts in requests to the target that failed; each try counts.
# TYPE pulseboard_notifications_errors_total counter
pulseboard_notifications_errors_total{` + am + `} 0
pulseboard_notifications_errors_total{` + hook + `} 4
# HELP pulseboard_notifications_queue_capacity Capacity, in alerts, of each target's queue.
# TYPE pulseboard_notifications_queue_capacity gauge
pulseboard_notifications_queue_capacity 2
# HELP pulseboard_notifications_queue_length Alerts waiting in the target's queue.
# TYPE pulseboard_notifications_queue_length gauge
pulseboard_notifications_queue_length{` + am + `} 0
pulseboard_notifications_queue_length{` + hook + `} 0
# HELP pulseboard_notifications_sent_total Alerts delivered to the target.
# TYPE pulseboard_notifications_sent_total counter
pulseboard_notifications_sent_total{` + am + `} 2
pulseboard_notifications_sent_total{` + hook + `} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"pulseboard_notifications_sent_total", "pulseboard_notifications_errors_total", "pulseboard_notifications_dropped_total",
		"pulseboard_notifications_queue_length", "pulseboard_notifications_queue_capacity"))

	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "pulseboard_notifications_latency_seconds" {
			continue
		}
		require.Len(t, mf.Metric, 2)
		h := mf.Metric[0].GetHistogram()
		require.Equal(t, uint64(1), h.GetSampleCount(), "one batch delivered")
		require.InDelta(t, 0.02, h.GetSampleSum(), 1e-9)
		require.Equal(t, uint64(0), h.Bucket[1].GetCumulativeCount(), "le 0.01")
		require.Equal(t, uint64(1), h.Bucket[2].GetCumulativeCount(), "le 0.025")
		require.Zero(t, mf.Metric[1].GetHistogram().GetSampleCount(), "failed requests are not timed")
		return
	}
	t.Fatal("no latency histogram")
}

// TestMetricsPromtoolClean: promtool check metrics reports nothing. Without
// promtool it skips, except under CI=true.
func TestMetricsPromtoolClean(t *testing.T) {
	testtool.Require(t, "promtool")
	mfs, err := scraped(t).Gather()
	require.NoError(t, err)
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	testtool.RequirePromtoolClean(t, text.Bytes())
}
