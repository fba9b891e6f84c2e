package main

import (
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/supervisor"
)

// sourceInfos maps the collectors' statuses onto the shape the API, the
// stream and the aggregator's pulseboard_source_* metrics show, in the
// same order. It is the aggregator's Options.Sources (with
// Manager.Statuses), called on the aggregator's goroutine at every tick
// and on the scraping goroutine at every scrape of /metrics, so it only
// copies. A source is up only while its collector runs: parked, in
// backoff or stopped, nobody polls its target, whatever the last poll said.
func sourceInfos(statuses []pbcollectors.Status) []aggregator.SourceInfo {
	out := make([]aggregator.SourceInfo, len(statuses))
	for i := range statuses {
		st := &statuses[i]
		out[i] = aggregator.SourceInfo{
			Name:          st.Name,
			Type:          st.Type,
			State:         sourceState(st.State),
			Up:            st.Up && st.State == supervisor.StateRunning,
			Restarts:      st.Restarts,
			LastRestartAt: unixMs(st.LastRestart),
			Polls:         st.Polls,
			Failures:      st.Failures,
			LastError:     st.LastError,
			LastErrorAt:   unixMs(st.LastErrorAt),
			LastWarning:   st.LastWarning,
			LastWarningAt: unixMs(st.LastWarningAt),
			LastSuccess:   unixMs(st.LastSuccess),
			PollMs:        float64(st.LastPoll) / float64(time.Millisecond),
		}
	}
	return out
}

// unixMs is t in Unix milliseconds, 0 for the zero time ("never").
func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// sourceState names a collector's state in the UI's words: the page and
// the API promise these five, whatever the supervisor calls its states.
func sourceState(s supervisor.State) string {
	switch s {
	case supervisor.StateStarting:
		return aggregator.StateStarting
	case supervisor.StateRunning:
		return aggregator.StateRunning
	case supervisor.StateBackoff:
		return aggregator.StateBackoff
	case supervisor.StateFailed:
		return aggregator.StateFailed
	case supervisor.StateStopped:
		return aggregator.StateStopped
	}
	return s.String()
}
