package dashboard

import (
	"testing"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
)

// FuzzCloseWatch builds a stream of frames a client may send (data frames
// of every length encoding, fragments, pings and pongs between them, and at
// most one close with a body the RFC allows, last) from the input, and
// feeds it to closeWatch in reads of the input's chosen size: the watch
// must let every byte through and refuse nothing, however the reads cut
// the frames. The watch sits under every connection's reader, so a false
// refusal would close a well-behaved client.
func FuzzCloseWatch(f *testing.F) {
	f.Add([]byte{1, 0, 10, 2, 200, 9, 0, 10, 3, 8, 4})
	f.Add([]byte{7, 1, 255, 255, 0, 0, 2, 130, 0, 8, 2})
	f.Add([]byte{0, 8, 0})
	f.Fuzz(func(t *testing.T, recipe []byte) {
		if len(recipe) < 1 {
			return
		}
		chunk := int(recipe[0])%64 + 1
		var stream []byte
		closed := false
		for i := 1; i+1 < len(recipe) && !closed && len(stream) < 1<<20; i += 2 {
			op, n := recipe[i]%5, int(recipe[i+1])
			switch op {
			case 0: // a whole text message: 7-bit, 16-bit and 64-bit length fields
				stream = append(stream, clientFrame(true, opText, make([]byte, n*n*2))...)
			case 1: // a fragment, then its continuation
				stream = append(stream, clientFrame(false, opBinary, make([]byte, n))...)
				stream = append(stream, clientFrame(true, 0x0, make([]byte, n*257))...)
			case 2:
				stream = append(stream, clientFrame(true, opPing, make([]byte, n%126))...)
			case 3:
				stream = append(stream, clientFrame(true, 0xA, make([]byte, n%126))...)
			case 4: // a close the RFC allows: no body, or a code and a UTF-8 reason
				body := []byte{}
				if n%2 == 1 {
					body = closeBody(websocket.CloseNormalClosure, string(make([]rune, n%30)))
				}
				if !utf8.Valid(body[min(2, len(body)):]) {
					t.Fatal("the recipe built a reason that is not UTF-8")
				}
				stream = append(stream, clientFrame(true, opClose, body)...)
				closed = true
			}
		}
		w := &closeWatch{}
		passed := 0
		for off := 0; off < len(stream); off += chunk {
			k, err := w.feed(stream[off:min(off+chunk, len(stream))])
			if err != nil {
				t.Fatalf("a frame the RFC allows was refused at byte %d of %d: %v", off, len(stream), err)
			}
			passed += k
		}
		if passed != len(stream) || w.off {
			t.Fatalf("passed %d of %d bytes, stopped watching %v", passed, len(stream), w.off)
		}
	})
}
