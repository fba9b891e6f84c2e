package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second node named like one in the cluster is told at once, once: it
// stands aside (Status, one error line, counted) and publishes nothing,
// the first goes on and says so once, and no embedded server floods its
// log with the routes' refusals.
func TestDuplicateNodeNameIsToldOnce(t *testing.T) {
	logs1, logs2, logsB := newLogBuffer(), newLogBuffer(), newLogBuffer()
	n1, r1 := embeddedNode(t, "a", 50*time.Millisecond, func(o *Options) { o.Logger = logs1.logger() })
	a1 := serve(t, n1, r1)
	_, route := a1.EmbeddedURLs()
	nb, rb := embeddedNode(t, "b", 50*time.Millisecond, func(o *Options) { o.Logger = logsB.logger() }, route)
	b := serve(t, nb, rb)
	b.rec.waitChange(t, "a", true, 10*time.Second)

	n2, r2 := embeddedNode(t, "a", 50*time.Millisecond, func(o *Options) { o.Logger = logs2.logger() }, route)
	a2 := serve(t, n2, r2)
	require.Eventually(t, func() bool { return a2.Status().Reason == ReasonDuplicate }, 10*time.Second, tick, "%s", logs2)
	st := a2.Status()
	assert.Contains(t, st.Err, `cluster.node "a" is taken`)
	assert.True(t, a2.aside.Load())
	assert.Empty(t, a1.Status().Reason, "the first goes on")
	assert.Empty(t, b.Status().Reason)

	// A few heartbeats later: still one line each, one count each; the
	// second publishes nothing, and answers nothing.
	shed := func() uint64 { return a2.stats.outShed[KindHeartbeat][shedAside].Load() }
	require.Eventually(t, func() bool { return shed() >= 5 }, 10*time.Second, tick)
	assert.Equal(t, 1, strings.Count(logs2.String(), "duplicate node name"), "%s", logs2)
	// The first says so once if it heard the newcomer's heartbeat: one
	// that heard the first's before it sent its own stood aside unheard
	// (sameName). b's name is its own: it says nothing.
	told1 := strings.Count(logs1.String(), "duplicate node name")
	assert.LessOrEqual(t, told1, 1, "%s", logs1)
	if told1 == 1 {
		assert.Contains(t, logs1.String(), "another node named")
	}
	assert.NotContains(t, logsB.String(), "duplicate node name")
	for _, l := range []*logBuffer{logs1, logs2, logsB} {
		assert.NotContains(t, l.String(), "Remote server has a duplicate name")
	}
	dup := reasonIndex(ReasonDuplicate)
	assert.Equal(t, uint64(1), a2.link.failures[dup].Load())
	assert.Equal(t, uint64(told1), a1.link.failures[dup].Load(), "counted as often as said")
	assert.Zero(t, b.link.failures[dup].Load())
	assert.Equal(t, []string{"a"}, upPeers(b.Node), "b sees one a")
}

func TestServerLogSaysARepeatOnce(t *testing.T) {
	out := newLogBuffer()
	s := &serverLog{l: out.logger(), fatal: make(chan string, 1), last: map[string]time.Time{}}
	s.Errorf("%s - rid:%d - Remote server has a duplicate name: %q", "127.0.0.1:40001", 5, "lab-a")
	s.Errorf("%s - rid:%d - Remote server has a duplicate name: %q", "127.0.0.1:40002", 6, "lab-a")
	s.Warnf("another warning")
	assert.Equal(t, 1, strings.Count(out.String(), "level=ERROR"))
	assert.Equal(t, 2, strings.Count(out.String(), "duplicate name"), "the repeat at debug")
	assert.Equal(t, 1, strings.Count(out.String(), "level=WARN"))
}
