package configs

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// utf8BOM is the byte order mark some Windows editors put first.
var utf8BOM = []byte("\xEF\xBB\xBF")

// readLimited reads the file at path, at most MaxFileBytes+1 bytes of it:
// one byte more than allowed is how a file too large is told apart, and
// nothing past it is read.
//
// Only a regular file is read: a named pipe would block until a writer
// came (a reload that never ends), and a device or socket is no config.
// The open does not block on a pipe (O_NONBLOCK; no effect on a regular
// file), and what it opened is checked before a byte is read; anything
// else is refused as an *Error at 1:1.
func readLimited(path string) ([]byte, error) {
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
		return nil, notRegular(path, st.Mode())
	}
	var buf bytes.Buffer
	buf.Grow(int(min(st.Size(), MaxFileBytes) + 1))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// notRegular is the error for a config path that is not a regular file.
func notRegular(path string, mode fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		kind = "a device"
	case mode&fs.ModeSocket != 0:
		kind = "a socket"
	case mode.IsDir():
		kind = "a directory"
	}
	return &Error{File: path, Line: 1, Col: 1, Msg: kind + ", not a regular file: the config must be a file"}
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
