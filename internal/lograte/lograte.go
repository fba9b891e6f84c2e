// Package lograte bounds how often one kind of log line is written: a
// slog.Handler that passes the first Burst records of a key in each
// Interval, drops the rest, counts them, and then writes one summary,
// "… N more like this", for what it dropped.
//
// Before it, nothing bounded the log: a source that crashed at every poll
// with a 10 ms backoff wrote a supervision line per crash, restart and
// start (400,697 lines, 66 MB, in 13 s from 20 such sources), and a full
// disk wrote two ERROR lines a second for as long as it stayed full.
//
// A record's key is its level, its message, and the values of the
// attributes named in Options.KeyAttrs, those given to Logger.With
// included, with the groups they are in. Attributes not named (an error's
// text, a restart count, a delay) do not split a key: a storm whose error
// or count changes at every line is still one key. A crash of one source
// and a crash of another are two keys (the "child" attribute), so a
// storm of one hides nothing of the others.
package lograte

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBurst    = 10
	DefaultInterval = time.Minute
	DefaultMaxKeys  = 1024
)

// DefaultKeyAttrs are the attributes that tell one kind of line from
// another in pulseboard's log: who (component, supervisor, child, source,
// rule, path) and what (event, reason).
var DefaultKeyAttrs = []string{"component", "supervisor", "child", "source", "event", "reason", "rule", "path"}

// Options tune a Handler; the zero value takes the defaults.
type Options struct {
	// Burst records of a key are written in each Interval; past them the
	// key's records are dropped and counted until the interval ends.
	Burst    int
	Interval time.Duration
	// MaxKeys bounds the keys remembered. Past it, the records of new keys
	// share one key (message "…"), so memory stays bounded whatever the
	// log's variety.
	MaxKeys  int
	KeyAttrs []string
	// Now is the clock (tests inject one); nil is time.Now.
	Now func() time.Time
}

// Handler is the rate-limiting slog.Handler. Handlers derived from one by
// WithAttrs and WithGroup share its keys and counts; all methods are safe
// for concurrent use.
type Handler struct {
	next   slog.Handler
	s      *state
	prefix string // the key's part from WithAttrs and WithGroup
}

type state struct {
	opts Options
	keep map[string]bool

	mu         sync.Mutex
	keys       map[string]*entry
	nextSweep  time.Time
	suppressed map[slog.Level]uint64
}

// entry is one key's interval: when it started, the records seen in it,
// and what the summary of the dropped ones needs.
type entry struct {
	start   time.Time
	seen    int
	dropped int
	level   slog.Level
	msg     string
	attrs   []slog.Attr
	h       slog.Handler // next with the logger's attributes: the summary is written as the lines were
}

// New wraps next.
func New(next slog.Handler, o Options) *Handler {
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.KeyAttrs == nil {
		o.KeyAttrs = DefaultKeyAttrs
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	keep := make(map[string]bool, len(o.KeyAttrs))
	for _, k := range o.KeyAttrs {
		keep[k] = true
	}
	return &Handler{next: next, s: &state{opts: o, keep: keep, keys: map[string]*entry{}, suppressed: map[slog.Level]uint64{}}}
}

// Enabled is next's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs returns a Handler whose records' keys include the attributes
// of as that Options.KeyAttrs names.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		h.s.keyAttr(&b, a)
	}
	return &Handler{next: h.next.WithAttrs(as), s: h.s, prefix: b.String()}
}

// WithGroup returns a Handler whose records' keys include the group.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(name), s: h.s, prefix: h.prefix + "\x00g" + name}
}

// Handle writes r unless its key has had Burst records in its interval,
// and writes the summaries of the intervals that have ended.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	var attrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if h.s.keyAttr(&b, a) {
			attrs = append(attrs, a)
		}
		return true
	})
	pass, due := h.s.admit(b.String(), h, r, attrs)
	for _, e := range due {
		e.summarize(ctx, h.s.opts.Now(), h.s.opts.Interval)
	}
	if !pass {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// Flush writes the summaries of every key with dropped records, ended
// interval or not. The program calls it as it exits, so that a storm's
// last count is not lost.
func (h *Handler) Flush(ctx context.Context) {
	s := h.s
	s.mu.Lock()
	var due []entry
	for _, e := range s.keys {
		if e.dropped > 0 {
			due = append(due, *e)
			e.dropped = 0
		}
	}
	s.mu.Unlock()
	for _, e := range due {
		e.summarize(ctx, s.opts.Now(), s.opts.Interval)
	}
}

// Suppressed is the number of records of level dropped so far
// (pulseboard_log_lines_suppressed_total{level}).
func (h *Handler) Suppressed(l slog.Level) uint64 {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.suppressed[l]
}

// keyAttr writes a to the key if its name is a key attribute (a group's
// attributes by their own names) and reports whether it did.
func (s *state) keyAttr(b *strings.Builder, a slog.Attr) bool {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		wrote := false
		for _, g := range v.Group() {
			wrote = s.keyAttr(b, g) || wrote
		}
		return wrote
	}
	if !s.keep[a.Key] {
		return false
	}
	b.WriteByte(0)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(v.String())
	return true
}

// admit counts r against its key and reports whether to write it, with the
// entries whose summaries are due (copies: written after the lock).
func (s *state) admit(key string, h *Handler, r slog.Record, attrs []slog.Attr) (bool, []entry) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []entry
	if !now.Before(s.nextSweep) {
		due = s.sweep(now, due)
		s.nextSweep = now.Add(s.opts.Interval)
	}
	e := s.keys[key]
	if e == nil {
		if len(s.keys) >= s.opts.MaxKeys {
			key = "\x00overflow"
			e = s.keys[key]
		}
		if e == nil {
			e = &entry{start: now, level: r.Level, msg: r.Message, attrs: slices.Clone(attrs), h: h.next}
			if key == "\x00overflow" {
				e.msg, e.attrs = "…", nil // written with the first such logger's attributes
			}
			s.keys[key] = e
		}
	}
	if now.Sub(e.start) >= s.opts.Interval {
		if e.dropped > 0 {
			due = append(due, *e)
		}
		e.start, e.seen, e.dropped = now, 0, 0
	}
	e.seen++
	if e.seen <= s.opts.Burst {
		return true, due
	}
	e.dropped++
	s.suppressed[r.Level]++
	return false, due
}

// sweep forgets the keys whose interval has ended, appending to due those
// that dropped records.
func (s *state) sweep(now time.Time, due []entry) []entry {
	for k, e := range s.keys {
		if now.Sub(e.start) < s.opts.Interval {
			continue
		}
		if e.dropped > 0 {
			due = append(due, *e)
		}
		delete(s.keys, k)
	}
	return due
}

// summarize writes the summary of e's dropped records.
func (e entry) summarize(ctx context.Context, now time.Time, interval time.Duration) {
	if e.dropped == 0 || !e.h.Enabled(ctx, e.level) {
		return
	}
	r := slog.NewRecord(now, e.level, "… "+strconv.Itoa(e.dropped)+" more like this", 0)
	r.AddAttrs(slog.String("like", e.msg), slog.Int("suppressed", e.dropped), slog.Duration("within", interval))
	r.AddAttrs(e.attrs...)
	_ = e.h.Handle(ctx, r)
}
