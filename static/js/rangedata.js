// A series' points over a history range: the server's range answer
// (docs/protocol.md, "range": points [t, mean, min, max] or [t, v]) read
// into columns, carried on to the right by the stream's own points while
// the range includes now, turned into a counter's rate, cut to what a
// chart shows, and summed up into a card's statistics. Pure.

import { columnsPoints, counterSpan, ringGap } from "./counterspan.js";
import { gapAfter, medianGap } from "./gaps.js";

/**
 * @typedef {{t: number[], mean: (number|null)[], min: (number|null)[], max: (number|null)[],
 *   inc: (number|null)[], n: (number|null)[]}} Columns
 * t: unix ms, ascending; a null value is a gap. inc and n: a counter's
 * step's increase and how many sample-to-sample increases it sums (the
 * range answer's [t, mean, min, max, inc, n]; null where not known: raw
 * samples, a gauge), so that its rate is inc over n of the series'
 * intervals (counterRates).
 */

const val = (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));

/** emptyColumns are columns without points. */
export function emptyColumns() {
  return { t: [], mean: [], min: [], max: [], inc: [], n: [] };
}

/**
 * readPoints reads a range answer's points, [t, v], [t, mean, min, max]
 * or a counter's step [t, mean, min, max, inc, n], into columns. A point that is not one, or not later than the one before,
 * is left out (a chart needs ascending times).
 * @param {unknown} points
 * @returns {Columns}
 */
export function readPoints(points) {
  const c = emptyColumns();
  if (!Array.isArray(points)) return c;
  for (const p of points) {
    if (!Array.isArray(p) || (p.length !== 2 && p.length !== 4 && p.length !== 6)) continue;
    const t = Number(p[0]);
    if (!Number.isFinite(t) || (c.t.length && t <= c.t.at(-1))) continue;
    const mean = val(p[1]);
    c.t.push(t);
    c.mean.push(mean);
    c.min.push(p.length >= 4 ? val(p[2]) : mean);
    c.max.push(p.length >= 4 ? val(p[3]) : mean);
    const n = p.length === 6 ? val(p[5]) : null;
    const ok = n !== null && n > 0 && val(p[4]) !== null;
    c.inc.push(ok ? val(p[4]) : null);
    c.n.push(ok ? n : null);
  }
  return c;
}

function pushPoint(c, t, mean, min, max, inc = null, n = null) {
  c.t.push(t);
  c.mean.push(mean);
  c.min.push(min);
  c.max.push(max);
  c.inc.push(inc);
  c.n.push(n);
}

// pushFrom pushes point i of columns c onto out.
function pushFrom(out, c, i) {
  pushPoint(out, c.t[i], c.mean[i], c.min[i], c.max[i], c.inc ? (c.inc[i] ?? null) : null, c.n ? (c.n[i] ?? null) : null);
}

function copyColumns(c, n) {
  const pad = (a) => (a ? a.slice(0, n) : new Array(Math.min(n, c.t.length)).fill(null));
  return { t: c.t.slice(0, n), mean: c.mean.slice(0, n), min: c.min.slice(0, n), max: c.max.slice(0, n), inc: pad(c.inc), n: pad(c.n) };
}

/**
 * mergeLive carries an answer's columns on with the stream's points (a
 * Ring: timeAt, valueAt, lowerBound, length) that came after it. With a
 * step (ms) the stream's points are cut into steps on the answer's grid
 * (mean, min and max of each), the answer's last step made again from
 * them when the stream holds all of it (it was still filling when
 * answered), each with its increase and how many sample-to-sample
 * increases that sums (as a counter's step of the answer: neither across
 * a gap, counterspan.js ringGap; a decrease is a reset, the new value
 * counting); without one (raw samples) they follow as they are. A hole
 * between the two (the stream holds less than the time since the answer)
 * is a gap in the line. The answer's columns are not changed.
 * @param {Columns} cols
 * @param {{length: number, timeAt(i: number): number, valueAt(i: number): number|null, lowerBound(t: number): number}|null} ring
 * @param {number} step
 * @returns {Columns}
 */
