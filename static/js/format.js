// Units guessed from metric names, and the number formatting of the whole
// page. Pure functions (but formatAgo, frozen at a pause: setAgoAsOf): no
// DOM, tested with `node --test static/test/`.

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const SI = ["", "k", "M", "G", "T", "P", "E"];

/**
 * unitOf guesses how to show a metric from its name (Prometheus naming:
 * the unit is the last word, `_total` marks a counter, `_per_second` a
 * value that is a rate already) and its kind.
 * @param {string} metric
 * @param {string} [kind] "gauge" or "counter"
 * @returns {{base: "bytes"|"seconds"|"percent"|"ratio"|"celsius"|"meters"|"volts"|"amperes"|"joules"|"grams"|"watts"|"hertz"|"plain",
 *   rate: boolean, perSecond: boolean}} rate: a counter, shown and charted
 *   as its rate per second; perSecond: the value reads "per second"
 */
export function unitOf(metric, kind) {
  let name = String(metric || "");
  const rate = kind === "counter" || name.endsWith("_total");
  if (name.endsWith("_total")) name = name.slice(0, -"_total".length);
  let perSecond = rate;
  if (name.endsWith("_per_second")) {
    name = name.slice(0, -"_per_second".length);
    perSecond = true;
  }
  const base = BASES.find((b) => name.endsWith(`_${b}`)) || "plain";
  return { base, rate, perSecond };
}

/**
 * SI_UNITS are the symbols of the Prometheus base units (and watts and
 * hertz) that take an SI prefix: 1500 metres read "1.50 km", per second
 * "m/s" (the unit kept, not the bare "/s").
 */
const SI_UNITS = { meters: "m", volts: "V", amperes: "A", joules: "J", grams: "g", watts: "W", hertz: "Hz" };

// BASES are the unit words unitOf knows, as the last word of a name.
const BASES = ["bytes", "seconds", "percent", "ratio", "celsius", ...Object.keys(SI_UNITS)];

/**
 * fixed renders x with about three significant digits, in a stable width:
 * 1234 → "1234", 123.4 → "123", 12.34 → "12.3", 1.234 → "1.23",
 * 0.01234 → "0.0123". Integers below 10000 stay exact.
 * @param {number} x
 */
export function fixed(x) {
  if (x === 0 || Object.is(x, -0)) return "0";
  if (Number.isInteger(x) && Math.abs(x) < 1e4) return String(x);
  return digits3(x);
}

// digits3 is fixed without its exact integers: three significant digits
// whatever x is (25 → "25.0").
function digits3(x) {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.001) return x.toPrecision(3);
  return x.toExponential(1);
}

/**
 * scaleFor picks the display unit for a magnitude: what to divide by, and
 * the unit's name (KiB, ms, k, …, with "/s" for rates).
 * @param {number} v
 * @param {{base: string, rate?: boolean, perSecond?: boolean}} unit from unitOf
 * @returns {{div: number, unit: string}}
 */
export function scaleFor(v, unit) {
  const per = unit && (unit.perSecond || unit.rate) ? "/s" : "";
  const a = Math.abs(v);
  const steps = (step, names) => {
    let i = 0;
    while (i < names.length - 1 && a >= step ** (i + 1)) i++;
    return { div: step ** i, unit: names[i] + per };
  };
  switch (unit && unit.base) {
    case "bytes":
      return steps(1024, BINARY);
    case "seconds":
      // Seconds per second are a share of the time, busy or spent: in
      // percent, as top and Netdata show CPU (200 % is two cores' worth).
      if (per) return { div: 0.01, unit: "%" };
      if (a === 0) return { div: 1, unit: "s" };
      if (a < 1e-3) return { div: 1e-6, unit: "µs" };
      if (a < 1) return { div: 1e-3, unit: "ms" };
      if (a < 120) return { div: 1, unit: "s" };
      if (a < 7200) return { div: 60, unit: "min" };
      return { div: 3600, unit: "h" };
    case "percent":
      return { div: 1, unit: "%" + per };
    case "ratio":
      return { div: 0.01, unit: "%" + per };
    case "celsius":
      return { div: 1, unit: "°C" + per };
    default: {
      const sym = SI_UNITS[unit && unit.base] || "";
      return steps(1000, sym ? SI.map((p) => p + sym) : SI);
    }
  }
}

/**
 * NOISE is the magnitude below which a value is float noise when nothing
 * is known of its series (a mean or a rate of zeros computed as 2.2e-11),
 * shown as 0. With the series' own magnitude known (formatValue's scale)
 * the bound is relative instead (NOISE_REL): a series of 1e-7 … 3e-7 is
 * data, not noise, and prints as such.
 */
