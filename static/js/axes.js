// A chart's axes (charts.js): the time axis' steps, spacing and labels,
// the value axis' width and labels, and the value scale's range. Pure but
// for the measuring of labels on the chart's own canvas.

import { TIME_INCRS, TIME_LABEL_GAP, TIME_LABEL_SAMPLES, binaryIncrements, formatTick, formatTicks, timeLabelsShown, timeSpace } from "./format.js";

const BINARY_INCRS = binaryIncrements();

/** AXIS_FONT is the charts' axis font. */
export const AXIS_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** PAD_RIGHT is the room (CSS px) on a chart's right for the last time label, centred on its tick. */
export const PAD_RIGHT = 26;

/**
 * axesOf are a chart's two uPlot axes, on the common style base: time,
 * with labels kept apart and clear of the y axis, and values in the
 * chart's unit. The time axis' labels are kept on e.xTicks for showTicks.
 * @param {{unit: object, xTicks?: object}} e the chart's entry
 * @param {object} axis the style both axes share
 */
export function axesOf(e, axis) {
  return [
    {
      ...axis,
      // Room for the widest label in this font and a gap: labels never
      // touch; and at least two on a narrow chart.
      space: (u, axisIdx, min, max, dim) => timeSpaceOf(u, max - min, dim, min),
      size: 22,
      incrs: TIME_INCRS,
      // A label that would reach past the plot's left edge (into the y
      // axis' "0%") or its right padding is not drawn.
      filter: (u, splits) => {
        const step = splits.length > 1 ? splits[1] - splits[0] : 0;
        const shown = timeLabelsShown(
          splits.map((s) => u.valToPos(s, "x")),
          timeLabelWidth(u, step >= 60) / 2,
          u.bbox.width / devicePixelRatio,
          PAD_RIGHT,
          TIME_LABEL_GAP,
        );
        return splits.map((s, i) => (shown[i] ? s : null));
      },
      values: (u, splits, axisIdx, space, incr) => {
        const labels = splits.map((s) => (s === null ? null : formatTick(s * 1000, incr * 1000)));
        e.xTicks = { splits: splits.filter((s) => s !== null), labels: labels.filter((l) => l !== null) };
        return labels;
      },
    },
    {
      ...axis,
      space: 24,
      size: axisSize,
      incrs: e.unit.base === "bytes" ? BINARY_INCRS : undefined,
      values: (u, splits, axisIdx, space, incr) => formatTicks(splits, e.unit, incr),
    },
  ];
}

/**
 * padRange gives the y scale some air: 8% of the span each side. A flat
 * line, or one that moves by less than NEAR_FLAT of its size (float noise,
 * a counter's rate jittering by a part in a thousand), is centred in ±10%
 * of its value (±1 around 0) rounded to three significant digits (a shift
 * of at most 0.5%, well inside the pad): ticks
 * 25 / 27 / 29 and not 26.9990 / 26.9995 / 27.0000 for a rate of 27/s. A
 * non-negative series keeps 0 as its floor rather than going below.
 */
export function padRange(min, max) {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const size = Math.max(Math.abs(min), Math.abs(max));
  if (max - min <= size * NEAR_FLAT) {
    const mid = Number(((min + max) / 2).toPrecision(3));
    const d = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    return [min >= 0 && mid - d < 0 ? 0 : mid - d, mid + d];
  }
  const pad = (max - min) * 0.08;
  const lo = min >= 0 && min - pad < 0 ? 0 : min - pad;
  return [lo, max + pad];
}

/** NEAR_FLAT is the spread, as a fraction of a line's size, below which padRange draws it as flat. */
export const NEAR_FLAT = 0.01;

/**
 * withThresholds widens a data range [min, max] to take in the alerts'
 * thresholds, so that a threshold line is in view; with no data (null
 * bounds) the thresholds alone are the range.
 * @param {number|null} min
 * @param {number|null} max
 * @param {{value: number}[]} thresholds
 * @returns {[number|null, number|null]}
 */
