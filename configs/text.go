package configs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// utf8BOM is the byte order mark some Windows editors put first.
var utf8BOM = []byte("\xEF\xBB\xBF")

// readLimited reads the config file at path, at most MaxFileBytes+1 bytes
// of it (see readRegular); a path that is not a regular file is refused as
// an *Error at 1:1.
func readLimited(path string) ([]byte, error) {
	data, err := readRegular(path, MaxFileBytes)
	var nr *notRegularError
	if errors.As(err, &nr) {
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: nr.kind + ", not a regular file: the config must be a file"}
	}
	return data, err
}

// readRegular reads the file at path, at most limit+1 bytes of it: one
// byte more than allowed is how a file too large is told apart, and
// nothing past it is read. The config file and every file it names
// (cluster.nats.tls) are read through it, on the loading goroutine.
//
// Only a regular file is read: a named pipe would block until a writer
// came (a check or reload that never ends), and a device (/dev/zero) or
// socket is no file of ours. The open does not block on a pipe
// (O_NONBLOCK; no effect on a regular file), and what it opened is checked
// before a byte is read; anything else is a *notRegularError.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &notRegularError{kind: fileKind(st.Mode())}
	}
	var buf bytes.Buffer
	buf.Grow(int(min(st.Size(), limit) + 1))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// notRegularError is readRegular's refusal of a path that is not a
// regular file; kind says what it is ("a named pipe").
type notRegularError struct{ kind string }

func (e *notRegularError) Error() string { return e.kind + ", not a regular file" }

// fileKind names what a path that is not a regular file is.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// normalizeText drops a leading byte order mark and turns CRLF and lone CR
// line breaks into LF, as YAML itself does (YAML 1.2, 5.4). go-yaml does
// not: it counts the comment lines of a CRLF file twice and reads a BOM as
// part of the first key, so every position after them would be wrong.
// data is returned as is when it has neither.
func normalizeText(data []byte) []byte {
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		if data[i] != '\r' {
			out = append(out, data[i])
			continue
		}
		out = append(out, '\n')
		if i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
	}
	return out
}

// offsetPos is the line and column (in characters, as go-yaml counts them)
// of byte offset off in data, with CRLF, lone CR and a leading byte order
// mark read as normalizeText reads them.
func offsetPos(data []byte, off int) pos {
	p := pos{1, 1}
	data = bytes.TrimPrefix(data[:min(off, len(data))], utf8BOM)
	for i, b := range data {
		switch {
		case b == '\n' && i > 0 && data[i-1] == '\r':
		case b == '\n' || b == '\r':
			p.line, p.col = p.line+1, 1
		case b&0xC0 != 0x80: // not a UTF-8 continuation byte
			p.col++
		}
	}
	return p
}
