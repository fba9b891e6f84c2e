package protocol

import "github.com/tidwall/gjson"

// Header is what a client needs to keep its place in the stream: the
// members the encoder writes first. Reading it costs a scan of a short
// prefix, not a decode: a load generator with 10,000 clients reads one
// for every message.
type Header struct {
	Type string
	Seq  uint64
	From uint64 // 0 when absent
	TS   int64  // Unix ms
	// HasSeq, HasFrom and HasTS say whether the member was there.
	HasSeq, HasFrom, HasTS bool
	// FullScan is true when the prefix did not hold the header and the
	// whole message was scanned.
	FullScan bool
}

// First is the first seq a delta covers: From when present, else Seq.
func (h Header) First() uint64 {
	if h.HasFrom {
		return h.From
	}
	return h.Seq
}

// HeaderPrefix covers type, seq, from and ts as the server writes them: a
// reader that needs only the header (ReadHeader) may read this much of a
// message and no more.
const HeaderPrefix = 160

// ReadHeader reads type, seq, from and ts. The server writes them first
// (type, seq, from, ts), so it looks at a prefix of the message, and at
// all of it only when the prefix does not end past "ts" (another writer's
// order, or a huge seq). Missing members are left zero; malformed JSON
// gives whatever could be read, at worst an empty Type.
func ReadHeader(msg []byte) Header {
	h, ok := readHeaderIn(msg[:min(len(msg), HeaderPrefix)])
	if !ok && len(msg) > HeaderPrefix {
		h, _ = readHeaderIn(msg)
		h.FullScan = true
	}
	return h
}

// readHeaderIn is ok once "ts" (which follows "from") or a hello was
// found: an absent "from" in a cut prefix is then really absent.
func readHeaderIn(b []byte) (Header, bool) {
	r := gjson.GetManyBytes(b, "type", "seq", "from", "ts")
	h := Header{
		Type: r[0].String(), Seq: r[1].Uint(), HasSeq: r[1].Exists(),
		From: r[2].Uint(), HasFrom: r[2].Exists(),
		TS: r[3].Int(), HasTS: r[3].Exists(),
	}
	return h, h.Type == TypeHello || (h.Type != "" && h.HasTS)
}
