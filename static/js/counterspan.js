// A counter's figures over a span, taken over the time its data covers:
// what a card shows as its mean rate, its increase and since when its
// total counts. As Prometheus' rate() goes no further than its samples,
// the time between two points further apart than the line's spacing
// allows (gaps.js: the server was down, the source failed; the chart
// draws a break there) is neither time nor increase: a counter flat at
// 120/s with a gap in its window has a mean rate of 120/s, not of the
// increase spread over the window. Pure.

import { gapAfter } from "./gaps.js";

/**
 * @typedef {{length: number, timeAt(i: number): number, valueAt(i: number): number|null,
 *   lowerBound(t: number): number}} Points
 * A line's points in time order (a Ring, or columnsPoints): a null value
 * is a gap.
 */

/**
 * @typedef {{increase: number|null, coveredMs: number, rate: number|null,
 *   first: number, lastAt: number, last: number|null, resetAt: number}} CounterSpan
 * increase: over the stretches with data, reset-aware (after a reset within
 * a stretch the counter counts from zero, as in Prometheus), null with
 * fewer than two points; coveredMs: the time those stretches cover; rate:
 * increase per second over coveredMs, null with none; first and lastAt:
 * the first and last point's times (0 for none), last its value; resetAt:
 * when the counter last started again lower than it was (a reset, or a
 * restart across a gap), 0 if it did not within the span: the total (its
 * value) counts only from then.
 */

/**
 * counterSpan sums up a counter's points within [from, to] (unix ms).
 * Neighbouring points more than gapMs apart (or with a null between
 * them) are on either side of a stretch without data.
 * @param {Points|null} pts
 * @param {number} from
 * @param {number} to
 * @param {number} gapMs
 * @returns {CounterSpan}
 */
export function counterSpan(pts, from, to, gapMs) {
  const out = { increase: null, coveredMs: 0, rate: null, first: 0, lastAt: 0, last: null, resetAt: 0 };
  if (!pts || !pts.length) return out;
  let increase = 0;
  let pairs = 0;
  let pt = NaN; // the point before, while it has a value
  let pv = null;
  let lastSeen = null; // the last value, across gaps
  for (let i = pts.lowerBound(from); i < pts.length; i++) {
    const t = pts.timeAt(i);
    if (t > to) break;
    const v = pts.valueAt(i);
    if (v === null) {
      pv = null;
      continue;
    }
    if (out.last === null) out.first = t;
    if (lastSeen !== null && v < lastSeen) out.resetAt = t;
    if (pv !== null && t - pt <= gapMs) {
      increase += v >= pv ? v - pv : v;
      out.coveredMs += t - pt;
      pairs++;
    }
    pt = t;
    pv = v;
    lastSeen = v;
    out.lastAt = t;
    out.last = v;
  }
  if (pairs) out.increase = increase;
  if (out.coveredMs > 0) out.rate = (increase * 1000) / out.coveredMs;
  return out;
}

/**
 * ringGap is how far apart two neighbouring points of a ring may be from
 * time from on before they are a stretch without data: the chart's rule
 * (Ring.series, gaps.js gapAfter); Infinity while the spacing is unknown.
 * @param {import("./ring.js").Ring} ring
 * @param {number} from
 */
export function ringGap(ring, from) {
  return gapAfter(ring.spacing(Math.max(0, ring.lowerBound(from) - 1)));
}

/**
 * columnsPoints reads a counter's columns (rangedata.js: a step's max is
 * its value at the step's end) as Points.
 * @param {{t: number[], mean: (number|null)[], max: (number|null)[]}} c
 * @returns {Points}
 */
export function columnsPoints(c) {
  return {
    length: c.t.length,
    timeAt: (i) => c.t[i],
    valueAt: (i) => c.max[i] ?? c.mean[i],
    lowerBound(t) {
      let lo = 0;
      let hi = c.t.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c.t[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}
