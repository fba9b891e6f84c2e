package supervisor

import (
	"math"
	"time"
)

// The two halves of an exponential backoff, shared by every retry loop in
// the program: the supervisor's restarts (Backoff), a failing source's
// slower polling and the config watch's retries. Callers combine them with
// their own cap and jitter policy; both are pure functions, safe to call
// from any goroutine.

// Doubling returns the nominal delay after n consecutive failures:
// initial·2ⁿ, capped at limit. It never returns less than initial (a limit
// below initial means initial), a non-positive initial gives 0 and a
// negative n counts as 0. The doubling stops at the cap, so no n
// overflows.
func Doubling(initial, limit time.Duration, n int) time.Duration {
	if initial <= 0 {
		return 0
	}
	d := initial
	for i := 0; i < n && d < limit; i++ {
		if d > limit/2 { // doubling would pass the cap (or overflow)
			return limit
		}
		d *= 2
	}
	return d
}

// Jitter spreads d uniformly over ±fraction of itself, so that retries
// which failed together do not all come back together. r, in [0,1), picks
// the point: 0 is d·(1-fraction), 0.5 is d itself, and an r outside [0,1)
// (a broken random source) also gives d. The result saturates at the
// largest Duration instead of overflowing.
func Jitter(d time.Duration, fraction, r float64) time.Duration {
	if r < 0 || r >= 1 {
		r = 0.5
	}
	f := float64(d) * (1 + fraction*(2*r-1))
	if f >= math.MaxInt64 { // compared as floats: converting first could overflow
		return math.MaxInt64
	}
	return time.Duration(f)
}
