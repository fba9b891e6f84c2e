package protocol

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const docPath = "../../docs/protocol.md"

func readDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	return string(doc)
}

// TestDocExamplesDecode: every ```json block of docs/protocol.md decodes
// strictly (no member the protocol lacks) into the type its "type" (or,
// for the REST bodies, its shape) names, and encodes back to the same JSON
// (no always-present member left out of an example).
func TestDocExamplesDecode(t *testing.T) {
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(readDoc(t), -1)
	require.NotEmpty(t, blocks)
	seen := map[string]int{}
	strict := Decoder{Strict: true}
	for _, b := range blocks {
		example := []byte(b[1])
		var probe map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(example, &probe), "not a JSON object:\n%s", example)
		var v any
		var err error
		switch {
		case probe["type"] != nil:
			var typ string
			require.NoError(t, json.Unmarshal(probe["type"], &typ))
			switch {
			case typ == TypeResume:
				var r Resume
				err = strict.unmarshal(example, &r)
				v = r
			case typ == TypeRange && probe["tier"] == nil:
				var r RangeRequest
				err = strict.unmarshal(example, &r)
				v = r
				typ = "range_request"
			default:
				v, err = DecodeStrict(example)
			}
			seen[typ]++
			if d, ok := v.(*Delta); ok {
				seen["merged"] += boolInt(d.From != 0)
				seen["event"] += len(d.Events)
				seen["sources_removed"] += len(d.SourcesRemoved)
				seen["alert"] += len(d.Alerts)
			}
		case probe["id"] != nil:
			v, err = strict.Series(example)
			seen["series"]++
		case probe["status"] != nil:
			var r AlertsResponse
			err = strict.unmarshal(example, &r)
			v = r
			seen["alerts_api"]++
		case probe["sources"] != nil && len(probe) == 1:
			v, err = strict.Sources(example)
			seen["sources"]++
		default:
			t.Fatalf("an example of no known shape:\n%s", example)
		}
		require.NoError(t, err, "%s", example)
		again, err := json.Marshal(v)
		require.NoError(t, err)
		require.JSONEq(t, string(example), string(again), "the example lacks a member, or has one the type drops")
	}
	for _, what := range []string{"hello", "snapshot", "delta", "merged", "event", "sources_removed", "resume", "range_request", "range", "series", "sources", "alert", "alerts_api"} {
		require.Positive(t, seen[what], "docs/protocol.md has no example of %s", what)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDocListsEveryMember: every JSON member of every type has a row in a
// table of docs/protocol.md, and the version there is Version.
func TestDocListsEveryMember(t *testing.T) {
	doc := readDoc(t)
	require.Contains(t, doc, fmt.Sprintf("Protocol version: **%d**", Version))
	for _, v := range []any{Hello{}, Snapshot{}, Delta{}, Source{}, SourceList{}, Series{}, Stats{}, Process{}, Resume{}, Alert{}, AlertsResponse{}, AlertsData{}, APIAlert{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			require.NotEmpty(t, name, "%s.%s has no json name", typ.Name(), f.Name)
			require.Contains(t, doc, "| `"+name+"` |", "%s.%s (%q) is not in a table of docs/protocol.md", typ.Name(), f.Name, name)
		}
	}
	for _, name := range []string{"kind", "ts"} { // Event's own members
		require.Contains(t, doc, "| `"+name+"` |")
	}
}
