package notify

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// newFake builds a Notifier on an in-memory transport. Call it inside the
// bubble.
func newFake(ft *fakeTransport, o Options) *Notifier {
	o.Transport = ft
	o.Rand = func() float64 { return 0.5 } // no jitter: exact delays
	return New(o)
}

func TestBatchesOf64ToThePathOfTheAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am:9093/prefix/"}, UserAgent: "pulseboard/test"})
		alerts := make([]Alert, 150)
		for i := range alerts {
			alerts[i] = alert("A", "i", fmt.Sprint(i))
		}
		n.Send(alerts)
		serve(t, n)
		synctest.Wait()

		reqs := ft.requests()
		require.Len(t, reqs, 3)
		var got []string
		for i, r := range reqs {
			require.Equal(t, "http://am:9093/prefix/api/v2/alerts", r.url)
			require.Equal(t, "application/json", r.header.Get("Content-Type"))
			require.Equal(t, "pulseboard/test", r.header.Get("User-Agent"))
			batch := decodeAM(t, r.body)
			require.Len(t, batch, []int{64, 64, 22}[i])
			for _, a := range batch {
				got = append(got, a.Labels["i"])
				require.Equal(t, "A", a.Labels["alertname"])
				require.Equal(t, "A fires", a.Annotations["summary"])
				require.Equal(t, "http://127.0.0.1:8080/#A", a.GeneratorURL)
				require.Nil(t, a.EndsAt, "a firing alert without EndsAt leaves it out")
			}
		}
		require.Equal(t, "0", got[0])
		require.Equal(t, "149", got[149], "in the order sent")
		requireCounts(t, n, 0, 150, 0, 0)
	})
}

// A firing alert re-sent every resend delay arrives every time; resolved,
// it carries its endsAt, and the webhook says "resolved".
func TestResendAndResolve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		am, hook := &fakeTransport{}, &fakeTransport{}
		both := &splitTransport{"am": am, "hook": hook}
		n := New(Options{Alertmanagers: []string{"http://am"}, Webhooks: []string{"http://hook/x"}, Transport: both})
		serve(t, n)
		const resend = time.Minute
		a := alert("HighCPU", "severity", "warning")
		for range 3 {
			a.EndsAt = ValidUntil(time.Now(), resend, time.Second)
			n.Send([]Alert{a})
			synctest.Wait()
			time.Sleep(resend) // fake time: the next evaluation that resends
		}
		a.EndsAt = time.Now()
		n.Send([]Alert{a})
		synctest.Wait()

		reqs := am.requests()
		require.Len(t, reqs, 4)
		for i, r := range reqs {
			got := decodeAM(t, r.body)
			require.Len(t, got, 1)
			require.True(t, got[0].StartsAt.Equal(a.StartsAt))
			if i < 3 {
				require.True(t, got[0].EndsAt.Equal(r.at.Add(4*resend)), "firing: valid for four resend periods")
			} else {
				require.True(t, got[0].EndsAt.Equal(r.at), "resolved: endsAt is when")
			}
		}
		hooks := hook.requests()
		require.Len(t, hooks, 4)
		require.Equal(t, "http://hook/x", hooks[0].url)
		first, last := decodeHook(t, hooks[0].body), decodeHook(t, hooks[3].body)
		require.Equal(t, "1", first.Version)
		require.Equal(t, "firing", first.Status)
		require.Equal(t, "firing", first.Alerts[0].Status)
		require.Equal(t, "resolved", last.Status)
		require.Equal(t, "resolved", last.Alerts[0].Status)
		require.Equal(t, "HighCPU", last.Alerts[0].Labels["alertname"])
	})
}

// splitTransport sends each request to the fake named by its host.
type splitTransport map[string]*fakeTransport

func (s splitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return s[req.URL.Hostname()].RoundTrip(req)
}

func TestWebhookStatusIsFiringWhenAnyFires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		n := newFake(ft, Options{Webhooks: []string{"http://hook"}})
		resolved := alert("Gone")
		resolved.EndsAt = time.Now().Add(-time.Second)
		n.Send([]Alert{resolved, alert("Still")})
		serve(t, n)
		synctest.Wait()
		p := decodeHook(t, ft.requests()[0].body)
		require.Equal(t, "firing", p.Status)
		require.Equal(t, []string{"resolved", "firing"}, []string{p.Alerts[0].Status, p.Alerts[1].Status})
	})
}

// With Serve not running (or its target dead), the queue keeps the newest
// alerts up to its capacity and counts the rest as dropped.
func TestQueueFullDropsTheOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}, QueueCapacity: 5})
		for i := range 8 {
			n.Send([]Alert{alert("A", "i", fmt.Sprint(i))})
		}
		n.Send([]Alert{alert("B", "i", "8"), alert("B", "i", "9"), alert("B", "i", "10"), alert("B", "i", "11"),
			alert("B", "i", "12"), alert("B", "i", "13"), alert("B", "i", "14")}) // more than the capacity at once
		requireCounts(t, n, 5, 0, 0, 10)
		serve(t, n)
		synctest.Wait()
		got := decodeAM(t, ft.requests()[0].body)
		var is []string
		for _, a := range got {
			is = append(is, a.Labels["i"])
		}
		require.Equal(t, []string{"10", "11", "12", "13", "14"}, is)
		requireCounts(t, n, 0, 5, 0, 10)
	})
}

// 503, 503, 503, 200: tried after 0.5 s, 1 s and 2 s, then delivered.
func TestRetriesWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{answer: func(_ *http.Request, n int) (*http.Response, error) {
			if n <= 3 {
				return respond(http.StatusServiceUnavailable, "busy"), nil
			}
			return respond(http.StatusOK, ""), nil
		}}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}})
		start := time.Now()
		n.Send([]Alert{alert("A"), alert("B")})
		serve(t, n)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		reqs := ft.requests()
		require.Len(t, reqs, 4)
		var at []time.Duration
		for _, r := range reqs {
			at = append(at, r.at.Sub(start))
		}
		require.Equal(t, []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond}, at)
		requireCounts(t, n, 0, 2, 6, 0)
	})
}

// Always 502: four tries, then the batch is dropped and the next one goes.
func TestGivesUpAfterTheLastTry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{answer: func(*http.Request, int) (*http.Response, error) {
			return respond(http.StatusBadGateway, ""), nil
		}}
		logs := newLogSink()
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}, Logger: logs.logger()})
		n.Send([]Alert{alert("A")})
		serve(t, n)
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Len(t, ft.requests(), 4)
		requireCounts(t, n, 0, 0, 4, 1)
		require.Contains(t, logs.text(), `msg="alerts not delivered; dropped"`)
		require.Contains(t, logs.text(), "502 Bad Gateway")
	})
}

// A request that gets no answer is cut at the timeout and tried again; a
// hung target delays neither Send nor the other targets.
func TestTimeoutAndAHungTargetBlocksNobody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dead := &fakeTransport{answer: hang}
		live := &fakeTransport{}
		n := New(Options{Alertmanagers: []string{"http://dead", "http://live"}, Timeout: 3 * time.Second, Attempts: 2,
			Transport: splitTransport{"dead": dead, "live": live}, Rand: func() float64 { return 0.5 }})
		serve(t, n)
		start := time.Now()
		for range 3 {
			n.Send([]Alert{alert("A")})
			require.Equal(t, start, time.Now(), "Send does not wait")
			synctest.Wait()
		}
		require.Len(t, live.requests(), 3, "the live target got every alert at once")
		require.Len(t, dead.requests(), 1)

		time.Sleep(time.Minute)
		synctest.Wait()
		reqs := dead.requests()
		require.Len(t, reqs, 4, "two batches (one alert, then the two sent meanwhile), two tries each")
		require.Equal(t, 3*time.Second+500*time.Millisecond, reqs[1].at.Sub(reqs[0].at), "the timeout, then the retry delay")
		require.Len(t, decodeAM(t, reqs[2].body), 2)
		require.Equal(t, []uint64{0, 6, 3}, []uint64{n.targets[0].sent.Load(), n.targets[0].errors.Load(), n.targets[0].dropped.Load()})
	})
}

// A Serve stopped during a request leaves the batch held: the next Serve
// sends it, and nothing is counted for the cut try.
func TestRestartResumesTheHeldBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{answer: func(req *http.Request, n int) (*http.Response, error) {
			if n == 1 {
				return hang(req, n)
			}
			return respond(http.StatusOK, ""), nil
		}}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}})
		n.Send([]Alert{alert("A")})
		stop := serve(t, n)
		synctest.Wait()
		stop()
		requireCounts(t, n, 0, 0, 0, 0)
		serve(t, n)
		synctest.Wait()
		require.Len(t, ft.requests(), 2)
		require.Equal(t, ft.requests()[0].body, ft.requests()[1].body)
		requireCounts(t, n, 0, 1, 0, 0)
	})
}

func TestUnencodableAlertIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}})
		bad := alert("Bad")
		bad.StartsAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		n.Send([]Alert{bad, alert("Good")})
		serve(t, n)
		synctest.Wait()
		got := decodeAM(t, ft.requests()[0].body)
		require.Len(t, got, 1)
		require.Equal(t, "Good", got[0].Labels["alertname"])
		requireCounts(t, n, 0, 1, 0, 1)
	})
}

func TestSendCopiesTheAlert(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeTransport{}
		n := newFake(ft, Options{Alertmanagers: []string{"http://am"}})
		a := alert("A", "team", "ops")
		n.Send([]Alert{a})
		a.Labels["team"] = "changed after Send"
		serve(t, n)
		synctest.Wait()
		require.Equal(t, "ops", decodeAM(t, ft.requests()[0].body)[0].Labels["team"])
	})
}

func TestNoTargetsSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Options{})
		n.Send([]Alert{alert("A")})
		serve(t, n)
		synctest.Wait()
		require.Empty(t, n.Targets())
	})
}

func TestTargetsAreDistinctAndMasked(t *testing.T) {
	n := New(Options{
		Alertmanagers: []string{"http://a:pw1@am:9093", "http://a:pw1@am:9093", "http://b:pw2@am:9093", "http://am/api/v2/alerts"},
		Webhooks:      []string{"https://hooks/x?token=abcd", "::bad"},
	})
	require.Equal(t, []string{
		"http://xxxxx:xxxxx@am:9093/api/v2/alerts", "http://xxxxx:xxxxx@am:9093/api/v2/alerts #2",
		"http://am/api/v2/alerts", "https://hooks/x?token=xxxxx", "::bad",
	}, n.Targets())
}

// Lifecycle: stopped before it starts, started twice at once, started again.
func TestLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newFake(&fakeTransport{}, Options{Alertmanagers: []string{"http://am"}})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.NoError(t, n.Serve(ctx), "stop before start")

		stop := serve(t, n)
		synctest.Wait()
		require.ErrorIs(t, n.Serve(context.Background()), ErrAlreadyServing)
		stop()
		stop()
		serve(t, n)
	})
}

// requireCounts checks the first target's queue length and counters.
func requireCounts(t *testing.T, n *Notifier, queued int, sent, errs, dropped uint64) {
	t.Helper()
	tg := n.targets[0]
	require.Equal(t, queued, tg.queued(), "queued")
	require.Equal(t, []uint64{sent, errs, dropped}, []uint64{tg.sent.Load(), tg.errors.Load(), tg.dropped.Load()}, "sent, errors, dropped")
}
