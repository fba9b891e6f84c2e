package main

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestReloadEventWireBytes: a reload event goes on the wire exactly as the
// page reads it (static/js/events.js): one flat object, kind and ts first,
// then the reload's members; empty lists left out.
func TestReloadEventWireBytes(t *testing.T) {
	// flat is the object the page has always been sent.
	type flat struct {
		Kind         string   `json:"kind"`
		TimeMs       int64    `json:"ts"`
		OK           bool     `json:"ok"`
		Message      string   `json:"message"`
		Errors       []string `json:"errors,omitempty"`
		Added        []string `json:"added,omitempty"`
		Removed      []string `json:"removed,omitempty"`
		Changed      []string `json:"changed,omitempty"`
		NeedsRestart []string `json:"needs_restart,omitempty"`
	}
	at := time.UnixMilli(1_700_000_000_123)
	ok := successEvent(at, configDiff{added: []string{"fresh"}, removed: []string{`old"one`}, needsRestart: []string{"server.listen"}})
	rejected := failureEvent(at, []string{"/etc/p.yaml:3:5: sources[0].colour: unknown key <x> & \u2028"})
	for _, e := range []reloadEvent{ok, rejected, successEvent(at, configDiff{})} {
		ev, err := e.event()
		require.NoError(t, err)
		got, err := json.Marshal(ev) // what Aggregator.Announce queues
		require.NoError(t, err)
		want, err := json.Marshal(flat{reloadKind, e.TimeMs, e.OK, e.Message, e.Errors, e.Added, e.Removed, e.Changed, e.NeedsRestart})
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))

		var back protocol.Event
		require.NoError(t, json.Unmarshal(got, &back))
		r, isReload := reloadIn(back)
		require.True(t, isReload)
		require.Equal(t, e, r, "the payload reads back whole")
	}
}

// TestProtocolDocReloadExamples: every reload event in docs/protocol.md's
// examples is a reloadEvent, member for member.
func TestProtocolDocReloadExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	require.NoError(t, err)
	n := 0
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1) {
		msg, err := protocol.Decode(m[1])
		if err != nil { // not a message: the other examples are checked in package protocol
			continue
		}
		d, ok := msg.(*protocol.Delta)
		if !ok {
			continue
		}
		for _, ev := range d.Events {
			if ev.Kind != reloadKind {
				continue
			}
			_, ok := reloadIn(ev)
			require.True(t, ok, "a reload example that is not a reloadEvent: %s", ev.Payload)
			n++
		}
	}
	require.GreaterOrEqual(t, n, 2, "the doc shows an applied and a rejected reload")
}
