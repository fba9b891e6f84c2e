package configs

import (
	"bytes"
	"errors"
	"io/fs"
)

// utf8BOM is the byte order mark some Windows editors put first.
var utf8BOM = []byte("\xEF\xBB\xBF")

// readLimited reads the config file at path, at most MaxFileBytes+1 bytes
// of it (see readRegular). Whatever stops the read before the content is
// looked at is an *Error at 1:1, like every config error: not a regular
// file, a pseudo filesystem, a read that timed out or changed under it,
// and every error of the system's (a missing file, a symlink loop, a
// name too long, no permission), whose Error keeps it as its cause
// (errors.Is(err, fs.ErrNotExist) holds) and does not match ErrInvalid:
// the file's content is not at fault.
func readLimited(path string) ([]byte, error) {
	data, err := readRegular(path, MaxFileBytes)
	var (
		nr      *notRegularError
		refused *readRefusedError
	)
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &nr):
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: nr.kind + ", not a regular file: the config must be a file"}
	case errors.As(err, &refused):
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: refused.Error(), cause: refused}
	}
	return nil, &Error{File: path, Line: 1, Col: 1, Msg: unreadableMessage(err), cause: err, unreadable: true}
}

// unreadableMessage says why a file could not be opened or read, without
// its path: the error is at the file (or at the key naming it) already.
func unreadableMessage(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "does not exist"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot be read: " + err.Error()
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
