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
func (c *collector) errText(err error) string { return c.redact.Redact(err.Error()) }

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
