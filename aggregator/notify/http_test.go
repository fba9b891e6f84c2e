package notify

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// One httptest server per failure mode, over real sockets: each ends in
// one logged line (retried or dropped) whose text is checked, and none
// quotes a credential of the URL.

// secretURL adds credentials and a token to a server's URL.
func secretURL(base string) string {
	return strings.Replace(base, "http://", "http://ops:hunter2pw@", 1) + "/am?token=s3cr3ttoken"
}

// deliverOnce sends one alert to url with one try and returns the log
// line of its fate.
func deliverOnce(t *testing.T, url string, o Options) (string, *Notifier) {
	t.Helper()
	logs := newLogSink()
	o.Alertmanagers, o.Logger, o.Attempts = []string{url}, logs.logger(), 1
	n := New(o)
	n.Send([]Alert{alert("A")})
	serve(t, n)
	line := logs.wait(t, "alerts not")
	for _, secret := range []string{"hunter2pw", "s3cr3ttoken", "ops:", "b3BzOmh1bnRlcjJwdw"} {
		require.NotContains(t, logs.text(), secret)
	}
	return line, n
}

func TestHTTP500(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal trouble", http.StatusInternalServerError)
	}))
	defer srv.Close()
	line, n := deliverOnce(t, secretURL(srv.URL), Options{})
	require.Contains(t, line, `500 Internal Server Error: \"internal trouble\"`)
	require.Contains(t, line, "target=\"http://xxxxx:xxxxx@127.0.0.1:")
	require.Contains(t, line, "/am/api/v2/alerts?token=xxxxx")
	require.Equal(t, uint64(1), n.targets[0].dropped.Load())
}

// A 400 is not retried, even with tries left, and its body is quoted
// with what it echoes of the request's secrets masked.
func TestHTTP400IsNotRetried(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "bad alert from %s/%s at %s; auth %s", user, pass, r.URL, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	logs := newLogSink()
	n := New(Options{Alertmanagers: []string{secretURL(srv.URL)}, Logger: logs.logger()})
	n.Send([]Alert{alert("A")})
	serve(t, n)
	line := logs.wait(t, "alerts not delivered; dropped")
	require.Equal(t, 1, hits)
	require.Contains(t, line, `400 Bad Request: \"bad alert from ops/xxxxx at /am/api/v2/alerts?token=xxxxx; auth Basic xxxxx`)
	for _, secret := range []string{"hunter2pw", "s3cr3ttoken", "b3BzOmh1bnRlcjJwdw"} {
		require.NotContains(t, logs.text(), secret)
	}
}

func TestHTTPSlowBeyondTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server sees the client hang up
		<-r.Context().Done()        // answers only when the client gives up
	}))
	defer srv.Close()
	line, _ := deliverOnce(t, secretURL(srv.URL), Options{Timeout: 50_000_000})
	require.Contains(t, line, "no answer within 50ms")
}

func TestHTTPRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	line, _ := deliverOnce(t, secretURL("http://"+addr), Options{})
	require.Contains(t, line, "connection refused")
}

// A redirect is not followed: the alerts (and the basic auth) do not go
// to where it points.
func TestHTTPRedirectIsNotFollowed(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL)
	}))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/x?token=s3cr3ttoken", http.StatusFound)
	}))
	defer srv.Close()
	line, _ := deliverOnce(t, secretURL(srv.URL), Options{})
	require.Contains(t, line, "redirected with 302 Found to")
	require.Contains(t, line, "/x?token=xxxxx")
	require.Contains(t, line, "not followed")
}

// A huge body is read only up to the limit: a 2xx is a delivery all the
// same, and an error quotes only its start.
func TestHTTPHugeBody(t *testing.T) {
	const huge = 64 << 20
	for _, code := range []int{http.StatusOK, http.StatusInternalServerError} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			wrote := make(chan int64, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(code)
				n, _ := io.Copy(w, io.LimitReader(zeros{}, huge))
				wrote <- n
			}))
			defer srv.Close()
			logs := newLogSink()
			n := New(Options{Alertmanagers: []string{srv.URL}, Logger: logs.logger(), Attempts: 1, MaxResponseBytes: 1 << 10})
			n.Send([]Alert{alert("A")})
			stop := serve(t, n)
			if code == http.StatusOK {
				require.Less(t, <-wrote, int64(huge), "the client hung up before the end")
				stop()
				require.Equal(t, uint64(1), n.targets[0].sent.Load())
				return
			}
			line := logs.wait(t, "dropped")
			require.Contains(t, line, `500 Internal Server Error: \"`+strings.Repeat("0", maxQuoted)+`\" …`)
			require.Less(t, <-wrote, int64(huge))
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// An answer whose headers pass maxResponseHeaderBytes fails the delivery,
// however its status reads: its headers are never all parsed.
func TestHTTPHugeHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 8000 {
			w.Header().Set("X-H"+strconv.Itoa(i), "v")
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	line, n := deliverOnce(t, secretURL(srv.URL), Options{})
	require.Contains(t, line, "server response headers exceeded 65536 bytes")
	require.Equal(t, uint64(0), n.targets[0].sent.Load())
	require.Equal(t, uint64(1), n.targets[0].dropped.Load())
}
