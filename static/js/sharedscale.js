// One number format for figures read side by side: a card's statistics
// row (now, min, max, mean, p99 of one series) and a family's legend
// table. Formatted each on its own, "min 20.0ms | max 1.50s" changes unit
// inside a row and "min 0 | max 1.00 | mean 0.417" precision; formatted
// together they take the unit prefix and the decimals that suit the
// largest magnitude among them, as Grafana picks one unit for a panel:
// "min 0.02 s | max 1.50 s", "min 0.00 | max 1.00 | mean 0.42". Pure.

import { denoise, scaleFor } from "./format.js";

/**
 * @typedef {{text: string, unit: string, v?: number|null, u?: object, scale?: number, suffix?: string}} Figure
 * v, u and scale are what the figure was made from (figure), so that
 * shareFigures can write it again in a format shared with others; suffix
 * follows the unit ("since 14:02" after a counter's total).
 */

/**
 * formatShared writes values of one unit in one format: the display unit
 * (KiB, ms, k…) of the largest finite magnitude among them (scaleFor), and
 * the decimals that give that one three significant digits (≥ 100: none,
 * ≥ 10: one, ≥ 1: two, below 1 more); values that are all whole in the
 * base unit keep no decimals ("0", "498"). Under a thousandth of the unit
 * every value is written with the largest's exponent ("1.00e-7",
 * "3.00e-8"). null, undefined and NaN are "–" with no unit, ±Infinity "∞"
 * and "−∞"; neither counts towards the format. Float noise is 0, judged
 * against scale (format.js formatValue) or, without it, against the
 * largest value given. When that one format would round a non-zero value
 * off by more than a twentieth of it, up to two decimals more are taken
 * ("0.066 s" beside "4.090 s"); when even that would (a few KiB beside
 * GiB: "0.00 GiB"), each value is written in its own format instead.
 * @param {(number|null|undefined)[]} values
 * @param {object} unit from format.js unitOf
 * @param {number} [scale] the series' magnitude (format.js seriesScale)
 * @returns {{text: string, unit: string}[]}
 */
export function formatShared(values, unit, scale = undefined) {
  return tryShared(values, unit, scale, false);
}

// LOSS is the most a shared format may round a member off, relative to
// it: past it (a few KiB/s beside GiB/s read "0 GiB/s", 600 MiB beside
// 100 GiB "1 GiB") the members are written each in its own format.
const LOSS = 0.05;

// tryShared is formatShared; with strict it returns null instead when
// the shared format rounds a non-zero member off by more than LOSS of
// it, and without, it then writes each member in its own format.
function tryShared(values, unit, scale, strict) {
  // One pass for the largest, one for the noise and the whole values, one
  // to write: a card's row is formatted at every update of the card.
  let big = -1;
  for (const v of values) if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) > big) big = Math.abs(v);
  const judge = scale === undefined ? (big >= 0 ? big : undefined) : scale;
  let max = 0;
  let whole = true;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    const x = denoise(v, judge);
    if (Math.abs(x) > max) max = Math.abs(x);
    if (whole && !Number.isInteger(x)) whole = false;
  }
  const s = scaleFor(max, unit);
  const m = max / s.div;
  whole &&= s.div === 1;
  const exp = m > 0 && m < 1e-3 ? Math.floor(Math.log10(m)) : null;
  let decimals = whole || m === 0 ? 0 : m >= 100 ? 0 : m >= 10 ? 1 : m >= 1 ? 2 : 2 - Math.floor(Math.log10(m));
  if (exp === null && values.length > 1) {
    // Up to two decimals more when a smaller member would be rounded off
    // by more than LOSS ("0.066 s" beside "4.090 s", not "0.07 s"); past
    // that, one format would misstate it.
    const fits = (d) => values.every((v) => {
      if (typeof v !== "number" || !Number.isFinite(v)) return true;
      const x = denoise(v, judge) / s.div;
      return x === 0 || Math.abs(Number(x.toFixed(d)) - x) <= LOSS * Math.abs(x);
    });
    let d = decimals;
    while (d <= decimals + 2 && !fits(d)) d++;
    if (d > decimals + 2) {
      if (strict) return null;
      return values.map((w) => tryShared([w], unit, scale, false)[0]);
    }
    decimals = d;
  }
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || Number.isNaN(v)) out[i] = { text: "–", unit: "" };
    else if (!Number.isFinite(v)) out[i] = { text: v > 0 ? "∞" : "−∞", unit: "" };
    else {
      const x = denoise(v, judge) / s.div;
      out[i] = { text: unsign(exp === null ? x.toFixed(decimals) : `${(x / 10 ** exp).toFixed(2)}e${exp}`), unit: s.unit };
    }
  }
  return out;
}