export function withThresholds(min, max, thresholds) {
  for (const { value } of thresholds) {
    if (!Number.isFinite(value)) continue;
    min = min === null || !Number.isFinite(min) || value < min ? value : min;
    max = max === null || !Number.isFinite(max) || value > max ? value : max;
  }
  return [min, max];
}

/**
 * withNeighbours widens a value range [min, max] (uPlot's: of the points
 * within the x range) to take in the segments that cross the range's
 * edges: each shown line's last point before the range and first after it
 * are joined to the points inside (or to each other, a zoom between two
 * samples) and drawn, and a range of the inner points alone sent them out
 * through the plot's top or bottom (a tiny zoom: trial 12 r9, finding 5).
 * Hidden lines (solo, filter) count for nothing, as uPlot's own range.
 * @param {{data: (number|null|undefined)[][], series: {show?: boolean, scale?: string}[]}} u
 * @param {number} from the x range's start, in the x data's unit (s)
 * @param {number} to its end
 * @param {number|null} min
 * @param {number|null} max
 * @returns {[number|null, number|null]}
 */
export function withNeighbours(u, from, to, min, max) {
  const xs = u.data[0];
  if (!xs || xs.length < 2) return [min, max];
  // The segments across the edges: (first - 1, first) with first the
  // first point after from, and (last, last + 1) with last the last point
  // before to. A point on an edge is inside; the segment beyond it is not
  // drawn in the plot.
  const first = lowerBound(xs, from, true);
  const last = lowerBound(xs, to) - 1;
  const take = (v) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    if (min === null || !Number.isFinite(min) || v < min) min = v;
    if (max === null || !Number.isFinite(max) || v > max) max = v;
  };
  for (let i = 1; i < u.data.length; i++) {
    const s = u.series[i];
    if (!s || s.show === false || (s.scale || "y") !== "y") continue;
    const ys = u.data[i];
    // A segment is drawn when both its ends are points (null is a gap).
    for (const [a, b] of [[first - 1, first], [last, last + 1]]) {
      if (a < 0 || b >= xs.length || ys[a] === null || ys[a] === undefined || ys[b] === null || ys[b] === undefined) continue;
      take(ys[a]);
      take(ys[b]);
    }
  }
  return [min, max];
}

