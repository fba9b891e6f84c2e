package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRespondersCloseWaitsAndRefusesLateStarts(t *testing.T) {
	var r responders
	release := make(chan struct{})
	ended := make(chan struct{})
	assert.True(t, r.start(func() { <-release; close(ended) }))
	closed := make(chan struct{})
	go func() { r.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned with a responder still running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	<-ended
	assert.False(t, r.start(func() { t.Error("started after close") }))
}

func TestBackoffDoublesWithJitterWithinBounds(t *testing.T) {
	lo, hi := 100*time.Millisecond, 5*time.Second
	for attempt, want := range map[int]time.Duration{0: lo, 1: 2 * lo, 3: 8 * lo, 10: hi, 1000: hi} {
		for range 20 {
			d := backoff(attempt, lo, hi)
			assert.LessOrEqual(t, d, want, "attempt %d", attempt)
			assert.GreaterOrEqual(t, d, want*3/4, "attempt %d", attempt)
		}
	}
}

func TestSubjects(t *testing.T) {
	assert.Equal(t, "pulseboard.lab.a.samples", Subject("lab", "a", KindSamples))
	node, k, ok := subjectNode("lab", "pulseboard.lab.node-1.heartbeat")
	assert.True(t, ok)
	assert.Equal(t, "node-1", node)
	assert.Equal(t, KindHeartbeat, k)
	for _, bad := range []string{"pulseboard.other.a.samples", "pulseboard.lab.a", "pulseboard.lab..samples", "pulseboard.lab.a.nope"} {
		_, _, ok := subjectNode("lab", bad)
		assert.False(t, ok, bad)
	}
	assert.Equal(t, "unknown", numKinds.String())
}
