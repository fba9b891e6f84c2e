package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrUnknownType is wrapped when a message's "type" is missing or not
	// one Decode knows.
	ErrUnknownType = errors.New("protocol: unknown message type")
	// ErrMalformed is wrapped when a message is not the JSON its type says.
	ErrMalformed = errors.New("protocol: malformed message")
)

// Decoder decodes what the server sends. The zero value ignores members it
// does not know, as the versioning rule asks of clients; Strict refuses
// them (tests, and the check of docs/protocol.md, use it to catch a field
// written but not defined). Safe for concurrent use.
type Decoder struct {
	Strict bool
}

// Decode decodes one WebSocket message into *Hello, *Snapshot, *Delta or
// *RangeAnswer,
// ignoring unknown members.
func Decode(data []byte) (Message, error) { return Decoder{}.Message(data) }

// DecodeStrict is Decode refusing unknown members.
func DecodeStrict(data []byte) (Message, error) { return Decoder{Strict: true}.Message(data) }

// Message decodes one WebSocket message by its "type" into *Hello,
// *Snapshot, *Delta or *RangeAnswer. Errors wrap ErrUnknownType or ErrMalformed.
func (d Decoder) Message(data []byte) (Message, error) {
	var m Message
	switch typ := ReadHeader(data).Type; typ {
	case TypeHello:
		m = new(Hello)
	case TypeSnapshot:
		m = new(Snapshot)
	case TypeDelta:
		m = new(Delta)
	case TypeRange:
		m = new(RangeAnswer)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	if err := d.unmarshal(data, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Series decodes the body of GET /api/v1/series/{id}.
func (d Decoder) Series(data []byte) (Series, error) {
	var s Series
	err := d.unmarshal(data, &s)
	return s, err
}

// Sources decodes the body of GET /api/v1/sources.
func (d Decoder) Sources(data []byte) (SourceList, error) {
	var l SourceList
	err := d.unmarshal(data, &l)
	return l, err
}

// Snapshot decodes the body of GET /api/v1/snapshot, which is a snapshot
// message; it fails, wrapping ErrUnknownType, on another message.
func (d Decoder) Snapshot(data []byte) (*Snapshot, error) {
	m, err := d.Message(data)
	if err != nil {
		return nil, err
	}
	s, ok := m.(*Snapshot)
	if !ok {
		return nil, fmt.Errorf("%w: want a snapshot, got %q", ErrUnknownType, m.MessageType())
	}
	return s, nil
}

// unmarshal decodes exactly one JSON value into v.
func (d Decoder) unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if d.Strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the message", ErrMalformed)
	}
	return nil
}