export function mergeLive(cols, ring, step) {
  let n = cols.t.length;
  if (!ring || !ring.length) return cols;
  const last = n ? cols.t[n - 1] : -Infinity;
  const first = ring.timeAt(0);
  if (!(step > 0)) {
    const out = copyColumns(cols, n);
    for (let i = ring.lowerBound(last + 1); i < ring.length; i++) {
      const v = ring.valueAt(i);
      pushPoint(out, ring.timeAt(i), v, v, v);
    }
    return out;
  }
  let origin;
  if (!n) origin = Math.floor(first / step) * step;
  else if (first <= last) {
    origin = last;
    n--;
  } else origin = last + step;
  const out = copyColumns(cols, n);
  let i = ring.lowerBound(origin);
  const gap = ringGap(ring, origin);
  if (i < ring.length && n && ring.timeAt(i) >= origin + step) pushPoint(out, origin, null, null, null);
  while (i < ring.length) {
    const b = origin + Math.floor((ring.timeAt(i) - origin) / step) * step;
    let sum = 0;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let inc = 0;
    let incs = 0;
    for (; i < ring.length && ring.timeAt(i) < b + step; i++) {
      const v = ring.valueAt(i);
      if (v === null) continue;
      sum += v;
      count++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const pv = i > 0 ? ring.valueAt(i - 1) : null;
      if (pv !== null && ring.timeAt(i) - ring.timeAt(i - 1) <= gap) {
        inc += v >= pv ? v - pv : v;
        incs++;
      }
    }
    if (count) pushPoint(out, b, sum / count, lo, hi, incs ? inc : null, incs || null);
    else pushPoint(out, b, null, null, null);
  }
  return out;
}

// medianSpacing is the median time between neighbouring points that both
// have a value (a null is a gap already, not a spacing), or 0 for fewer
// than two such pairs.
function medianSpacing(c) {
  const dts = [];
  for (let i = 1; i < c.t.length; i++) {
    if (c.mean[i] !== null && c.mean[i - 1] !== null) dts.push(c.t[i] - c.t[i - 1]);
  }
  return medianGap(dts);
}

/**
 * gapSpan is how far apart (ms) two neighbouring points of a line may be
 * before the stretch between them is drawn as a break: with a step, a
 * missing step (dt > step: the steps start on the step's grid, so a
 * partial first or last step is never further than one step from its
 * neighbour), unless the series' own points are sparser than the steps
 * (its source polls less often), when it breaks as raw samples do; raw
 * samples (step 0) break by their median spacing as the stream's points
 * do (gaps.js gapAfter). Infinity when the spacing is unknown.
 * @param {Columns} c
 * @param {number} step ms; 0 for raw samples
 */
export function gapSpan(c, step) {
  const m = medianSpacing(c);
  if (step > 0 && m <= step) return step;
  return gapAfter(m);
}

/**
 * breakGaps puts a null point between neighbouring points further apart
 * than gapSpan (the server was down, the source failed: the range answer
 * simply has no points there), so that the chart draws a break and not a
 * straight line across, as the live view does (store.js restartGap). The
 * null goes one step (raw: 1 ms) after the point before the gap. The
 * columns given are not changed; they are returned as they are when
 * nothing breaks. The page calls it on a line's answer carried on by the
 * stream (mergeLive), so the stream's points at the right edge break too.
 * @param {Columns} c
 * @param {number} step ms; 0 for raw samples
 * @returns {Columns}
 */
export function breakGaps(c, step) {
  const span = gapSpan(c, step);
  if (span === Infinity) return c;
  let out = null;
  for (let i = 1; i < c.t.length; i++) {
    const broken = c.t[i] - c.t[i - 1] > span && c.mean[i] !== null && c.mean[i - 1] !== null;
    if (broken && !out) out = copyColumns(c, i);
    if (broken) pushPoint(out, c.t[i - 1] + (step > 0 ? step : 1), null, null, null);
    if (out) pushFrom(out, c, i);
  }
  return out || c;
}

