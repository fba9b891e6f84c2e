package main

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/supervisor"
)

func decodeSupervision(t *testing.T, e protocol.Event) supervisionPayload {
	t.Helper()
	require.Equal(t, "supervision", e.Kind)
	var p supervisionPayload
	require.NoError(t, e.DecodePayload(&p))
	return p
}

func TestSupervisionEventOfEachKind(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	boom := errors.New("boom")
	for _, c := range []struct {
		in   supervisor.Event
		want supervisionPayload
	}{
		{supervisor.Event{Kind: supervisor.EventStarted, Restarts: 2},
			supervisionPayload{Event: "started", Restarts: 2}},
		{supervisor.Event{Kind: supervisor.EventExited},
			supervisionPayload{Event: "stopped"}},
		{supervisor.Event{Kind: supervisor.EventExited, Err: boom, Restarts: 1},
			supervisionPayload{Event: "crashed", Restarts: 1, Error: "boom"}},
		{supervisor.Event{Kind: supervisor.EventRestarting, Delay: 1500 * time.Millisecond, Restarts: 1},
			supervisionPayload{Event: "restarting", Restarts: 1, DelayMs: 1500, RetryAt: 1_700_000_001_500}},
		{supervisor.Event{Kind: supervisor.EventParked, Delay: time.Minute, Err: boom, Restarts: 5},
			supervisionPayload{Event: "parked", Restarts: 5, Error: "boom", DelayMs: 60_000, RetryAt: 1_700_000_060_000}},
		{supervisor.Event{Kind: supervisor.EventStuck, Err: supervisor.ErrStuck},
			supervisionPayload{Event: "stuck", Error: supervisor.ErrStuck.Error()}},
	} {
		c.in.Supervisor, c.in.Child, c.in.Time = sourcesSupervisor, "flaky", at
		c.want.Source = "flaky"
		e, ok := supervisionEvent(c.in)
		require.True(t, ok, c.in.Kind.String())
		require.Equal(t, at.UnixMilli(), e.TS)
		require.Equal(t, c.want, decodeSupervision(t, e), c.in.Kind.String())
	}
}

// TestSupervisionEventsOnlyForSources: the root's children and a
// supervisor giving up are told by the tree, not as events of a source.
func TestSupervisionEventsOnlyForSources(t *testing.T) {
	for _, e := range []supervisor.Event{
		{Supervisor: "root", Child: "aggregator", Kind: supervisor.EventExited, Err: errors.New("x")},
		{Supervisor: sourcesSupervisor, Child: "flaky", Kind: supervisor.EventGaveUp, Err: errors.New("x")},
		{Supervisor: sourcesSupervisor, Kind: supervisor.EventStarted},
		{Supervisor: sourcesSupervisor, Child: "flaky", Kind: supervisor.EventKind(42)},
	} {
		_, ok := supervisionEvent(e)
		require.False(t, ok, "%v", e)
	}
}

// TestSupervisionEventErrorIsBoundedAndRedacted: a hostile error (a panic
// value of megabytes, its stack, a URL with credentials, broken UTF-8)
// reaches the stream as one short line, secrets masked, valid JSON.
func TestSupervisionEventErrorIsBoundedAndRedacted(t *testing.T) {
	huge := "panic: GET http://admin:hunter22@target.local/metrics?token=s3cret: " + strings.Repeat("é", 1<<20) + "\ngoroutine 1 [running]:\nmain.main()"
	e, ok := supervisionEvent(supervisor.Event{Supervisor: sourcesSupervisor, Child: "flaky", Kind: supervisor.EventExited, Err: errors.New(huge)})
	require.True(t, ok)
	p := decodeSupervision(t, e)
	require.LessOrEqual(t, len(p.Error), maxEventError+len("…"))
	require.True(t, utf8.ValidString(p.Error), "cut at a character boundary")
	require.True(t, strings.HasSuffix(p.Error, "…"), "the cut is marked")
	require.NotContains(t, p.Error, "hunter22")
	require.NotContains(t, p.Error, "s3cret")
	require.NotContains(t, p.Error, "goroutine", "the first line only")
	require.Contains(t, p.Error, "target.local")

	bad := string([]byte{'x', 0xff, 0xfe, 'y'})
	e, _ = supervisionEvent(supervisor.Event{Supervisor: sourcesSupervisor, Child: "flaky", Kind: supervisor.EventExited, Err: errors.New(bad)})
	data, err := e.MarshalJSON()
	require.NoError(t, err)
	require.True(t, utf8.Valid(data))
	require.Equal(t, "x\ufffd\ufffdy", decodeSupervision(t, e).Error)
}

// TestRecorderAnnouncesSourceEvents: the hook hands a source's events to
// the announcer, and nothing else; a failing announcer costs a log line.
func TestRecorderAnnouncesSourceEvents(t *testing.T) {
	var got []protocol.Event
	r := newEventRecorder(slog.New(slog.NewTextHandler(io.Discard, nil)), func(e protocol.Event) error {
		got = append(got, e)
		return nil
	})
	r.Record(supervisor.Event{Supervisor: "root", Child: "dashboard", Kind: supervisor.EventStarted})
	r.Record(supervisor.Event{Supervisor: sourcesSupervisor, Child: "demo", Kind: supervisor.EventStarted})
	require.Len(t, got, 1)
	require.Equal(t, "demo", decodeSupervision(t, got[0]).Source)

	failing := newEventRecorder(slog.New(slog.NewTextHandler(io.Discard, nil)), func(protocol.Event) error { return protocol.ErrPayload })
	failing.Record(supervisor.Event{Supervisor: sourcesSupervisor, Child: "demo", Kind: supervisor.EventStarted})
	newEventRecorder(slog.New(slog.NewTextHandler(io.Discard, nil)), nil).
		Record(supervisor.Event{Supervisor: sourcesSupervisor, Child: "demo", Kind: supervisor.EventStarted})
}
