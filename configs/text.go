package configs

import (
	"bytes"
	"errors"
)

// utf8BOM is the byte order mark some Windows editors put first.
var utf8BOM = []byte("\xEF\xBB\xBF")

// readLimited reads the config file at path, at most MaxFileBytes+1 bytes
// of it (see readRegular). What stops the read before the content is
// looked at (not a regular file, a pseudo filesystem, a read that timed
// out or changed under it) is an *Error at 1:1, like every config error.
func readLimited(path string) ([]byte, error) {
	data, err := readRegular(path, MaxFileBytes)
	var (
		nr      *notRegularError
		refused *readRefusedError
	)
	switch {
	case errors.As(err, &nr):
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: nr.kind + ", not a regular file: the config must be a file"}
	case errors.As(err, &refused):
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: refused.Error(), cause: refused}
	}
	return data, err
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