/**
 * counterRates turns a counter's columns into its rate per second. A step
 * that carries its increase (inc over n sample-to-sample increases: the
 * range answer's counter steps, mergeLive's) is its own rate: inc over the
 * time n of the series' intervals (spacingMs) cover, as Prometheus' rate()
 * takes an increase over the time its samples span; a step the server ran
 * for only part of (it started, stopped or restarted within it, or it is
 * the step still filling) is not its increase spread over the whole step,
 * and a step with a reset in it has its rate. Without that (raw samples,
 * or spacingMs unknown) the rate is taken between one point's value and
 * the one before's (a step's max is its value at its end, the counter
 * only going up between resets): a reset (the value going down, between
 * the steps or within one: its min, the value at its start, below the
 * step before's value) or a gap is null, as the stream's rates are
 * (Ring.series). min and max are the rate too: a rate has no band.
 * @param {Columns} c
 * @param {number} [spacingMs] the series' interval between samples (Ring.spacing); 0: unknown
 * @returns {Columns}
 */
export function counterRates(c, spacingMs = 0) {
  const rates = [];
  for (let i = 0; i < c.t.length; i++) {
    const own = stepRate(c, i, spacingMs);
    if (own !== undefined) {
      rates.push(own);
      continue;
    }
    const v = c.max[i] ?? c.mean[i];
    const low = c.min[i] ?? v;
    const pv = i > 0 ? (c.max[i - 1] ?? c.mean[i - 1]) : null;
    const dt = i > 0 ? c.t[i] - c.t[i - 1] : 0;
    rates.push(v === null || pv === null || v < pv || low < pv || !(dt > 0) ? null : ((v - pv) * 1000) / dt);
  }
  return { t: c.t.slice(), mean: rates, min: rates.slice(), max: rates.slice(), inc: c.t.map(() => null), n: c.t.map(() => null) };
}

/** SPACING_POINTS is how many of a ring's newest points lineSpacing reads. */
const SPACING_POINTS = 64;

/**
 * lineSpacing is a series' interval between samples (ms) as its newest
 * points in the stream show it (Ring.spacing: their median), what a
 * counter's step's increases are over (counterRates); 0 while unknown.
 * @param {{ring?: {length: number, spacing(from: number): number}|null}} st
 */
export function lineSpacing(st) {
  const ring = st && st.ring;
  return ring && ring.length > 1 ? ring.spacing(Math.max(0, ring.length - SPACING_POINTS)) : 0;
}

// stepRate is point i's own rate from its increase (see counterRates), or
// undefined when it carries none or the spacing is unknown.
function stepRate(c, i, spacingMs) {
  const n = c.n ? c.n[i] : null;
  if (!(spacingMs > 0) || !(n > 0) || c.mean[i] === null) return undefined;
  return (c.inc[i] * 1000) / (n * spacingMs);
}

