package aggregator

type point struct {
	t int64
	v float64
}

// history (temporary uncompressed form) holds a series' points in time order.
type history struct {
	pts  []point
	base int // absolute index of pts[0]
}

func (h *history) append(t int64, v float64) { h.pts = append(h.pts, point{t, v}) }

func (h *history) len() int { return len(h.pts) }

// dropBefore forgets points older than t.
func (h *history) dropBefore(t int64) {
	k := 0
	for k < len(h.pts) && h.pts[k].t < t {
		k++
	}
	if k > 0 {
		h.pts = append(h.pts[:0:0], h.pts[k:]...)
		h.base += k
	}
}

func (h *history) cursor() cursor { return cursor{h: h, abs: h.base} }

// appendPoints appends every held point with t >= from to dst.
func (h *history) appendPoints(dst []point, from int64) []point {
	for _, p := range h.pts {
		if p.t >= from {
			dst = append(dst, p)
		}
	}
	return dst
}

// cursor walks a history forwards; at the end it stays there and moves on
// once more points are appended.
type cursor struct {
	h       *history
	abs     int
	prev    float64
	hasPrev bool
}

func (c *cursor) next(kind Kind) (point, float64, bool) {
	i := c.abs - c.h.base
	if i < 0 || i >= len(c.h.pts) {
		return point{}, 0, false
	}
	p := c.h.pts[i]
	var inc float64
	if c.hasPrev {
		inc = increase(kind, c.prev, p.v)
	}
	c.abs++
	c.prev, c.hasPrev = p.v, true
	return p, inc, true
}

func (c cursor) peek(kind Kind) (point, float64, bool) { return c.next(kind) }

// each calls f with the first n points, oldest first.
func (h *history) each(n int, f func(point)) {
	for _, p := range h.pts[:max(0, min(n, len(h.pts)))] {
		f(p)
	}
}

func (h *history) bytes() int { return 16 * cap(h.pts) }
