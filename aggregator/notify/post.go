package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/pulseboard/pulseboard/configs"
)

// maxQuoted bounds the part of a response body quoted in an error.
const maxQuoted = 200

// mask replaces a secret in a message, as configs.RedactURL does.
const mask = configs.URLMask

// deliveryError is why a try failed, already free of secrets; retry says
// whether trying again may help.
type deliveryError struct {
	msg   string
	retry bool
}

func (e *deliveryError) Error() string { return e.msg }

// post sends one batch under the request timeout and judges the answer:
// nil for any 2xx.
func (t *target) post(ctx context.Context, batch []item) *deliveryError {
	if t.bad != nil {
		return t.fail(false, "%s", t.bad.Error())
	}
	body := alertmanagerBody(batch)
	if t.kind == kindWebhook {
		body = webhookBody(batch)
	}
	opts := &t.n.opts
	rctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return t.fail(false, "cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", opts.UserAgent)
	resp, err := t.n.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it quotes the URL as sent, credentials and all
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return t.fail(true, "no answer within %s", opts.Timeout)
		}
		return t.fail(true, "%v", err)
	}
	defer resp.Body.Close()
	// Read what is allowed, so the connection can be reused; a longer body
	// is cut off (its connection closed), never read to its end.
	got, readErr := io.ReadAll(io.LimitReader(resp.Body, opts.MaxResponseBytes))
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return nil // the status is the answer, whatever the body
	case code >= 300 && code <= 399:
		return t.fail(false, "redirected with %s to %q: not followed; configure the URL it points to",
			resp.Status, configs.RedactURL(resp.Header.Get("Location")))
	}
	quoted := quote(got, readErr)
	retry := code == http.StatusTooManyRequests || code >= 500
	return t.fail(retry, "%s: %s", resp.Status, quoted)
}

// fail builds a deliveryError naming the target, with every secret of its
// URL masked wherever it appears (a server may echo the request).
func (t *target) fail(retry bool, format string, args ...any) *deliveryError {
	msg := "POST " + t.name + ": " + fmt.Sprintf(format, args...)
	for _, s := range t.secrets {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	return &deliveryError{msg: msg, retry: retry}
}

// quote renders the start of a response body for an error: at most
// maxQuoted bytes, cut on a character boundary, in Go quotes (so no control
// character reaches a log).
func quote(body []byte, readErr error) string {
	cut := len(body) > maxQuoted
	if cut {
		n := maxQuoted
		for n > 0 && !utf8.RuneStart(body[n]) {
			n--
		}
		body = body[:n]
	}
	s := fmt.Sprintf("%q", bytes.TrimSpace(body))
	if cut {
		s += " …"
	}
	if readErr != nil {
		s += " (reading the body: " + readErr.Error() + ")"
	}
	return s
}

// secretsOf lists what must not appear in a message about u: its user
// name and password, their basic-auth encoding, its query values, and
// their URL-encoded forms. Values
// shorter than 4 bytes are left out: masking every "1" in a message would
// hide more than it protects.
func secretsOf(u *url.URL) []string {
	var raw []string
	if u.User != nil {
		raw = append(raw, u.User.Username())
		if p, ok := u.User.Password(); ok {
			// The Authorization header net/http makes of them, which a
			// server may echo.
			basic := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + p))
			raw = append(raw, p, basic)
		}
	}
	for _, vs := range u.Query() {
		raw = append(raw, vs...)
	}
	var out []string
	for _, s := range raw {
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			if len(v) >= 4 {
				out = append(out, v)
			}
		}
	}
	return out
}
