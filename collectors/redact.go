package collectors

import (
	"errors"
	"fmt"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// errText is how an error of the source is shown (last_error, logs): its
// text with every URL in it redacted and every secret of the source's
// config masked, wherever it stands (a body excerpt quoted by a parser, a
// panic value, an error of a source type yet to come). The fetcher names
// its URL redacted already; this is the net under everything else.
func (c *collector) errText(err error) string { return c.shown(err.Error()) }

// maxShownText is the most bytes of a source's last_error or last_warning:
// a target's line quoted whole (3 MB of it) would otherwise be sent to
// every client of the API and kept in every snapshot.
const maxShownText = 1024

// shown is text as last_error or last_warning hold it: masked (see
// errText), then cut to maxShownText bytes at a character boundary, no
// part of a secret left at the cut, with the masked length noted. Every
// text the collector books goes through it, so the cap is kept in one
// place.
func (c *collector) shown(text string) string { return shownText(c.redact, text) }

func shownText(r *configs.Redactor, text string) string {
	cut, ok := r.Clip(text, maxShownText)
	if !ok {
		return cut
	}
	return fmt.Sprintf("%s…(%d bytes)", cut, len(r.Redact(text)))
}

// masked is err with the source's secrets masked in its text, for the
// supervisor, which logs the errors its children return.
func (c *collector) masked(err error) error { return maskedError(err, c.redact) }

// maskedError returns err, or when its text holds a secret of r, an error
// whose text is masked and which still unwraps to err (errors.Is and As
// see through it). A *supervisor.PanicError stays one, its value masked.
func maskedError(err error, r *configs.Redactor) error {
	if err == nil {
		return nil
	}
	text := r.Redact(err.Error())
	if text == err.Error() {
		return err
	}
	var pe *supervisor.PanicError
	if errors.As(err, &pe) && err == error(pe) {
		var value any = r.Redact(fmt.Sprint(pe.Value))
		if inner, ok := pe.Value.(error); ok {
			value = &redactedError{text: value.(string), err: inner}
		}
		return &supervisor.PanicError{Value: value, Stack: pe.Stack}
	}
	return &redactedError{text: text, err: err}
}

// redactedError is an error shown with its secrets masked.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }
