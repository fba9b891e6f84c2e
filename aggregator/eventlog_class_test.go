package aggregator

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// eventClassCases is testdata/event_classes.json: events as the stream
// carries them, each with the class the log counts it in. The page's
// timeline reads the same file (static/test/timeline.test.js): its bounds
// are the log's, class by class.
type eventClassCases struct {
	Cases []struct {
		Class int            `json:"class"`
		Event protocol.Event `json:"event"`
	} `json:"cases"`
}

// TestEventClassAgreesWithThePage: each event, encoded as the log holds
// it, is counted in the class the shared fixture gives.
func TestEventClassAgreesWithThePage(t *testing.T) {
	raw, err := os.ReadFile("testdata/event_classes.json")
	require.NoError(t, err)
	var f eventClassCases
	require.NoError(t, json.Unmarshal(raw, &f))
	require.NotEmpty(t, f.Cases)
	seen := map[int]bool{}
	for _, c := range f.Cases {
		data, err := json.Marshal(c.Event)
		require.NoError(t, err)
		require.Equal(t, c.Class, eventClass(data), "%s", data)
		seen[c.Class] = true
	}
	require.Len(t, seen, eventClasses, "every class has a case")
}
