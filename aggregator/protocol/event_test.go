package protocol

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

type notice struct {
	OK     bool     `json:"ok"`
	Text   string   `json:"text"`
	Errors []string `json:"errors,omitempty"`
}

func TestEventIsFlatOnTheWire(t *testing.T) {
	e, err := NewEvent("reload", 1700000000000, notice{OK: true, Text: `a "b" <c>`, Errors: []string{"x"}})
	require.NoError(t, err)
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.Equal(t, `{"kind":"reload","ts":1700000000000,"ok":true,"text":"a \"b\" \u003cc\u003e","errors":["x"]}`, string(b))

	var back Event
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, e, back, "members in order, bytes as sent")
	var n notice
	require.NoError(t, back.DecodePayload(&n))
	require.Equal(t, notice{OK: true, Text: `a "b" <c>`, Errors: []string{"x"}}, n)
}

func TestEventWithoutPayload(t *testing.T) {
	for _, p := range []json.RawMessage{nil, json.RawMessage(`null`), json.RawMessage(` {} `), json.RawMessage("{\n}")} {
		b, err := json.Marshal(Event{Kind: "tick", TS: 5, Payload: p})
		require.NoError(t, err, "%s", p)
		require.Equal(t, `{"kind":"tick","ts":5}`, string(b))
		var back Event
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, Event{Kind: "tick", TS: 5}, back)
		var m map[string]any
		require.NoError(t, back.DecodePayload(&m))
		require.Empty(t, m)
	}
	// Spaces around and inside a payload are fine.
	b, err := json.Marshal(Event{Kind: "k", TS: 1, Payload: json.RawMessage(" { \"a\" : [1, 2] } ")})
	require.NoError(t, err)
	require.Equal(t, `{"kind":"k","ts":1,"a":[1,2]}`, string(b))
}

func TestEventRefusesPayloadsThatBreakTheObject(t *testing.T) {
	for _, p := range []string{`[1]`, `"s"`, `1`, `true`, `{"kind":"x"}`, `{"a":1,"ts":2}`, `{"a":`, `{"a":1}{"b":2}`, `{} x`,
		`{"k\u0069nd":1}`, `{"a":{"b":[1,{"c":"}"}]},"t\u0073":1}`, `{ "x" : "\"" , "ts" : 1 }`} {
		e := Event{Kind: "k", TS: 1, Payload: json.RawMessage(p)}
		require.ErrorIs(t, e.Validate(), ErrPayload, p)
		_, err := json.Marshal(e)
		require.ErrorIs(t, err, ErrPayload, p)
	}
	// Members named kind or ts deeper down, or quoted in values, are the
	// payload's own.
	for _, p := range []string{`{"a":{"kind":1,"ts":2}}`, `{"a":["ts","kind"]}`, `{"a":"kind","b":"\"ts\""}`, `{"kinds":1,"t":2,"tsx":3}`,
		`{"a\"":1,"\\":2}`, `{}`, ` { } `} {
		require.NoError(t, Event{Kind: "k", TS: 1, Payload: json.RawMessage(p)}.Validate(), p)
	}
	_, err := NewEvent("k", 1, []int{1})
	require.ErrorIs(t, err, ErrPayload)
	_, err = NewEvent("k", 1, map[string]int{"ts": 1})
	require.ErrorIs(t, err, ErrPayload)
	_, err = NewEvent("k", 1, func() {})
	require.ErrorIs(t, err, ErrPayload, "not encodable")
}

func TestEventDecodeErrors(t *testing.T) {
	for _, in := range []string{`[]`, `{"ts":1}`, `{"kind":"k"}`, `{"kind":1,"ts":1}`, `{"kind":"k","ts":"1"}`, `{"kind":"k","ts":1.5}`, `"x"`} {
		var e Event
		require.Error(t, json.Unmarshal([]byte(in), &e), in)
	}
}
