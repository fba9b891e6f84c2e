package configs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is matched, through errors.Is, by every error that a config's
// content causes: a syntax error, a decode error or a failed validation.
// I/O errors from Load (a missing file, say) do not match it, though they
// are *Error at the file's 1:1 too.
var ErrInvalid = errors.New("invalid config")

// Error is one problem in a config. Load and Parse fill every field; Validate,
// which has no file to look at, fills only Path and Msg.
type Error struct {
	File string
	Line int
	Col  int
	// Path names the offending key, like "sources[1].interval". It is empty
	// for a YAML syntax error, which comes before any key is known.
	Path string
	Msg  string

	// atKey: the problem is the key itself (unused or badly named), so the
	// position is that of the key rather than of its value.
	atKey bool
	// cause is what the message tells, when a caller may want to tell it
	// apart (a read that timed out: ErrReadTimeout; the system's error of
	// a file that cannot be read: fs.ErrNotExist, ...).
	cause error
	// unreadable: the file could not be opened or read (an error of the
	// system's); its content is not at fault, so it does not match
	// ErrInvalid.
	unreadable bool
}

// Error renders the problem on one line as "file:line:col: path: msg",
// leaving out the parts that are unknown. A URL in the path or the
// message is redacted (RedactURLsIn), whoever put it there.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(RedactURLsIn(e.Path))
		b.WriteString(": ")
	}
	b.WriteString(RedactURLsIn(e.Msg))
	return b.String()
}

// maxMsgBytes bounds an error message. A message may quote the value it
// refuses, and one error line goes to the log, the reload route's answer
// and every dashboard's banner: a megabyte-long value must not.
const maxMsgBytes = 400

// shorten cuts the middle out of a message longer than maxMsgBytes,
// keeping its start (what is wrong) and its end (often the advice), on
// character boundaries. It redacts the URLs in msg first: a cut through
// a URL would leave its query where RedactURLsIn no longer sees a URL.
func shorten(msg string) string {
	msg = escapeControls(RedactURLsIn(msg))
	if len(msg) <= maxMsgBytes {
		return msg
	}
	head, tail := maxMsgBytes/2, len(msg)-maxMsgBytes/2
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return fmt.Sprintf("%s … (%d bytes cut) … %s", msg[:head], tail-head, msg[tail:])
}

// Is makes errors.Is(err, ErrInvalid) hold for every config Error but
// one at a file the system could not read.
func (e *Error) Is(target error) bool { return target == ErrInvalid && !e.unreadable }

// Unwrap returns what caused the error, when that is worth telling apart
// (errors.Is(err, ErrReadTimeout)); nil for most.
func (e *Error) Unwrap() error { return e.cause }

// Errors flattens err (as returned by Load, Parse or Validate, possibly
// wrapped or joined) into its config errors, in order. It returns nil when
// err holds none.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Error:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// problems gathers validation errors with paths relative to the struct
// being validated; a caller nests them under its own key with add.
type problems struct{ list []*Error }

// addf records a problem with the value at path.
func (p *problems) addf(path, format string, args ...any) {
	p.list = append(p.list, &Error{Path: path, Msg: shorten(fmt.Sprintf(format, args...))})
}

// keyf records a problem with the key at path itself.
func (p *problems) keyf(path, format string, args ...any) {
	p.list = append(p.list, &Error{Path: path, Msg: shorten(fmt.Sprintf(format, args...)), atKey: true})
}

// nest adds the errors of a nested Validate under prefix. The errors are
// copied, so a caller's error values are never modified.
func (p *problems) nest(prefix string, err error) {
	for _, e := range Errors(err) {
		c := *e
		c.Path = joinPath(prefix, e.Path)
		p.list = append(p.list, &c)
	}
}

// err returns the problems joined, or nil when there are none.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	errs := make([]error, len(p.list))
	for i, e := range p.list {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// joinPath appends a key or an index ("[2]") to a path.
func joinPath(prefix, key string) string {
	switch {
	case prefix == "":
		return key
	case key == "":
		return prefix
	case strings.HasPrefix(key, "["):
		return prefix + key
	default:
		return prefix + "." + key
	}
}

// index renders a sequence element's path.
func index(prefix string, i int) string { return fmt.Sprintf("%s[%d]", prefix, i) }

// escapeControls writes the control characters of msg as Go escapes (a
// tab as \t): the parser quotes the character it stopped at, a raw tab or
// carriage return inside a one-line message.
func escapeControls(msg string) string {
	if !strings.ContainsFunc(msg, isControl) {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
