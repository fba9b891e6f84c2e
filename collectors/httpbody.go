package collectors

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pulseboard/pulseboard/configs"
)

// defaultAcceptEncoding is the Accept-Encoding of a request whose
// configuration sets none: gzip, as Prometheus and Go's transport send.
// Setting it here, rather than leaving it to the transport, means the
// transport never inflates a body on its own, so every body, whatever
// the configured headers, goes through readBody and its limits.
const defaultAcceptEncoding = "gzip"

// maxCodings bounds the content codings one body may stack ("gzip,
// gzip" is legal HTTP and a cheap way to multiply a bomb).
const maxCodings = 2

// readBody reads a response body to its end and undoes its
// Content-Encoding (gzip, x-gzip, deflate; identity or none leaves it as
// is). limit bounds the body as read from the network and, separately,
// once inflated, so a gzip bomb stops at limit+1 inflated bytes with
// ErrBodyTooLarge. A coding it cannot undo, or a stream that does not
// decode (corrupt, cut short, bad checksum), is an error wrapping
// ErrEncoding; the coding it quotes is masked by redact before it is
// cut. Called on the poll goroutine by fetch.
func readBody(body io.Reader, contentEncoding string, limit int64, redact *configs.Redactor) ([]byte, error) {
	out, _, err := readBodyInto(nil, body, contentEncoding, limit, redact)
	return out, err
}

// readBodyInto is readBody reading into buf's memory (nil: new memory).
// On an error it returns no body and the buffer as far as it grew, for the
// next read to reuse (see fetcher.spare); on success the body is the
// buffer, and spare is nil.
func readBodyInto(buf []byte, body io.Reader, contentEncoding string, limit int64, redact *configs.Redactor) (out, spare []byte, err error) {
	codings, err := parseCodings(contentEncoding, redact)
	if err != nil {
		return nil, buf, err
	}
	if len(codings) == 0 {
		out, err := readUpTo(buf, body, limit+1)
		switch {
		case err != nil:
			return nil, out, fmt.Errorf("reading body: %w", err)
		case int64(len(out)) > limit:
			return nil, out, fmt.Errorf("body exceeds %d bytes (%w)", limit, ErrBodyTooLarge)
		}
		return out, nil, nil
	}
	raw := &rawBody{r: body, limit: limit}
	r := io.Reader(raw)
	// Codings are listed in the order they were applied: undo the last first.
	for i := len(codings) - 1; i >= 0; i-- {
		if r, err = decoder(codings[i], r); err != nil {
			return nil, buf, bodyError(raw, codings[i], err)
		}
	}
	out, err = readUpTo(buf, r, limit+1)
	if err != nil {
		return nil, out, bodyError(raw, strings.Join(codings, ", "), err)
	}
	if int64(len(out)) > limit {
		return nil, out, fmt.Errorf("body larger than %d bytes after decompression (%w)", limit, ErrBodyTooLarge)
	}
	return out, nil, nil
}

// readUpTo reads r to its end, or to max bytes, into buf[:0], doubling its
// capacity (up to max) when it is full: the memory of a body that fills
// the limit is the limit once, and none more when buf already has it. It
// returns what it read, and the buffer, with the first error but io.EOF.
func readUpTo(buf []byte, r io.Reader, max int64) ([]byte, error) {
	buf = buf[:0]
	if cap(buf) == 0 {
		buf = make([]byte, 0, min(512, max))
	}
	for int64(len(buf)) < max {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), max-int64(len(buf)))))
		}
		n, err := r.Read(buf[len(buf):int(min(int64(cap(buf)), max))])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// parseCodings lists the codings of a Content-Encoding value, lower case,
// identity left out.
func parseCodings(header string, redact *configs.Redactor) ([]string, error) {
	var out []string
	for as := range strings.SplitSeq(header, ",") {
		as = strings.TrimSpace(as) // quoted as sent: a secret echoed here is masked as it was
		c := strings.ToLower(as)
		switch c {
		case "", "identity":
			continue
		case "gzip", "x-gzip", "deflate":
			out = append(out, c)
		default:
			return nil, fmt.Errorf("%w: %q is not supported (gzip and deflate are)", ErrEncoding, clip(redact, as, 40))
		}
	}
	if len(out) > maxCodings {
		return nil, fmt.Errorf("%w: %d codings stacked (at most %d)", ErrEncoding, len(out), maxCodings)
	}
	return out, nil
}

// decoder returns a reader that undoes coding on r. An empty body stays
// empty: a HEAD answer or a 204 may carry the header and no bytes.
func decoder(coding string, r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		return br, nil
	}
	if coding == "deflate" {
		// HTTP's deflate is zlib (RFC 1950), but servers that send a raw
		// deflate stream (RFC 1951) are common enough to be read too.
		if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			return zlib.NewReader(br)
		}
		return flate.NewReader(br), nil
	}
	return gzip.NewReader(br)
}

// bodyError tells a failure to read the network (a timeout, a body over
// the limit) from a stream that does not decode.
func bodyError(raw *rawBody, coding string, err error) error {
	if raw.err != nil && errors.Is(err, raw.err) {
		if errors.Is(err, ErrBodyTooLarge) {
			return err
		}
		return fmt.Errorf("reading body: %w", err)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: body is not valid %s: %w", ErrEncoding, coding, err)
}

// rawBody is the compressed body as it comes from the network, bounded
// by limit bytes; it remembers the error it returned, so that bodyError
// can tell it from a decoder's.
type rawBody struct {
	r     io.Reader
	limit int64
	read  int64
	err   error
}

func (b *rawBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.read > b.limit {
		b.err = fmt.Errorf("compressed body exceeds %d bytes (%w)", b.limit, ErrBodyTooLarge)
		return 0, b.err
	}
	if room := b.limit + 1 - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = err
	}
	return n, err
}
