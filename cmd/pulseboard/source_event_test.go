package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/collectors"
)

func TestSourceEventDownAndUp(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	ev, ok := sourceEvent(collectors.HealthChange{Source: "web", At: at, Error: "connection refused\nmore"})
	require.True(t, ok)
	require.Equal(t, "source", ev.Kind)
	require.Equal(t, at.UnixMilli(), ev.TS)
	var p sourcePayload
	require.NoError(t, ev.DecodePayload(&p))
	require.Equal(t, sourcePayload{Source: "web", Event: "down", Error: "connection refused"}, p)

	ev, ok = sourceEvent(collectors.HealthChange{Source: "web", Up: true, At: at, Error: "ignored"})
	require.True(t, ok)
	p = sourcePayload{}
	require.NoError(t, ev.DecodePayload(&p))
	require.Equal(t, sourcePayload{Source: "web", Event: "up"}, p)

	_, ok = sourceEvent(collectors.HealthChange{})
	require.False(t, ok, "no source: nothing to tell")
}

// A failing poll's error is the one text a target controls: its URLs are
// masked and it is bounded, cut at a character boundary.
func TestSourceEventErrorIsBoundedAndRedacted(t *testing.T) {
	hostile := "Get \"http://admin:s3cret@10.0.0.1/metrics?token=abc123\": " + strings.Repeat("ü", 2000)
	ev, ok := sourceEvent(collectors.HealthChange{Source: "web", Error: hostile})
	require.True(t, ok)
	var p sourcePayload
	require.NoError(t, ev.DecodePayload(&p))
	require.NotContains(t, p.Error, "s3cret")
	require.NotContains(t, p.Error, "abc123")
	require.LessOrEqual(t, len(p.Error), maxEventError+len("…"))
	require.True(t, utf8.ValidString(p.Error))
}

func TestServerStartedEvent(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	ev := serverStartedEvent(at, 1_699_999_990_000, "1.2.3")
	require.Equal(t, "server", ev.Kind)
	require.Equal(t, at.UnixMilli(), ev.TS)
	var p serverPayload
	require.NoError(t, ev.DecodePayload(&p))
	require.Equal(t, serverPayload{Event: "started", Version: "1.2.3", Previous: 1_699_999_990_000}, p)

	p = serverPayload{}
	require.NoError(t, serverStartedEvent(at, 0, "").DecodePayload(&p))
	require.Equal(t, serverPayload{Event: "started"}, p, "no run before: no previous")
}
