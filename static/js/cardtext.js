// A metric card's figures in words (cards.js): since when its statistics
// are, a stale series' note, a counter's increase over the window, why a
// statistic is missing. Pure.

import { counterSpan, ringGap } from "./counterspan.js";
import { formatAt, formatClock, seriesScale } from "./format.js";
import { figure } from "./sharedscale.js";

/**
 * coverageSince says since when a card's statistics are, "14:02:10"
 * ("Mon 30 14:02" over a span of a day or more: clockIn), when that is later than the
 * window's start (with a little slack for the time between samples); ""
 * when they cover the window.
 * @param {number[]} sinces each line's first point held by the server, unix ms (0: unknown)
 * @param {number} spanMs the window
 * @param {number} now the server's time, unix ms
 */
export function coverageSince(sinces, spanMs, now) {
  const known = sinces.filter((t) => t > 0);
  if (!now || !spanMs || !known.length) return "";
  const since = Math.max(...known);
  if (since <= now - spanMs + sinceSlack(spanMs)) return "";
  return clockIn(since, spanMs);
}

// sinceSlack is how near (ms) to a window's start its data may begin and
// still cover it, and how near to the data's start a gap is the start's
// own: the time between samples, and a restart's break placed when the
// page heard of it.
function sinceSlack(spanMs) {
  return Math.max(2000, spanMs * 0.02);
}

// clockIn is a time in a card's caption over a window or span spanMs
// long: the clock to the second within a day, whatever the window, so
// that switching windows does not rewrite one time in another form; over
// a day or more the day and the minute (formatAt), where the stored
// history's points are minutes and hours.
function clockIn(ms, spanMs) {
  return formatAt(ms, spanMs, spanMs < 86_400_000);
}

/**
 * gapWithin is the time of the latest gap among a ring's points after
 * from and up to to (unix ms), or 0 if there is none: a null point (the
 * server restarted, or the series' data stopped and came back), or two
 * neighbouring points further apart than the chart's rule (ringGap: a
 * stretch the chart draws as a gap, such as a restart's downtime in the
 * stored history), then the last point before it. It reads from the
 * newest point back, so it costs the window's points.
 * @param {import("./ring.js").Ring} ring
 * @param {number} from
 * @param {number} to
 * @param {number} [limit] ringGap(ring, from), when the caller has it
 */
export function gapWithin(ring, from, to, limit = ring && ring.length ? ringGap(ring, from) : Infinity) {
  if (!ring || !ring.length) return 0;
  let next = NaN; // the time of the point after i, NaN for none or a null
  for (let i = ring.length - 1; i >= 0; i--) {
    const t = ring.timeAt(i);
    if (t <= from) break;
    const isNull = ring.valueAt(i) === null;
    if (t <= to) {
      if (isNull) return t;
      if (next - t > limit) return t;
    }
    next = isNull ? NaN : t;
  }
  return 0;
}

/**
 * stretchStart is when the data a ring holds in the window from time from
 * on starts, when that is after a stretch without data (a null point, or
 * neighbouring points further apart than the chart's rule, counterspan.js
 * ringGap: the server was down across the window's start, its history of
 * the run before kept in the ring); 0 when the data reaches back to from.
 * A window after a restart whose earlier run's points all lie before it
 * holds less than the window although the series' first point is older.
 * @param {import("./ring.js").Ring|null} ring
 * @param {number} from unix ms
 * @param {number} [limit] ringGap(ring, from), when the caller has it
 */
export function stretchStart(ring, from, limit) {
  if (!ring || !ring.length) return 0;
  let j = ring.lowerBound(from);
  while (j < ring.length && ring.valueAt(j) === null) j++;
  if (j >= ring.length || j === 0) return 0;
  const t = ring.timeAt(j);
  if (ring.valueAt(j - 1) === null || j > ring.lowerBound(from)) return t;
  return t - ring.timeAt(j - 1) > (limit ?? ringGap(ring, from)) ? t : 0;
}

/**
 * coverageCaption is what a card says its statistics cover, when not the
 * whole window: {text: "Statistics since 14:02", title: why}, or "Includes
 * a gap at 14:02:10" when the window holds the server's restart or an
 * outage (its rate and increase count the time without data); text ""
 * when they cover the window; a line's data starts at its first point held
 * or after a stretch without data across the window's start (stretchStart),
 * whichever is later. Over a range (range set), only since when.
 * @param {{since: number, ring: import("./ring.js").Ring}[]} series the card's lines
 * @param {string} windowName
 * @param {number} spanMs
 * @param {number} now the server's time, unix ms (0: unknown)
 * @param {{stats: Map<string, {first?: number}>, to: number}} [range]
 * @returns {{text: string, title: string}}
 */
