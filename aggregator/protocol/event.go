package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Event is a notable happening, pushed to every client in the next delta's
// "events". The server and the protocol know only its kind and time; what
// it says is the announcer's: Payload, a JSON object whose members go on
// the wire after kind and ts, in one flat object:
//
//	{"kind":"reload","ts":1700000000000,"ok":true,"message":"…"}
//
// Clients skip kinds they do not know. The kinds in use and their members
// are listed in docs/protocol.md.
type Event struct {
	Kind string
	// TS is when it happened, in Unix milliseconds.
	TS int64
	// Payload is a JSON object (nil or empty for none); it must not have a
	// "kind" or "ts" member.
	Payload json.RawMessage
}

var (
	// ErrPayload is wrapped by the errors of an event payload that is not
	// a JSON object, or that has a reserved member.
	ErrPayload = errors.New("protocol: event payload must be a JSON object without kind or ts")
	// errEvent is wrapped when an event on the wire is malformed.
	errEvent = errors.New("protocol: malformed event")
)

// NewEvent encodes payload (a struct or map that encodes as a JSON object)
// into an Event. It fails, wrapping ErrPayload, if payload is not an
// object or has a kind or ts member.
func NewEvent(kind string, ts int64, payload any) (Event, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	e := Event{Kind: kind, TS: ts, Payload: data}
	if _, err := e.members(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// DecodePayload unmarshals the payload into v.
func (e Event) DecodePayload(v any) error {
	if len(bytes.TrimSpace(e.Payload)) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(e.Payload, v)
}

// Validate reports whether the payload can go on the wire: nil, or a JSON
// object without a kind or ts member (wrapping ErrPayload otherwise).
func (e Event) Validate() error {
	_, err := e.members()
	return err
}

// members returns the payload's members without the braces ("" for none),
// after checking it is an object with no reserved member.
func (e Event) members() ([]byte, error) {
	p := bytes.TrimSpace(e.Payload)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return nil, nil
	}
	if p[0] != '{' || !json.Valid(p) {
		return nil, fmt.Errorf("%w: got %.40q", ErrPayload, p)
	}
	if name, ok := reservedMember(p); ok {
		return nil, fmt.Errorf("%w: it has a %q member", ErrPayload, name)
	}
	return bytes.TrimSpace(p[1 : len(p)-1]), nil
}

// reservedMember finds a member of the object p (valid JSON) named kind or
// ts, the names an event's own members take. It scans p for the names of
// its own members, skipping strings and nested values, rather than
// decoding it: a json.Decoder's tokens cost each alert event about 6 KB
// of garbage, twice (BenchmarkAlertEvent in the aggregator).
func reservedMember(p []byte) (string, bool) {
	depth, atName := 0, false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			end := stringEnd(p, i)
			if depth == 1 && atName {
				if name, ok := reservedName(p[i : end+1]); ok {
					return name, true
				}
				atName = false
			}
			i = end
		case '{', '[':
			depth++
			atName = depth == 1
		case '}', ']':
			depth--
		case ',':
			atName = depth == 1
		}
	}
	return "", false
}

// stringEnd returns the index of the quote that ends the JSON string
// starting at p[i].
func stringEnd(p []byte, i int) int {
	for i++; p[i] != '"'; i++ {
		if p[i] == '\\' {
			i++ // the escaped byte, a quote perhaps
		}
	}
	return i
}

// reservedName reports whether the quoted JSON string q is "kind" or
// "ts", however escaped.
func reservedName(q []byte) (string, bool) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		switch string(inner) { // no allocation: a comparison
		case "kind", "ts":
			return string(inner), true
		}
		return "", false
	}
	var name string
	if json.Unmarshal(q, &name) == nil && (name == "kind" || name == "ts") {
		return name, true
	}
	return "", false
}

// MarshalJSON writes {"kind":…,"ts":…, then the payload's members}.
func (e Event) MarshalJSON() ([]byte, error) {
	members, err := e.members()
	if err != nil {
		return nil, err
	}
	kind, err := json.Marshal(e.Kind)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 32+len(kind)+len(members))
	b = append(b, `{"kind":`...)
	b = append(b, kind...)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, e.TS, 10)
	if len(members) > 0 {
		b = append(b, ',')
		b = append(b, members...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a flat event: kind (a string) and ts (an integer)
// are required; every other member goes, in order, into Payload (nil when
// there is none).
func (e *Event) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: not an object", errEvent)
	}
	var out Event
	var hasKind, hasTS bool
	var payload []byte
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", errEvent, err)
		}
		key := tok.(string) // inside an object, More then Token gives a key
		switch key {
		case "kind":
			if err := dec.Decode(&out.Kind); err != nil {
				return fmt.Errorf("%w: kind: %w", errEvent, err)
			}
			hasKind = true
		case "ts":
			if err := dec.Decode(&out.TS); err != nil {
				return fmt.Errorf("%w: ts: %w", errEvent, err)
			}
			hasTS = true
		default:
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("%w: %s: %w", errEvent, key, err)
			}
			name, _ := json.Marshal(key)
			if payload == nil {
				payload = append(payload, '{')
			} else {
				payload = append(payload, ',')
			}
			payload = append(payload, name...)
			payload = append(payload, ':')
			payload = append(payload, v...)
		}
	}
	if !hasKind || !hasTS {
		return fmt.Errorf("%w: kind and ts are required", errEvent)
	}
	if payload != nil {
		out.Payload = append(payload, '}')
	}
	*e = out
	return nil
}