// firstFrom is the index of the last point before from (so that a line
// enters the chart from its left edge), or 0.
function firstFrom(t, from) {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

/**
 * rangeTable is a line's chart table from time from on (unix ms, with the
 * point before): [times in unix s, mean, min, max].
 * @param {Columns} c
 * @param {number} from
 * @returns {[number[], (number|null)[], (number|null)[], (number|null)[]]}
 */
export function rangeTable(c, from) {
  const i = firstFrom(c.t, from);
  return [c.t.slice(i).map((t) => t / 1000), c.mean.slice(i), c.min.slice(i), c.max.slice(i)];
}

/**
 * ringColumns are a Ring's raw points within [from, to] (unix ms) as
 * columns: what the statistics of a span the stream holds are taken over,
 * without copying the rest of the ring.
 * @param {{length: number, timeAt(i: number): number, valueAt(i: number): number|null, lowerBound(t: number): number}|null} ring
 * @param {number} from
 * @param {number} to
 * @returns {Columns}
 */
export function ringColumns(ring, from, to) {
  const c = emptyColumns();
  if (!ring) return c;
  for (let i = ring.lowerBound(from); i < ring.length && ring.timeAt(i) <= to; i++) {
    const v = ring.valueAt(i);
    pushPoint(c, ring.timeAt(i), v, v, v);
  }
  return c;
}

/**
 * @typedef {{count: number, min: number|null, max: number|null, mean: number|null,
 *   rate?: number|null, increase?: number|null, latestRate?: number|null, resetAt?: number,
 *   samples: null, first: number, last: number|null, lastAt: number}} RangeStats
 * As a window's statistics in the stream (what a card shows), over a
 * range: count is the points (not the samples, which a step's aggregate
 * does not tell: samples is null); first the first point's time (0 for
 * none); last the last point's value (a counter's: its count, not a rate)
 * and lastAt its time (0 for none), what a card shows as its value when
 * the range is past. A counter's: its increase and rate over the time
 * its points cover (counterspan.js), latestRate the last rate within the
 * range as its chart draws it (counterRates), and resetAt when it last
 * started again lower (0: not within the range).
 */

/**
 * rangeStats sums up a line's points within [from, to] (unix ms) as a
 * card's statistics. A gauge: the lowest min, the highest max and the
 * mean of the means (the steps are even). A counter (its values, before
 * counterRates): the increase, reset-aware (after a reset the counter
 * counts from zero), and the rate it makes over the time its points
 * cover: points further apart than gapMs (gapSpan: a stretch without
 * data) add neither time nor increase, so that a range longer than the
 * history held, or with an outage in it, is not a rate spread over time
 * without samples. When every step carries its increase (counterRates)
 * and the spacing is known, the increase is theirs added up and the rate
 * it over the time their samples cover, so that a step the server ran for
 * only part of, or with a reset in it, counts what it holds.
 * @param {Columns} c
 * @param {number} from
 * @param {number} to
 * @param {boolean} counter
 * @param {number} [gapMs] gapSpan of the columns and their step; raw spacing without
 * @param {number} [spacingMs] the series' interval between samples (Ring.spacing); 0: unknown
 * @returns {RangeStats}
 */
export function rangeStats(c, from, to, counter, gapMs = gapSpan(c, 0), spacingMs = 0) {
  let count = 0;
  let sum = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let first = 0;
  let lastT = 0;
  let lastV = null;
  let inc = 0;
  let incs = 0; // sample-to-sample increases in inc; NaN once a step carries none
  for (let i = firstFrom(c.t, from); i < c.t.length && c.t[i] <= to; i++) {
    const t = c.t[i];
    const mean = c.mean[i];
    if (t < from || mean === null) continue;
    if (c.n && c.n[i] > 0) {
      inc += c.inc[i];
      incs += c.n[i];
    } else incs = NaN;
    count++;
    if (count === 1) first = t;
    lastT = t;
    lastV = counter ? (c.max[i] ?? mean) : mean;
    sum += mean;
    lo = Math.min(lo, c.min[i] ?? mean);
    hi = Math.max(hi, c.max[i] ?? mean);
  }
  const stats = {
    count,
    min: count ? lo : null,
    max: count ? hi : null,
    mean: count ? sum / count : null,
    samples: null,
    first,
    last: lastV,
    lastAt: lastT,
  };
  if (counter) {
    const cs = counterSpan(columnsPoints(c), from, to, gapMs);
    const own = spacingMs > 0 && incs > 0;
    stats.increase = own ? inc : cs.increase;
    stats.rate = own ? (inc * 1000) / (incs * spacingMs) : cs.rate;
    stats.resetAt = cs.resetAt;
    stats.latestRate = latestRate(c, from, to, spacingMs);
  }
  return stats;
}

// latestRate is a counter's last rate within [from, to] as its chart
// draws it (counterRates), null if there is none.
function latestRate(c, from, to, spacingMs) {
  const r = counterRates(c, spacingMs);
  for (let i = r.t.length - 1; i >= 0 && r.t[i] >= from; i--) {
    if (r.t[i] <= to && r.mean[i] !== null) return r.mean[i];
  }
  return null;
}

/**
 * firstSample is when a line's data over a range starts, to the sample:
 * first, the first point's time (rangeStats), is the start of its step
 * when the points are steps of a coarser tier (step ms, 0 for raw
 * samples), "12:00" for a line whose samples begin at 13:16 in a 6 h
 * step; the first sample the stream holds (since: SeriesState since),
 * when it falls within that step, is the line's own (but for a server
 * restarted within that step over older stored samples of it: the stream
 * starts at the restart). Else first, the step's start, which is as near
 * as the answer tells.
 * @param {number} first unix ms, 0 for none
 * @param {number} step ms
 * @param {number} since unix ms, 0 for none
 */
export function firstSample(first, step, since) {
  return first > 0 && step > 0 && since >= first && since < first + step ? since : first;
}