export function coverageCaption(series, windowName, spanMs, now, range) {
  const from = now - spanMs;
  // The chart's gap rule (a median of the window's spacings, a sort) once a line, for both uses.
  const limits = range ? [] : series.map((s) => (s.ring && s.ring.length ? ringGap(s.ring, from) : Infinity));
  const sinces = series.map((s, i) => (range ? (range.stats.get(s.id) || {}).first : Math.max(s.since || 0, stretchStart(s.ring, from, limits[i]))) || 0);
  const since = coverageSince(sinces, spanMs, range ? range.to : now);
  const gap = range || !now || !spanMs ? 0 : Math.max(0, ...series.map((s, i) => gapWithin(s.ring, from, now, limits[i])));
  if (since) {
    const why = range ? `The stored history starts after the range's start (${windowName}).` : `The server holds less than the ${windowName} window: a young series, or the server restarted.`;
    // A gap after the start: both, the window holding less and a stretch
    // without data in it. One before the start, or at it (the restart's
    // own break, placed when the page heard of it), is what "since" says.
    if (gap > Math.max(0, ...sinces) + sinceSlack(spanMs)) return { text: `Statistics since ${since}, with a gap at ${clockIn(gap, spanMs)}`, title: `${why} The window holds a stretch without data too: a rate and an increase are over the time with data.` };
    return { text: `Statistics since ${since}`, title: why };
  }
  if (!gap) return { text: "", title: "" };
  return {
    text: `Includes a gap at ${clockIn(gap, spanMs)}`,
    title: `The ${windowName} window holds a stretch without data (the server restarted, or the source stopped): a rate and an increase are over the time with data, a total counts from a restart.`,
  };
}

/** staleText says since when a stale series is stale: "stale since 14:02:11". */
export function staleText(st) {
  return `stale since ${formatClock(st.staleSince)}`;
}

// samplesOf is a window's count of samples; a range's aggregates do not tell (samples null).
export function samplesOf(w) {
  return w.samples === undefined ? w.count : w.samples;
}

/** joined is a formatted figure with its unit, "42 %". */
export function joined(f) {
  return f.unit ? `${f.text} ${f.unit}` : f.text;
}

/**
 * valueAtTime is what a line's chart would read at time t (unix ms) from
 * a ring: the value of its last point at or before t, or for a counter
 * (rate) the rate from the point before to that one, as currentRate;
 * null before the first point, at a gap or a reset, or when that point
 * is a gap's distance before t (counterspan.js ringGap). The hover reads
 * the rows a chart does not draw (an aggregate: a "total") by it.
 * @param {import("./ring.js").Ring|null} ring
 * @param {number} t
 * @param {boolean} rate
 */
export function valueAtTime(ring, t, rate) {
  if (!ring || !ring.length) return null;
  const i = ring.lowerBound(t + 1) - 1;
  if (i < 0) return null;
  const v = ring.valueAt(i);
  if (v === null || t - ring.timeAt(i) > ringGap(ring, ring.timeAt(i))) return null;
  if (!rate) return v;
  if (i < 1) return null;
  const pv = ring.valueAt(i - 1);
  const dt = ring.timeAt(i) - ring.timeAt(i - 1);
  if (pv === null || v < pv || !(dt > 0) || dt > ringGap(ring, ring.timeAt(i - 1))) return null;
  return ((v - pv) * 1000) / dt;
}

/**
 * windowSpan is a counter's figures over the live window (spanMs up to
 * end, unix ms) from the points the page holds (counterspan.js): its
 * increase and mean rate over the time its data covers, gaps left out.
 * When the ring holds fewer than two points of the window, the server's
 * rate stands in (w.rate: its increase over the time its samples cover,
 * likewise), with no increase.
 * @param {{ring: import("./ring.js").Ring, last?: [number, number]|null}} s
 * @param {{rate?: number|null}} w the window's statistics from the server
 * @param {number} spanMs
 * @param {number} end
 * @returns {import("./counterspan.js").CounterSpan}
 */
