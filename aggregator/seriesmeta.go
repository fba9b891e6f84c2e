package aggregator

import (
	"encoding/binary"
	"errors"
)

// Identity is what names a series: its source, metric, labels (sorted by
// name) and kind. Its binary form (AppendIdentity) is how a series is
// named in the durable store and between the nodes of a cluster.
type Identity struct {
	Source, Metric string
	Labels         Labels
	Kind           Kind
}

// A series' identity in binary:
//
//	byte     kind
//	string   source, metric      (uvarint length, bytes)
//	uvarint  number of labels, then name and value strings of each
//
// As stored (storage.SeriesMeta.Meta), a version byte (metaVersion) comes
// first.
const metaVersion = 1

// MaxIdentityLabels bounds the labels ParseIdentity accepts.
const MaxIdentityLabels = 1024

// ErrIdentity is what ParseIdentity returns for bytes that are not an
// identity.
var ErrIdentity = errors.New("aggregator: malformed series identity")

// AppendIdentity appends id's binary form to dst. Safe from any goroutine.
func AppendIdentity(dst []byte, id Identity) []byte {
	dst = append(dst, byte(id.Kind))
	dst = appendIdentityString(dst, id.Source)
	dst = appendIdentityString(dst, id.Metric)
	dst = binary.AppendUvarint(dst, uint64(len(id.Labels)))
	for _, l := range id.Labels {
		dst = appendIdentityString(dst, l.Name)
		dst = appendIdentityString(dst, l.Value)
	}
	return dst
}

func appendIdentityString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// ParseIdentity reads what AppendIdentity wrote. The strings it returns
// share b's memory (a string is immutable, so they stay valid). Bytes
// that are not one identity, an unknown kind, an empty source or metric,
// or more than MaxIdentityLabels labels give ErrIdentity, never a panic;
// every length is checked against the bytes left before anything is
// taken, so its work is linear in len(b). Safe from any goroutine.
func ParseIdentity(b string) (Identity, error) {
	r := identityReader{s: b}
	id := Identity{Kind: Kind(r.byte())}
	id.Source, id.Metric = r.string(), r.string()
	n := r.uvarint()
	if r.err != nil || n > MaxIdentityLabels || n > uint64(len(r.s)) ||
		(id.Kind != KindGauge && id.Kind != KindCounter) || id.Source == "" || id.Metric == "" {
		return Identity{}, ErrIdentity
	}
	if n > 0 {
		id.Labels = make(Labels, n)
	}
	for i := range id.Labels {
		id.Labels[i] = Label{Name: r.string(), Value: r.string()}
	}
	if r.err != nil || len(r.s) != 0 {
		return Identity{}, ErrIdentity
	}
	return id, nil
}

// identityReader reads an identity front to back; the first error sticks.
type identityReader struct {
	s   string
	err error
}

func (r *identityReader) byte() byte {
	if r.err != nil || len(r.s) == 0 {
		r.err = ErrIdentity
		return 0
	}
	b := r.s[0]
	r.s = r.s[1:]
	return b
}

func (r *identityReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.err = ErrIdentity
		return 0
	}
	r.s = r.s[n:]
	return v
}

func (r *identityReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.err = ErrIdentity
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

// encodeSeriesMeta is s's identity as stored: metaVersion, then its
// binary form.
func encodeSeriesMeta(s *series) []byte {
	n := 2 + 3*binary.MaxVarintLen32 + len(s.source) + len(s.metric)
	for _, l := range s.labels {
		n += 2*binary.MaxVarintLen32 + len(l.Name) + len(l.Value)
	}
	b := append(make([]byte, 0, n), metaVersion)
	return AppendIdentity(b, Identity{Source: s.source, Metric: s.metric, Labels: s.labels, Kind: s.kind})
}

// decodeSeriesMeta reads what encodeSeriesMeta wrote; garbage gives
// errCorrupt, never a panic.
func decodeSeriesMeta(b []byte) (Identity, error) {
	if len(b) < 2 || b[0] != metaVersion {
		return Identity{}, errCorrupt
	}
	id, err := ParseIdentity(string(b[1:]))
	if err != nil {
		return Identity{}, errCorrupt
	}
	return id, nil
}
