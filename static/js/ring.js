// A ring buffer of time-ordered points, one per series. The client keeps
// only what the server keeps (hello's history_seconds), so a tab left open
// for days holds no more than one just opened: the ring is trimmed by time
// on every append and has a hard length cap besides.

import { gapAfter, medianGap } from "./gaps.js";

const MIN_CAPACITY = 64;

/**
 * Ring holds (t, v) points in time order: t in unix ms, v a number or null
 * (a gap, stored as NaN). Appending a point older than the newest is
 * refused (charts need sorted x); one at the same time replaces the value.
 */
export class Ring {
  /** @param {number} [maxLength] hard cap; the oldest point goes first */
  constructor(maxLength = 50000) {
    this.maxLength = Math.max(MIN_CAPACITY, maxLength);
    this.t = new Float64Array(MIN_CAPACITY);
    this.v = new Float64Array(MIN_CAPACITY);
    this.head = 0; // index of the oldest point
    this.length = 0;
    // version counts the changes to the points (push, trim, clear, a
    // snapshot's replace): spacing's memo holds for one version.
    this.version = 0;
    this.spacings = new Map(); // from index → spacing, at spacingsOf
    this.spacingsOf = -1;
  }

  /** capacity is the allocated size, for memory checks. */
  get capacity() {
    return this.t.length;
  }

  idx(i) {
    return (this.head + i) % this.t.length;
  }

  /** timeAt and valueAt read point i, 0 the oldest; value null for a gap. */
  timeAt(i) {
    return this.t[this.idx(i)];
  }

  valueAt(i) {
    const v = this.v[this.idx(i)];
    return Number.isNaN(v) ? null : v;
  }

  /** firstTime and lastTime are NaN when empty. */
  firstTime() {
    return this.length ? this.timeAt(0) : NaN;
  }

  lastTime() {
    return this.length ? this.timeAt(this.length - 1) : NaN;
  }

  /**
   * push appends a point; false if refused (older than the newest or not
   * a finite time).
   */
  push(t, v) {
    if (!Number.isFinite(t)) return false;
    const val = v === null || v === undefined ? NaN : Number(v);
    this.version++;
    if (this.length) {
      const last = this.lastTime();
      if (t < last) return false;
      if (t === last) {
        this.v[this.idx(this.length - 1)] = val;
        return true;
      }
    }
    if (this.length === this.t.length) {
      if (this.length >= this.maxLength) {
        this.head = (this.head + 1) % this.t.length; // overwrite the oldest
        this.length--;
      } else {
        this.resize(Math.min(this.t.length * 2, this.maxLength));
      }
    }
    const j = this.idx(this.length);
    this.t[j] = t;
    this.v[j] = val;
    this.length++;
    return true;
  }

  /** pushAll appends [[t, v], …] in order; returns how many were kept. */
  pushAll(points) {
    let n = 0;
    if (!Array.isArray(points)) return n;
    for (const p of points) {
      if (Array.isArray(p) && this.push(p[0], p[1])) n++;
    }
    return n;
  }

  /**
   * trimBefore drops points older than t and gives memory back once the
   * ring is mostly empty, so a burst does not stay allocated.
   */
  trimBefore(t) {
    let drop = 0;
    while (drop < this.length && this.timeAt(drop) < t) drop++;
    if (drop) {
      this.head = this.idx(drop);
      this.length -= drop;
      this.version++;
    }
    let cap = this.t.length;
    while (cap > MIN_CAPACITY && this.length < cap / 4) cap = Math.max(MIN_CAPACITY, Math.floor(cap / 2));
    if (cap !== this.t.length) this.resize(cap);
    return drop;
  }

  /** clear empties the ring and frees its memory. */
  clear() {
    this.t = new Float64Array(MIN_CAPACITY);
    this.v = new Float64Array(MIN_CAPACITY);
    this.head = 0;
    this.length = 0;
    this.version++;
  }

  resize(capacity) {
    const t = new Float64Array(capacity);
    const v = new Float64Array(capacity);
    for (let i = 0; i < this.length; i++) {
      const j = this.idx(i);
      t[i] = this.t[j];
      v[i] = this.v[j];
    }
    this.t = t;
    this.v = v;
    this.head = 0;
  }