export function windowSpan(s, w, spanMs, end) {
  const ring = s.ring;
  const to = end || (s.last ? s.last[0] : 0);
  const cs = ring && ring.length > 1 ? counterSpan(ring, to - spanMs, to, ringGap(ring, to - spanMs)) : counterSpan(null, 0, 0, 0);
  if (cs.rate === null && cs.increase === null && w && w.rate !== null && w.rate !== undefined) cs.rate = w.rate;
  return cs;
}

/**
 * counterFigures are a counter line's figures in a card's columns: its
 * rate (now: between its last two points; over a range: the latest rate
 * in it, latestRate), its mean rate and increase over the time its data
 * covers, and its total (its value) — "since HH:MM" when the counter
 * started again within the span, so that a total below the increase is
 * never read as over the same time. Over a range or a zoom (at: the time
 * of the span's last point) the total is the count as of that point,
 * which is not the span's end nor now, and the statistics' caption
 * ("Statistics since …") is not its span either (it counts from the
 * counter's own start): it says "at HH:MM" (the day too over a day or
 * more), a restart within the span "since HH:MM".
 * @param {{rate: number|null, increase: number|null, resetAt: number}} span the window's (windowSpan) or range's (rangeStats) figures
 * @param {number|null} now the rate shown as the value
 * @param {number|null} total the counter's value
 * @param {object} unit from unitOf
 * @param {number} spanMs the window, for the clock's precision
 * @param {number} [at] over a range or zoom, the time of the total (unix ms); 0 live
 */
export function counterFigures(span, now, total, unit, spanMs, at = 0) {
  const plain = { ...unit, rate: false, perSecond: false };
  // Rates and increases are differences of totals: their float noise is
  // relative to the total's size, not to their own.
  const scale = seriesScale(total, span.increase);
  const t = figure(total, plain);
  const when = span.resetAt ? `since ${clockIn(span.resetAt, spanMs)}` : at > 0 ? `at ${clockIn(at, spanMs)}` : "";
  if (when && total !== null) Object.assign(t, { unit: [t.unit, when].filter(Boolean).join(" "), suffix: when });
  return [figure(now, unit, scale), figure(span.rate, unit, scale), figure(span.increase, plain, scale), t];
}

/**
 * currentRate is a counter's rate now, per second: its increase between
 * its last two points over the time between them, as the chart's last
 * point; null with fewer than two points, or across a gap or a reset (the
 * value going down), which the chart does not draw across either. The
 * window's rate (the server's) is its mean, which gaps and resets pull
 * below what the counter does now.
 * @param {{ring: import("./ring.js").Ring}} s
 */
export function currentRate(s) {
  const ring = s.ring;
  if (!ring || ring.length < 2) return null;
  const n = ring.length;
  const v = ring.valueAt(n - 1);
  const pv = ring.valueAt(n - 2);
  const dt = ring.timeAt(n - 1) - ring.timeAt(n - 2);
  if (v === null || pv === null || v < pv || !(dt > 0)) return null;
  return ((v - pv) * 1000) / dt;
}

// UNRANGED says, by statistic, why a lone card shows none over a zoom or
// a history range: the server computes them over its live windows, from
// every sample; a span's figures come from points, a stored step's being
// its mean, min and max.
export const UNRANGED = {
  p99: "No p99 over a zoom or a range: a percentile needs every sample, and the server computes it over the live windows only (a stored step keeps its mean, min and max).",
  samples: "No count of samples over a zoom or a range: a stored step does not say how many samples it holds (the server counts them over the live windows only).",
};

/**
 * whyMissing is the few words a lone card writes beside a statistic shown
 * "–" that it cannot have, so that the reader need not hover to learn why
 * (UNRANGED, in the title, says it whole): a percentile or a count of
 * samples over a zoom or a history range, a counter's mean rate or
 * increase from a single sample. "" for a figure shown, or missing only
 * because the window holds no sample.
 * @param {string} name the statistic's name, as the card heads it
 * @param {string} text the figure as shown
 * @param {object} w the line's statistics (statsOf)
 * @param {boolean} ranged over a zoom or a history range
 */
export function whyMissing(name, text, w, ranged) {
  if (text !== "–") return "";
  if (ranged) return UNRANGED[name] ? "live only" : "";
  if ((name === "mean rate" || name === "increase") && samplesOf(w) === 1) return "needs 2 samples";
  return "";
}