export const NOISE = 1e-9;

/**
 * NOISE_REL is float noise as a fraction of the magnitude of the numbers
 * a figure was computed from: a rate of a counter at 1e5 between two equal
 * readings comes out as 1e5 × 2.2e-16 per second, a mean of 900 samples
 * errs by under 900 × 2.2e-16 of their size; 1e-12 is above both.
 */
export const NOISE_REL = 1e-12;

// denoise is v, or 0 where it is float noise: below NOISE_REL of scale
// when given, else below NOISE.
export const denoise = (v, scale) => (Math.abs(v) < (scale === undefined ? NOISE : NOISE_REL * Math.abs(scale)) ? 0 : v);

/**
 * formatValue renders a value in its guessed unit, as a number and a unit
 * shown apart (the unit is styled smaller). null, undefined and NaN are
 * "–"; float noise is 0: below NOISE_REL of scale, the magnitude of the
 * series (or, for a counter, of its total: the numbers its rate was
 * computed from), or without scale below NOISE.
 * @param {number|null|undefined} v
 * @param {{base: string, rate?: boolean, perSecond?: boolean}} unit from unitOf
 * @param {number} [scale] the series' magnitude (seriesScale)
 * @returns {{text: string, unit: string}}
 */
export function formatValue(v, unit, scale = undefined) {
  if (v === null || v === undefined || Number.isNaN(v)) return { text: "–", unit: "" };
  if (!Number.isFinite(v)) return { text: v > 0 ? "∞" : "−∞", unit: "" };
  v = denoise(v, scale);
  const s = scaleFor(v, unit);
  return { text: fixed(v / s.div), unit: s.unit };
}

/**
 * seriesScale is the magnitude of a series from figures of it (its min,
 * max, last value, a counter's total…): the largest finite |x|, for
 * formatValue's scale; undefined when none is finite.
 * @param {...(number|null|undefined)} xs
 * @returns {number|undefined}
 */
export function seriesScale(...xs) {
  let m;
  for (const x of xs) if (typeof x === "number" && Number.isFinite(x) && !(Math.abs(x) <= m)) m = Math.abs(x);
  return m;
}

export function joinUnit(text, unit) {
  if (!unit) return text;
  // Units that read as part of the number go without a space.
  return /^(%|°C)/.test(unit) ? text + unit : `${text} ${unit}`;
}

/** formatCompact is formatValue in one string; scale as formatValue's. */
export function formatCompact(v, unit, scale = undefined) {
  const f = formatValue(v, unit, scale);
  return joinUnit(f.text, f.unit);
}

/**
 * formatTicks renders an axis's tick values in one unit (chosen by the
 * largest) and with the decimals the step between ticks needs: exactly its
 * decimals when it has few (0.25 → 2), else enough that neighbouring
 * ticks never read the same.
 * @param {number[]} splits
 * @param {object} unit from unitOf
 * @param {number} [incr] the step between ticks; without it, fixed()
 */
export function formatTicks(splits, unit, incr) {
  const max = splits.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const s = scaleFor(max, unit);
  const step = incr > 0 ? incr / s.div : 0;
  // Noise is judged against the axis' own step (or its largest tick): a
  // tick a millionth of a step from 0 is 0, but an axis of a series of
  // 1e-7 has ticks of 1e-7, not noise.
  const noise = incr > 0 ? incr * 1e-6 : max * 1e-9;
  const render = (d, exp = false) =>
    splits.map((v) => {
      if (v === null || !Number.isFinite(v)) return "";
      if (Math.abs(v) < noise) v = 0;
      const x = v / s.div;
      if (exp) return joinUnit(x === 0 ? "0" : x.toExponential(d), s.unit);
      return joinUnit(d === null ? fixed(x) : x.toFixed(d), s.unit);
    });
  const clash = (out) => out.some((t, i) => i > 0 && t && t === out[i - 1]);
  if (!step) return render(null);
  if (max / s.div < 1e-3 && max > 0) {
    // An axis under a thousandth of its unit: in exponent form as the
    // card's figures (fixed), with the digits neighbours need to differ
    // (1.0e-5, 1.5e-5), not "0.000000".
    let e = 1;
    let out = render(e, true);
    while (e < 6 && clash(out)) out = render(++e, true);
    return out;
  }
  let d = 0;
  while (d < 4 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6 * 10 ** d) d++;
  if (d < 4) return render(d);
  d = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  let out = render(d);
  while (d < 6 && clash(out)) out = render(++d);
  return out;
}