  /** lowerBound is the index of the first point at or after t. */
  lowerBound(t) {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timeAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * replace makes the ring hold the given points (a snapshot), keeping
   * points of its own older than the first of them, with a gap between:
   * after a server restart the chart keeps what the page saw before.
   */
  replace(points) {
    const pts = Array.isArray(points) ? points : [];
    this.keepBefore(pts.length && Array.isArray(pts[0]) ? pts[0][0] : Infinity, pts.length);
    this.pushAll(pts);
  }

  /**
   * replaceColumns is replace for points given as columns (columns.js):
   * times in unix ms, values numbers or null. With breakAt > 0 a gap
   * (a null point a millisecond after the one before) goes before point
   * breakAt, as restartGap (store.js) puts one in a snapshot's points.
   * @param {ArrayLike<number>} times
   * @param {(number|null)[]} values
   * @param {number} [breakAt]
   */
  replaceColumns(times, values, breakAt = -1) {
    const n = Math.min(times.length, values.length);
    this.keepBefore(n ? times[0] : Infinity, n);
    // Room for them all at once, rather than doubling on the way.
    const need = Math.min(this.maxLength, this.length + n + 1);
    if (need > this.t.length) this.resize(need);
    for (let i = 0; i < n; i++) {
      if (i === breakAt && i > 0) this.push(times[i - 1] + 1, null);
      this.push(times[i], values[i]);
    }
  }

  // keepBefore keeps the points older than first, the time of the first
  // of n points to come, with a gap after them.
  keepBefore(first, n) {
    const keep = this.lowerBound(first);
    const lastKept = keep ? this.timeAt(keep - 1) : NaN;
    this.length = keep;
    this.version++;
    if (keep && n && this.valueAt(keep - 1) !== null && first > lastKept + 1) {
      this.push(lastKept + 1, null); // break the line across the outage
    }
  }

  /**
   * series returns the points from time `from` on (with the one before,
   * so a line enters the chart from its left edge) as uPlot data: x in
   * seconds, y with null for gaps.
   *
   * Points further apart than their usual spacing allows (gaps.js: the
   * median spacing of the points looked at) are a stretch without data:
   * two null points go between them, one spacing after the first and one
   * before the second, so that the line breaks and a pointer anywhere in
   * the stretch reads "no value" rather than a point on either side.
   *
   * With rateSpanMs > 0 the series is a counter and y is its rate per
   * second, taken over at least rateSpanMs (or the longest span available)
   * back from each point, so that jitter in the poll times does not show
   * as noise. A reset (the value going down) or a gap starts a new
   * segment: the rate is null at that point and never spans it.
   * @returns {[number[], (number|null)[]]}
   */
  series(from = -Infinity, rateSpanMs = 0) {
    const xs = [];
    const ys = [];
    if (!this.length) return [xs, ys];
    const start = Math.max(0, this.lowerBound(from) - 1);
    const rate = rateSpanMs > 0;
    const lookback = rate ? Math.max(0, this.lowerBound(this.timeAt(start) - rateSpanMs) - 1) : start;
    const spacing = this.spacing(lookback);
    const gap = gapAfter(spacing);
    let seg = lookback; // first index of the current run without reset or gap
    for (let i = lookback; i < this.length; i++) {
      const t = this.timeAt(i);
      const v = this.valueAt(i);
      let broken = false;
      if (i > lookback) {
        const pv = this.valueAt(i - 1);
        broken = v !== null && pv !== null && t - this.timeAt(i - 1) > gap;
        if (v === null || pv === null || v < pv || broken) seg = i;
      }
      if (i < start) continue;
      if (broken && i > start) {
        xs.push((this.timeAt(i - 1) + spacing) / 1000, (t - spacing) / 1000);
        ys.push(null, null);
      }
      xs.push(t / 1000);
      if (!rate) {
        ys.push(v);
      } else if (v === null || seg === i) {
        ys.push(null);
      } else {
        let j = i - 1;
        while (j > seg && t - this.timeAt(j) < rateSpanMs) j--;
        const dt = t - this.timeAt(j);
        ys.push(dt > 0 ? ((v - this.valueAt(j)) * 1000) / dt : null);
      }
    }
    return [xs, ys];
  }

  // spacing is the median time (ms) between neighbouring points from
  // index from on that both have a value (a null is a gap already, not a
  // spacing), 0 for fewer than two such pairs. Remembered until the points
  // change: a card's text and its chart ask it of each line's window
  // several times a tick (counterspan.js ringGap), a sort of the window's
  // steps each.
  spacing(from) {
    if (this.spacingsOf !== this.version) {
      this.spacings.clear();
      this.spacingsOf = this.version;
    }
    let s = this.spacings.get(from);
    if (s === undefined) {
      s = this.medianSpacing(from);
      this.spacings.set(from, s);
    }
    return s;
  }

  // medianSpacing is spacing, computed.
  medianSpacing(from) {
    const dts = new Float64Array(Math.max(0, this.length - from - 1));
    let n = 0;
    let pv = from < this.length ? this.valueAt(from) : null;
    for (let i = from + 1; i < this.length; i++) {
      const v = this.valueAt(i);
      if (v !== null && pv !== null) dts[n++] = this.timeAt(i) - this.timeAt(i - 1);
      pv = v;
    }
    return medianGap(dts.subarray(0, n));
  }
}