// lowerBound is the index of the first x at or after t (after t: past),
// xs sorted; xs.length when none is.
function lowerBound(xs, t, past = false) {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < t || (past && xs[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// axisSize fits the y axis to its longest label (uPlot's own recipe).
function axisSize(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  let size = axis.gap + 6;
  const longest = (values || []).reduce((a, v) => (v.length > a.length ? v : a), "");
  if (longest) size += textWidth(u, axis.font[0], longest) / devicePixelRatio;
  return Math.ceil(size);
}

// textWidth is text's width in font (device px), remembered by font and
// text, and measured on a canvas of its own: a chart's canvas given its
// font in the middle of a redraw made Chromium restyle the page there and
// then, at every redraw of every chart (the labels of an axis seldom
// change). Where there is no canvas to make (the tests), the chart's.
const widths = new Map();
const WIDTHS_KEPT = 2000;
let measurer;
function textWidth(u, font, text) {
  const key = `${font}\u0000${text}`;
  let w = widths.get(key);
  if (w !== undefined) return w;
  if (measurer === undefined) {
    const canvas = globalThis.document && document.createElement("canvas");
    measurer = (canvas && canvas.getContext && canvas.getContext("2d")) || null;
  }
  const ctx = measurer || u.ctx;
  ctx.font = font;
  w = ctx.measureText(text).width;
  if (widths.size >= WIDTHS_KEPT) widths.clear();
  widths.set(key, w);
  return w;
}

/**
 * timeSpaceOf is the least room (CSS px) between the time ticks of a chart
 * whose axis is dim CSS px long and spans spanS seconds from min (unix s;
 * uPlot's space). Steps of a minute or more write "14:05", not
 * "14:05:00": where the step the shorter labels allow is still a whole
 * minute, their width is the one that counts, so that a narrow one-hour
 * chart gets labels every 15 minutes (four) rather than every 30 with one
 * drawn. Where the step that gives would have fewer than two labels
 * drawn (a one-minute chart 170 px wide, ticks every 30 s, the outer two
 * too near the plot's edges), a finer step is taken, the finest that
 * has two, its labels thinned by the axis' filter (timeLabelsShown).
 * @param {any} u the uPlot instance (its axis font, its canvas to measure on)
 * @param {number} spanS
 * @param {number} dim
 * @param {number} [min] the axis' start; none: no check of the labels drawn
 */
export function timeSpaceOf(u, spanS, dim, min) {
  const wide = timeSpace(dim, timeLabelWidth(u));
  if (!(spanS > 0) || !(dim > 0)) return wide;
  // timeSpace's floor is for "00:00:00"; a shorter label needs only its own width and the gap.
  const short = Math.max(timeLabelWidth(u, true) + TIME_LABEL_GAP, Math.min(70, dim / 5));
  const step = TIME_INCRS.find((incr) => (incr * dim) / spanS >= short);
  const space = step !== undefined && step >= 60 ? short : wide;
  if (!Number.isFinite(min)) return space;
  const at = TIME_INCRS.findIndex((incr) => (incr * dim) / spanS >= space);
  if (at < 0 || labelsDrawn(u, min, spanS, dim, TIME_INCRS[at]) >= 2) return space;
  // Steps closer than FINEST_TICK_PX are no use (and many).
  for (let i = at - 1; i >= 0 && (TIME_INCRS[i] * dim) / spanS >= FINEST_TICK_PX; i--) {
    // Just under the step's own spacing, so that uPlot picks this step and no coarser.
    if (labelsDrawn(u, min, spanS, dim, TIME_INCRS[i]) >= 2) return ((TIME_INCRS[i] * dim) / spanS) * (1 - 1e-9);
  }
  return space;
}

// FINEST_TICK_PX is the least room between ticks timeSpaceOf goes down to for a second label.
const FINEST_TICK_PX = 4;

// labelsDrawn is how many labels the time axis' filter keeps with ticks every incr seconds.
function labelsDrawn(u, min, spanS, dim, incr) {
  const positions = [];
  for (let t = Math.ceil(min / incr) * incr; t <= min + spanS; t += incr) positions.push(((t - min) / spanS) * dim);
  return timeLabelsShown(positions, timeLabelWidth(u, incr >= 60) / 2, dim, PAD_RIGHT, TIME_LABEL_GAP).filter(Boolean).length;
}

// SHORT_LABEL_SAMPLES are the widest labels formatTick writes for steps of a minute or more.
const SHORT_LABEL_SAMPLES = TIME_LABEL_SAMPLES.map((l) => (l === "00:00:00" ? "00:00" : l));

// timeLabelWidth is the widest time label (TIME_LABEL_SAMPLES; minutes:
// those of steps of a minute or more) in the chart's axis font, CSS px,
// measured once per font, pixel ratio and shape.
const labelWidths = new Map();
function timeLabelWidth(u, minutes = false) {
  const font = u.axes[0].font[0];
  const key = `${font}\u0000${devicePixelRatio}\u0000${minutes}`;
  let w = labelWidths.get(key);
  if (w === undefined) {
    u.ctx.save();
    u.ctx.font = font;
    const samples = minutes ? SHORT_LABEL_SAMPLES : TIME_LABEL_SAMPLES;
    w = Math.max(...samples.map((l) => u.ctx.measureText(l).width)) / devicePixelRatio;
    u.ctx.restore();
    labelWidths.set(key, w);
  }
  return w;
}

