package configs

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// childModeEnv, set to "1", makes the binary a reader of one file: the
// child that fileReader starts for each read (see startChild). It is
// answered in this package's init, before main or TestMain run, so that
// every binary that reads config files through this package — the
// server, `check`, every test binary — is its own reader with nothing to
// forget: a test binary whose TestMain did not answer it would run its
// tests again in every child.
const childModeEnv = "PULSEBOARD_INTERNAL_READ_FILE"

func init() {
	if os.Getenv(childModeEnv) == "1" {
		os.Exit(childMain(os.Args, os.Stdin, os.Stdout))
	}
}

// childMain is the child: args are [argv0, path, limit]. It opens path
// with openChecked, sends the file's key, waits for one byte on in (the
// parent's go-ahead: the parent may refuse a file a read is already
// stuck on, and then closes in), reads at most limit+1 bytes with
// readChecked and sends them. Every failure is sent as an error frame.
func childMain(args []string, in io.Reader, out io.Writer) int {
	w := bufio.NewWriter(out)
	send := func(kind byte, payload []byte) int {
		if writeFrame(w, kind, payload) != nil || w.Flush() != nil {
			return 1 // the parent has gone
		}
		return 0
	}
	if len(args) != 3 {
		return send(frameError, encodeReadError(errors.New("read-file child: want a path and a limit")))
	}
	path := args[1]
	limit, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil || limit < 0 {
		return send(frameError, encodeReadError(fmt.Errorf("read-file child: bad limit %q", args[2])))
	}
	f, st, err := openChecked(openNonBlocking, path)
	if err != nil {
		return send(frameError, encodeReadError(err))
	}
	defer f.Close()
	k := keyOf(st, path)
	key, _ := json.Marshal(wireKey{Dev: k.dev, Ino: k.ino, Path: k.path})
	if send(frameKey, key) != 0 {
		return 1
	}
	var goAhead [1]byte
	if _, err := io.ReadFull(in, goAhead[:]); err != nil {
		return 0 // refused: the parent closed our input
	}
	data, err := readChecked(f, st, limit)
	if err != nil {
		return send(frameError, encodeReadError(err))
	}
	return send(frameData, data)
}

// The child's frames: a kind byte, a 4-byte big-endian length, the
// payload. A key (JSON wireKey) comes first, then data (the file's
// bytes) or an error (JSON wireError) ends the child's answer.
const (
	frameKey   = 'K'
	frameData  = 'D'
	frameError = 'E'
	// maxMetaFrame bounds a key or an error frame: a path is at most
	// 4 KiB on Linux, with room for an error's text.
	maxMetaFrame = 64 << 10
)

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// readFrame reads one frame, refusing a payload longer than max for its
// kind (maxData for data, maxMetaFrame for the others) before reading it.
func readFrame(r io.Reader, maxData int64) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := int64(binary.BigEndian.Uint32(head[1:]))
	max := int64(maxMetaFrame)
	switch head[0] {
	case frameData:
		max = maxData
	case frameKey, frameError:
	default:
		return 0, nil, fmt.Errorf("unknown frame %q", head[0])
	}
	if n > max {
		return 0, nil, fmt.Errorf("frame %q of %d bytes, at most %d expected", head[0], n, max)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return head[0], payload, nil
}

// wireKey is a fileKey on the wire.
type wireKey struct {
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
	Path string `json:"path,omitempty"`
}

// wireError carries the errors a read can give so that the parent
// returns the same error as a read in process: same text, same
// errors.Is and errors.As answers (fs.ErrNotExist, *fs.PathError,
// *notRegularError, *readRefusedError).
type wireError struct {
	Kind  string `json:"kind"` // "path", "errno", "not_regular", "refused", "other"
	Op    string `json:"op,omitempty"`
	Path  string `json:"path,omitempty"`
	Errno uint64 `json:"errno,omitempty"`
	Msg   string `json:"msg,omitempty"`
}

func encodeReadError(err error) []byte {
	var (
		we    wireError
		pe    *fs.PathError
		errno syscall.Errno
		nr    *notRegularError
		rr    *readRefusedError
	)
	switch {
	case errors.As(err, &nr):
		we = wireError{Kind: "not_regular", Msg: nr.kind}
	case errors.As(err, &rr):
		we = wireError{Kind: "refused", Msg: rr.msg}
	case errors.As(err, &pe) && errors.As(pe.Err, &errno):
		we = wireError{Kind: "path", Op: pe.Op, Path: pe.Path, Errno: uint64(errno)}
	case errors.As(err, &errno):
		we = wireError{Kind: "errno", Errno: uint64(errno)}
	default:
		we = wireError{Kind: "other", Msg: err.Error()}
	}
	b, _ := json.Marshal(we)
	return b
}

func decodeReadError(payload []byte) error {
	var we wireError
	if err := json.Unmarshal(payload, &we); err != nil {
		return fmt.Errorf("read-file child: bad error frame: %w", err)
	}
	switch we.Kind {
	case "not_regular":
		return &notRegularError{kind: we.Msg}
	case "refused":
		return &readRefusedError{msg: we.Msg}
	case "path":
		return &fs.PathError{Op: we.Op, Path: we.Path, Err: syscall.Errno(we.Errno)}
	case "errno":
		return syscall.Errno(we.Errno)
	}
	return errors.New(we.Msg)
}
