package aggregator

import "encoding/binary"

// A series' identity as stored (storage.SeriesMeta.Meta):
//
//	byte     version (metaVersion)
//	byte     kind
//	string   source, metric      (uvarint length, bytes)
//	uvarint  number of labels, then name and value strings of each
const metaVersion = 1

// maxMetaLabels bounds what decodeSeriesMeta accepts.
const maxMetaLabels = 1024

func encodeSeriesMeta(s *series) []byte {
	n := 2 + 3*binary.MaxVarintLen32 + len(s.source) + len(s.metric)
	for _, l := range s.labels {
		n += 2*binary.MaxVarintLen32 + len(l.Name) + len(l.Value)
	}
	b := make([]byte, 0, n)
	b = append(b, metaVersion, byte(s.kind))
	b = appendMetaString(b, s.source)
	b = appendMetaString(b, s.metric)
	b = binary.AppendUvarint(b, uint64(len(s.labels)))
	for _, l := range s.labels {
		b = appendMetaString(b, l.Name)
		b = appendMetaString(b, l.Value)
	}
	return b
}

func appendMetaString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// seriesIdentity is a decoded SeriesMeta.
type seriesIdentity struct {
	source, metric string
	labels         Labels
	kind           Kind
}

// decodeSeriesMeta reads what encodeSeriesMeta wrote; garbage gives
// errCorrupt, never a panic.
func decodeSeriesMeta(b []byte) (seriesIdentity, error) {
	var id seriesIdentity
	if len(b) < 2 || b[0] != metaVersion || b[1] > byte(KindCounter) {
		return id, errCorrupt
	}
	id.kind = Kind(b[1])
	r := metaReader{b: b[2:]}
	id.source = r.str()
	id.metric = r.str()
	n := r.uvarint()
	if n > maxMetaLabels || n > uint64(len(r.b)) {
		return id, errCorrupt
	}
	if n > 0 {
		id.labels = make(Labels, n)
	}
	for i := range id.labels {
		id.labels[i] = Label{Name: r.str(), Value: r.str()}
	}
	if r.bad || len(r.b) != 0 {
		return seriesIdentity{}, errCorrupt
	}
	return id, nil
}

type metaReader struct {
	b   []byte
	bad bool
}

func (r *metaReader) uvarint() uint64 {
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *metaReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad = true
		r.b = nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