/**
 * binaryIncrements are tick steps for byte axes: powers of two of each
 * binary unit, so that ticks fall on round KiB, MiB, … values.
 */
export function binaryIncrements() {
  const out = [];
  for (let k = 0; k < 7; k++) for (let m = 1; m < 1024; m *= 2) out.push(m * 1024 ** k);
  return out;
}

/**
 * formatMs renders a poll latency given in milliseconds.
 * @param {number|null|undefined} ms
 */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  return formatCompact(ms / 1000, { base: "seconds", rate: false });
}

const pad2 = (n) => String(n).padStart(2, "0");

/** formatClock renders a unix-ms time as local HH:MM:SS. */
export function formatClock(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * formatWhen renders a unix-ms time as formatClock does when it falls on
 * the local day of now, else with its date, "2026-11-27 14:05": a time of
 * a range days back reads as what it is.
 */
export function formatWhen(ms, now) {
  const d = new Date(ms);
  if (d.toDateString() === new Date(now).toDateString()) return formatClock(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * formatTick renders a time-axis tick, given the step between ticks (the
 * visible span picks the step, uPlot's axis the tick): steps of a day or
 * more read as dates, "Mon 30" (or "Nov 30" for steps of a week or more,
 * where the weekday tells nothing); shorter ones as times, HH:MM when the
 * ticks fall on whole minutes, HH:MM:SS when they do not, so that two
 * ticks never read the same, except at local midnight, which reads as its
 * date: a span over days shows which day each stretch of hours is.
 * @param {number} ms the tick, unix ms
 * @param {number} stepMs the step between ticks, ms
 */
export function formatTick(ms, stepMs) {
  const d = new Date(ms);
  if (stepMs >= 7 * DAY_MS) return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0 && d.getMilliseconds() === 0;
  if (stepMs >= DAY_MS || midnight) return `${WEEKDAYS[d.getDay()]} ${d.getDate()}`;
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return stepMs > 0 && stepMs % 60_000 === 0 ? hm : `${hm}:${pad2(d.getSeconds())}`;
}

/**
 * formatAt renders the time of a point or a marker on a chart whose view
 * spans spanMs, in the time axis' words (formatTick): the clock,
 * "14:05:12", over a view of less than a day; with the weekday and the
 * day, "Mon 30 14:05:12", over a day or more (the 24h range, a custom
 * range or a zoom over days), where a clock time alone may be any day's;
 * with the month and the day, to the minute, "Nov 30 14:05", over more
 * than a week (the 30d range), where the weekday tells nothing. Without
 * seconds (seconds false), "14:05", "Mon 30 14:05".
 * @param {number} ms the time, unix ms
 * @param {number} spanMs the view's length, ms (0 or less: a clock time)
 * @param {boolean} [seconds]
 */
export function formatAt(ms, spanMs, seconds = true) {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (spanMs > 7 * DAY_MS) return `${MONTHS[d.getMonth()]} ${d.getDate()} ${hm}`;
  const clock = seconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
  return spanMs >= DAY_MS ? `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${clock}` : clock;
}

/**
 * formatSpan renders a view [from, to] (unix ms), as the zoom's pill and
 * a zoom's statistics name it: its ends in formatAt's words for its
 * length, "14:02:10–14:09:40", over a day or more to the minute, "Mon 23
 * 14:05–Wed 25 09:00" (the pill shares the header's one row).
 * @param {number} from
 * @param {number} to
 */
export function formatSpan(from, to) {
  const span = to - from;
  return `${formatAt(from, span, span < DAY_MS)}–${formatAt(to, span, span < DAY_MS)}`;
}

/**
 * formatSpanShort is a view [from, to] (unix ms) as the header's pill
 * names it, in as few characters as tell it: within one day the clock
 * times, "14:02:10–14:09:40"; across midnight or over days, but within a
 * week, weekday and minute, "Sun 23:50–Mon 00:10", "Mon 10:02–Tue 09:58";
 * over more than a week the dates alone, "Nov 2–Nov 30". The pill says
 * the whole span (formatSpan) in its title.
 * @param {number} from
 * @param {number} to
 */
export function formatSpanShort(from, to) {
  const [a, b] = [new Date(from), new Date(to)];
  const span = to - from;
  if (span > 7 * DAY_MS) return `${MONTHS[a.getMonth()]} ${a.getDate()}–${MONTHS[b.getMonth()]} ${b.getDate()}`;
  const sameDay = a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  if (span < DAY_MS && sameDay) return `${formatAt(from, 0)}–${formatAt(to, 0)}`;
  const at = (d) => `${WEEKDAYS[d.getDay()]} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return `${at(a)}–${at(b)}`;
}

/**
 * TIME_INCRS are the steps the time axis may use, in seconds: round ones,
 * so that the ticks read 14:02:10, 14:02:20 and not 14:02:13, up to two
 * weeks, so that a 30-day span on a phone's chart still has ticks. No step
 * is more than 2.5 times the one before: see timeSpace.
 */
export const TIME_INCRS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 2 * 86400, 3 * 86400, 7 * 86400,
  14 * 86400,
];

/**
 * TIME_LABEL_PX is the least room a time tick's label is given, "00:00:00"
 * at 11 px in a narrow font: the charts measure the label in their own
 * font (timeLabelWidth) and use the wider.
 */
export const TIME_LABEL_PX = 48;

/** TIME_LABEL_GAP is the least room (CSS px) between two time labels. */
export const TIME_LABEL_GAP = 8;

/** TIME_LABEL_SAMPLES are the widest labels formatTick writes, one of each shape. */
export const TIME_LABEL_SAMPLES = ["00:00:00", "Wed 30", "May 30"];

/**
 * timeSpace is the least room (CSS px) between two time ticks on an axis
 * dim CSS px long: 70 px where there is room, a fifth of the axis on a
 * narrow one, so that it still has two ticks (the step picked is at most
 * 2.5 times the least that fits, TIME_INCRS), but never less than the
 * widest label (labelPx, measured in the chart's font; TIME_LABEL_PX at
 * least) and a gap: neighbouring labels never touch, whatever the font.
 * @param {number} dim
 * @param {number} [labelPx] the widest label's width, CSS px
 */
export function timeSpace(dim, labelPx = TIME_LABEL_PX) {
  const least = Math.max(TIME_LABEL_PX, labelPx) + TIME_LABEL_GAP;
  return Math.max(least, Math.min(70, dim / 5));
}

/**
 * timeLabelsShown says which time labels of an axis are drawn: those that
 * fit inside [0, width + right] (CSS px from the plot's left edge; right is
 * the chart's padding there), each centred on its tick (positions, in
 * ascending order) and halfPx wide on each side, and, left to right, at
 * least gap clear of the last one drawn (a narrow chart's finer ticks,
 * axes.js, label every other one or every third). A label reaching left
 * of the plot would run into the y axis' lowest label ("0%"), so it is
 * left out (its tick's grid line stays).
 * @param {number[]} positions
 * @param {number} halfPx
 * @param {number} width the plot's width, CSS px
 * @param {number} right
 * @param {number} [gap] the least room between two labels drawn, CSS px
 * @returns {boolean[]}
 */
export function timeLabelsShown(positions, halfPx, width, right, gap = 0) {
  let free = 0;
  return positions.map((x) => {
    const shown = x - halfPx >= free && x + halfPx <= width + right;
    if (shown) free = x + halfPx + gap;
    return shown;
  });
}

/**
 * formatAgo renders how long before now a unix-ms time was: "now", "4s
 * ago", "3 min ago", "2 h ago"; "never" for 0 or less.
 */
export function formatAgo(ms, now) {
  if (!ms || ms <= 0) return "never";
  if (agoAsOf > 0) return `${ago(ms, agoAsOf)}, as of ${formatClock(agoAsOf)}`;
  return ago(ms, now);
}

// agoAsOf is when the reader paused the page (unix ms), 0 while live:
// the one state of this file, set by the controller alone (setAgoAsOf).
let agoAsOf = 0;

/**
 * setAgoAsOf freezes formatAgo's times at t (unix ms): while the page is
 * paused its figures are those of the pause, and "now" or "16s ago" would
 * say something false a minute later; as of t they stay true without a
 * write per second ("16s ago, as of 13:16:59"). 0 lets them follow now
 * again. The controller calls it on pause and resume (choices.js).
 * @param {number} t
 */
export function setAgoAsOf(t) {
  agoAsOf = t > 0 ? t : 0;
}

function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 1) return "now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** formatLabels renders a label set as `k="v", …` (empty for none). */
export function formatLabels(labels) {
  if (!labels) return "";
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(", ");
}

/**
 * windowMs parses a window name from hello, as the server writes them:
 * "1m", "15m", "1h30m", "90s", "500ms". NaN if it is not one.
 */
export function windowMs(name) {
  const s = String(name);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  const mult = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
  let total = 0;
  let parts = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) return NaN;
    total += Number(m[1]) * mult[m[2]];
    parts++;
  }
  return parts ? total : NaN;
}