// unsign drops the sign of a negative value that rounds to zero: "-0.00"
// beside "1.00" reads as a value below zero.
function unsign(t) {
  return /^-0(\.0+)?$/.test(t) ? t.slice(1) : t;
}

/**
 * figure is one value formatted on its own (as format.js formatValue),
 * carrying what it was made from so that shareFigures can give it a
 * format shared with the figures beside it.
 * @param {number|null|undefined} v
 * @param {object} unit from unitOf
 * @param {number} [scale] the series' magnitude
 * @returns {Figure}
 */
export function figure(v, unit, scale = undefined) {
  const [f] = formatShared([v], unit, scale);
  return { ...f, v, u: unit, scale };
}

/**
 * figures are values formatted together (formatShared), each carrying
 * what it was made from, as figure's: one pass where figure for each and
 * shareFigures would take two.
 * @param {(number|null|undefined)[]} values
 * @param {object} unit from unitOf
 * @param {number} [scale] the series' magnitude
 * @returns {Figure[]}
 */
export function figures(values, unit, scale = undefined) {
  return formatShared(values, unit, scale).map((f, i) => ({ ...f, v: values[i], u: unit, scale }));
}

/**
 * shareFigures writes figures (figure) in one format: that of
 * formatShared over their values, in the unit of the first, their noise
 * judged against the largest of their scales. A figure with no value
 * behind it (no u: a count of samples, a text) is kept as it is; a
 * figure's suffix stays after its unit. The figures given are not changed.
 * @param {Figure[]} figs
 * @returns {Figure[]}
 */
export function shareFigures(figs) {
  return shareOrNull(figs, false);
}

// shareOrNull is shareFigures; with strict, null when one format would
// round a member off by more than LOSS (tryShared).
function shareOrNull(figs, strict) {
  const own = figs.filter((f) => f.u);
  if (own.length < 2) return figs; // one figure is in its own format already
  const scales = own.map((f) => f.scale).filter((x) => typeof x === "number" && Number.isFinite(x));
  const scale = scales.length ? Math.max(...scales.map(Math.abs)) : undefined;
  const out = tryShared(
    own.map((f) => f.v),
    own[0].u,
    scale,
    strict,
  );
  if (out === null) return null;
  let i = 0;
  return figs.map((f) => {
    if (!f.u) return f;
    const g = out[i++];
    return { ...f, text: g.text, unit: f.suffix && g.text !== "–" ? [g.unit, f.suffix].filter(Boolean).join(" ") : g.unit };
  });
}

/**
 * shareTable gives a table of figures (rows of cells) one format per
 * group of columns (groups: lists of column indexes): every cell of a
 * group's columns, in every row, shares shareFigures' format, unless that
 * format would round a cell off by more than a twentieth of it; then each
 * row's cells of the group share one of their own. A gauge
 * card's columns (now, min, max, mean) are one group; a counter's rates
 * (now, mean rate) one, its increase and its total each their own.
 * @param {Figure[][]} rows
 * @param {number[][]} groups
 * @returns {Figure[][]}
 */
export function shareTable(rows, groups) {
  const out = rows.map((r) => [...r]);
  for (const cols of groups) {
    const at = [];
    for (let r = 0; r < rows.length; r++) for (const c of cols) if (c < rows[r].length) at.push([r, c]);
    const shared = shareOrNull(
      at.map(([r, c]) => rows[r][c]),
      true,
    );
    if (shared) {
      at.forEach(([r, c], i) => (out[r][c] = shared[i]));
      continue;
    }
    // Lines of sizes too far apart for one format (a loopback's GiB/s
    // beside an interface's KiB/s): each row in a format of its own.
    for (let r = 0; r < rows.length; r++) {
      const mine = cols.filter((c) => c < rows[r].length);
      const f = shareFigures(mine.map((c) => rows[r][c]));
      mine.forEach((c, i) => (out[r][c] = f[i]));
    }
  }
  return out;
}

/**
 * columnGroups are the groups of a card's columns that share a format
 * (shareTable): a gauge's now, min, max, mean and p99 (4) all of one
 * quantity; a counter's rate now and mean rate, then its increase over
 * the window, then its total since it started, three quantities whose
 * sizes need not be alike (an increase of 50 beside a total of 1.8 M
 * would read "0.00 M").
 * @param {boolean} rate a counter's card
 */
export function columnGroups(rate) {
  return rate ? [[0, 1], [2], [3]] : [[0, 1, 2, 3, 4]];
}
