package collectors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// The secrets of secretSource's config, each in a different place.
var sourceSecrets = []string{"sup3rs3cret", "us3rname", "p4ssw0rd", "b34rer-t0ken", "k3y-v4lue"}

// secretSource is a prometheus source of url (with "/path?token=…" and
// user info added) sending an Authorization and an X-Api-Key header.
func secretSource(name, base, path string) configs.Source {
	cfg := urlSource(configs.TypePrometheus, strings.Replace(base, "http://", "http://us3rname:p4ssw0rd@", 1)+path+"?token=sup3rs3cret")
	cfg.Name = name
	cfg.Interval, cfg.Timeout = configs.Duration(20*time.Millisecond), configs.Duration(5*time.Second)
	client(cfg).Headers = map[string]string{"Authorization": "Bearer b34rer-t0ken", "X-Api-Key": "k3y-v4lue"}
	return cfg
}

// echoTarget answers what it was sent, as some targets do in an error
// page: a body no parser takes ("/echo") or, on "/series", valid series
// whose label values are the secrets.
func echoTarget(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if r.URL.Path == "/series" {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "a 1\nb{key=%q} 2\nc{auth=%q,user=%q,pass=%q} 3\n", r.Header.Get("X-Api-Key"), r.Header.Get("Authorization"), user, pass)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "requested %s with %s %s", r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func requireNoSourceSecret(t *testing.T, text, where string) {
	t.Helper()
	for _, s := range sourceSecrets {
		require.NotContains(t, text, s, where)
	}
}

// TestSourceSecretsAreMaskedInEverythingItSays: whatever text a source
// produces (a parser's excerpt of the body in last_error, the series a
// drop names in last_warning, a panic value, the log lines and the errors
// handed to the supervisor), no secret of its config is in it.
func TestSourceSecretsAreMaskedInEverythingItSays(t *testing.T) {
	srv := echoTarget(t)
	failing := secretSource("failing", srv.URL, "/echo")
	warned := secretSource("warned", srv.URL, "/series")
	promSpec(warned).MaxSeries = 1
	panicky := secretSource("panicky", srv.URL, "/")

	logs := &syncBuffer{}
	events := &eventLog{}
	m := newTestManager(newRecordingSink(), events, func(o *ManagerOptions) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		o.factory = func(cfg configs.Source, env Env) (Source, error) {
			if cfg.Name != "panicky" {
				return NewSource(cfg, env)
			}
			return newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
				panic("bad credentials us3rname/p4ssw0rd for k3y-v4lue with b34rer-t0ken")
			}), nil
		}
	})
	require.NoError(t, m.Apply([]configs.Source{failing, warned, panicky}))
	stop := serveManager(t, m)
	require.Eventually(t, func() bool {
		f, _ := m.Stats("failing")
		w, _ := m.Stats("warned")
		p, _ := m.Stats("panicky")
		return f.Failures > 0 && w.LastWarning != "" && p.Failures > 0
	}, 10*time.Second, 5*time.Millisecond)
	stop()

	f, _ := m.Stats("failing")
	require.Contains(t, f.LastError, `while parsing: "requested /echo?token=xxxxx"`, "the body excerpt is masked")
	require.Contains(t, f.LastError, "http://xxxxx:xxxxx@127.0.0.1:")
	requireNoSourceSecret(t, f.LastError, "last_error")

	w, _ := m.Stats("warned")
	require.Contains(t, w.LastWarning, `(first: b{key="xxxxx"})`, "the series a drop names is masked")
	requireNoSourceSecret(t, w.LastWarning, "last_warning")

	p, _ := m.Stats("panicky")
	require.Equal(t, "panic: bad credentials xxxxx/xxxxx for xxxxx with xxxxx", p.LastError)

	events.mu.Lock()
	var exits int
	for _, e := range events.events {
		if e.Err != nil {
			exits++
			requireNoSourceSecret(t, e.Err.Error(), "an error handed to the supervisor")
			var pe *supervisor.PanicError
			require.ErrorAs(t, e.Err, &pe, "still a panic to the supervisor")
		}
	}
	events.mu.Unlock()
	require.Positive(t, exits)

	text := logs.String()
	require.Contains(t, text, "poll failed")
	require.Contains(t, text, "poll succeeded in part")
	require.Contains(t, text, "poll panicked")
	requireNoSourceSecret(t, text, "the log")
}

func TestMaskedErrorKeepsItsIdentity(t *testing.T) {
	r := configs.NewRedactor([]string{"sup3rs3cret"})
	require.NoError(t, maskedError(nil, r))
	plain := fmt.Errorf("refused: %w", ErrTimeout)
	require.Same(t, plain, maskedError(plain, r), "nothing to mask: the same error")

	err := maskedError(fmt.Errorf("token sup3rs3cret: %w", ErrTimeout), r)
	require.EqualError(t, err, "token xxxxx: timed out")
	require.ErrorIs(t, err, ErrTimeout)

	inner := fmt.Errorf("sup3rs3cret: %w", ErrHung)
	err = maskedError(&supervisor.PanicError{Value: inner, Stack: []byte("stack")}, r)
	var pe *supervisor.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, []byte("stack"), pe.Stack)
	require.EqualError(t, err, "panic: xxxxx: "+ErrHung.Error())
	require.ErrorIs(t, err, ErrHung, "a panic(err) still unwraps to err")
}
