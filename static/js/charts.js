// The chart manager: one uPlot per card (a line per series of the card's
// metric family, aligned with uPlot.join), drawn lazily and only
// when it matters. A chart is (re)drawn in an animation frame, at most once
// a frame, and only if new data came (dirty), it is on screen
// (IntersectionObserver) and its group is not collapsed. A chart never seen
// is never created; theme changes rebuild the charts from CSS variables.
// Every chart shows the page's markers (plugins.js): dashed vertical lines;
// a chart of series under an alert shows the alert's threshold (a dashed
// horizontal line, kept in the y range) and shades the span it fired over.
// The crosshair is shared by every chart (uPlot's cursor sync), the chart
// under the pointer has a tooltip, and a drag across any chart zooms them
// all (a double-click goes back to live). A
// stale line (its source no longer shows it) keeps its look: what came
// while it was live is not restyled; where it went stale its line breaks
// (store.js staleGap), as a null value (a NaN sample) is a gap. Stored history (a table of
// [times, mean, min, max] a line) is drawn as each mean with a faint
// min–max band around it (bands.js).

import { AXIS_FONT, PAD_RIGHT, axesOf, padRange, withNeighbours, withThresholds } from "./axes.js";
import { bandLayout, bandSeries, isBandSeries } from "./bands.js";
import { setData } from "./dom.js";
import { seriesScale } from "./format.js";
import { PALETTE, lineTint, tintColor } from "./palette.js";
import { alertPlugin, markerLines, markerPlugin, markersNear, marksOf, tooltipContent, tooltipPlugin, zoomPlugin } from "./plugins.js";

const CHART_HEIGHT = 110;
export { padRange, withThresholds } from "./axes.js";

/**
 * @typedef {{el: HTMLElement, unit: object, color: number, source?: string,
 *   data: () => Array<[number[], (number|null)[]]>,
 *   lines: () => {id: string, name: string, hidden: boolean, stale?: boolean}[],
 *   range: () => [number, number],
 *   overlay?: () => import("./alerts.js").Overlay,
 *   title?: () => string,
 *   history?: () => {tier: string, step: number}|null,
 *   onMarks?: (labels: string[]) => void,
 *   onHover?: (x: number|null, ys: Map<string, number|null>|null) => void}} ChartSpec
 * data: one [times (unix s), values] table per line, in the order of
 * lines(); onHover: the time under the cursor and each line's value
 * there, or nulls when the cursor leaves; title: the tooltip's heading;
 * source: whose markers the chart shows (besides those of every chart);
 * overlay: the thresholds and firing spans of its series' alerts;
 * history: what the stored history drawn was cut at (shown as data-tier
 * and data-step), null while the stream's points are drawn; onMarks: the
 * labels of the markers in view (plugins.js markerLabel), when they change.
 */

export class ChartManager {
  /**
   * @param {{requestFrame: () => void,
   *   markers?: (source: string, ids: string[]) => import("./timeline.js").Marker[],
   *   onShown?: (id: string) => void,
   *   onZoom?: (from: number, to: number) => void, onLive?: () => void,
   *   zoomed?: () => boolean}} opts requestFrame asks the page for
   *   a frame; markers gives the markers a chart of a source showing the
   *   series ids draws (times in unix ms); onShown
   *   is called when a chart comes into view or its group is expanded, so
   *   that the page can bring its card up to date; onZoom when the reader
   *   drags across a chart (the range in unix ms), onLive when they
   *   double-click one; zoomed says whether the charts show a zoomed range
   */
  constructor(opts) {
    this.requestFrame = opts.requestFrame;
    this.markers = opts.markers || (() => []);
    this.onShown = opts.onShown || (() => {});
    this.onZoom = opts.onZoom || (() => {});
    this.onLive = opts.onLive || (() => {});
    this.zoomed = opts.zoomed || (() => false);
    /** @type {Map<string, any>} */
    this.entries = new Map();
    this.byEl = new WeakMap();
    this.theme = readTheme();
    this.io = new IntersectionObserver((items) => this.onIntersect(items), { rootMargin: "200px 0px" });
    // Near (io) a chart is made and drawn, ready before it scrolls in; it
    // is drawn again only in the viewport itself (view): the clock redraws
    // every chart in sight each second, and the margin held a row of them.
    this.view = new IntersectionObserver((items) => this.onView(items));
    this.ro = new ResizeObserver((items) => this.onResize(items));
  }

  /** add registers a chart for series id; it is created when first seen. */
  add(id, spec) {
    const e = { id, lines: () => [{ id, name: "", hidden: false }], ...spec, plot: null, hovering: false, dirty: true, visible: false, inView: false, hidden: false, width: 0 };
    this.entries.set(id, e);
    this.byEl.set(spec.el, e);
    this.io.observe(spec.el);
    this.view.observe(spec.el);
    this.ro.observe(spec.el);
  }

  /** remove destroys a chart and forgets it. */
  remove(id) {
    const e = this.entries.get(id);
    if (!e) return;
    this.io.unobserve(e.el);
    this.view.unobserve(e.el);
    this.ro.unobserve(e.el);
    if (e.plot) e.plot.destroy();
    this.entries.delete(id);
  }

  markDirty(id) {
    const e = this.entries.get(id);
    if (e) e.dirty = true;
  }

  markAllDirty() {
    for (const e of this.entries.values()) e.dirty = true;
  }

  /**
   * markMarkersDirty marks for redrawing the charts that show new markers
   * (timeline entries): a marker of no source (the server's, the page's)
   * is on every chart; one of a source on that source's charts, and one of
   * a series (an alert's) only on the chart that shows the series
   * (Timeline.chartMarkers). The page calls it for new marked entries: a
   * crash of one source, or a flapping alert, redrew every chart in
   * sight, in a frame of its own.
   * @param {{source?: string, series?: string}[]} marks
   */
  markMarkersDirty(marks) {
    if (marks.some((m) => !m.source)) return this.markAllDirty();
    for (const e of this.entries.values()) {
      // Not drawn yet (no ids): drawn whole when it is.
      if (marks.some((m) => m.source === (e.source || "") && (!m.series || !e.ids || e.ids.includes(m.series)))) e.dirty = true;
    }
  }

  /**
   * markAged marks for redrawing the charts not drawn in the last ms
   * milliseconds (performance.now). The page's clock calls it every second
   * so that the time axis moves on charts no new point redrew; a chart a
   * point redrew a moment ago shows the axis as of then, and its next point
   * or the next tick moves it: redrawn for the tick as well, a chart of a
   * source polled every second drew twice a second. A chart whose time
   * axis moved less than a pixel since it was drawn (a long window on a
   * narrow chart: 15 minutes over 370 px move it 0.4 px a second) is left
   * until it has (axisMoved); a new point marks it dirty itself.
   */
  markAged(ms) {
    const now = performance.now();
    for (const e of this.entries.values()) if (!(now - e.drawnAt < ms) && axisMoved(e)) e.dirty = true;
  }

  /** setHidden marks a chart collapsed (not drawn) or shown again. */
  setHidden(id, hidden) {
    const e = this.entries.get(id);
    if (!e || e.hidden === hidden) return;
    e.hidden = hidden;
    if (hidden) return;
    if (e.visible) this.onShown(id);
    this.requestFrame();
  }

  /** isShown says whether a series' chart is in view and not collapsed. */
  isShown(id) {
    const e = this.entries.get(id);
    return !!e && e.visible && !e.hidden;
  }

  /** widest is the widest chart's width in CSS pixels (0 before any is sized): a history request's point budget. */
  widest() {
    let w = 0;
    for (const e of this.entries.values()) w = Math.max(w, e.width);
    return w;
  }

  /** rethemed rebuilds every chart with the current CSS colours. */
  rethemed() {
    this.theme = readTheme();
    for (const e of this.entries.values()) {
      if (e.plot) e.plot.destroy();
      e.plot = null;
      e.dirty = true;
    }
    this.requestFrame();
  }

  onIntersect(items) {
    let wake = false;
    for (const it of items) {
      const e = this.byEl.get(it.target);
      if (!e) continue;
      const was = e.visible;
      e.visible = it.isIntersecting;
      if (e.visible && !was && !e.hidden) this.onShown(e.id);
      wake ||= e.visible && e.dirty;
    }
    if (wake) this.requestFrame();
  }

  onView(items) {
    let wake = false;
    for (const it of items) {
      const e = this.byEl.get(it.target);
      if (!e) continue;
      e.inView = it.isIntersecting;
      wake ||= e.inView && e.dirty;
    }
    if (wake) this.requestFrame();
  }

  onResize(items) {
    for (const it of items) {
      const e = this.byEl.get(it.target);
      if (!e) continue;
      const w = Math.floor(it.contentRect.width);
      // The chart's box sets the plot's height (chart.css: taller for a family of lines on a wide card).
      const ht = Math.floor(it.contentRect.height) || CHART_HEIGHT;
      if ((w > 0 && w !== e.width) || (w > 0 && ht !== e.height)) {
        e.width = w;
        e.height = ht;
        e.resized = true;
        e.dirty = true;
      }
    }
    this.requestFrame();
  }

  /**
   * draw redraws the charts that need it (drawable): new data (dirty), in or near view, sized
   * and not collapsed; one near but not in the viewport only when it has never been drawn. When
   * due() says the frame's time is up (due.drew counts each chart's points in: framebudget.js)
   * it stops, the others left for the next frame (waiting). Called from the page's animation
   * frame. Returns how many were drawn.
   */
  draw(due = () => false) {
    let n = 0;
    for (const e of this.entries.values()) {
      if (!drawable(e)) continue;
      // Out of time (due): the rest in the next frame (waiting), at least one a frame.
      if (n > 0 && due()) break;
      const tables = e.data();
      const band = tables.length > 0 && tables[0].length === 4;
      let data = tables.length === 1 ? tables[0] : tables.length ? globalThis.uPlot.join(tables) : [[]];
      if (band) data = bandLayout(data, tables.length);
      const lines = e.lines();
      // A switch between the stream's lines and history's bands is a rebuild: rare.
      const shape = (band ? "band\u0000" : "") + lines.map((l) => l.id).join("\u0000");
      e.view = e.range();
      if (e.plot && e.shape !== shape) {
        // Lines came or went: a uPlot's series are fixed at its making.
        e.plot.destroy();
        e.plot = null;
      }
      e.shape = shape;
      e.ids = lines.map((l) => l.id);
      e.lineInfo = lines;
      if (!e.plot) {
        e.plot = new globalThis.uPlot(this.options(e, lines, band), data, e.el);
      } else {
        // Drawn now, not in uPlot's microtask after the frame's other
        // writes: the page calls draw before it writes anything else in the
        // frame, so the axes' text meets a laid-out page, where drawn after
        // the cards' and panels' new text its first fillText laid the page
        // out then and there.
        const u = e.plot;
        u.batch(() => {
          if (e.resized) u.setSize({ width: e.width, height: e.height || CHART_HEIGHT });
          lines.forEach((l, i) => {
            const idx = band ? [i + 1, lines.length + 1 + 2 * i, lines.length + 2 + 2 * i] : [i + 1];
            for (const si of idx) if (u.series[si].show === l.hidden) u.setSeries(si, { show: !l.hidden });
          });
          u.setData(data);
        });
      }
      e.resized = false;
      e.dirty = false;
      e.drawnAt = performance.now();
      let points = 0;
      let gaps = 0;
      let last = -Infinity;
      for (let i = 1; i <= (band ? lines.length : data.length - 1); i++) {
        points = Math.max(points, countValues(data[i]));
        gaps += countGaps(data[i]);
        last = Math.max(last, lastValueAt(data[0], data[i]));
      }
      // Written only when they change: a chart is drawn several times a second.
      setData(e.el, "points", String(points));
      // "last": the newest time drawn (unix ms). Why: a chart whose window
      // is full keeps its count of points as it moves on.
      if (last > -Infinity) setData(e.el, "last", String(Math.round(last * 1000)));
      setData(e.el, "gaps", String(gaps));
      setData(e.el, "stale", String(lines.filter((l) => l.stale).length));
      if (this.zoomed()) setData(e.el, "view", e.view.map(Math.round).join("-"));
      else if ("view" in e.el.dataset) delete e.el.dataset.view;
      setData(e.el, "lines", String(lines.filter((l) => !l.hidden).length));
      showHistory(e.el, band && e.history ? e.history() : null);
      if (due.drew) due.drew(data[0].length * (data.length - 1));
      n++;
    }
    return n;
  }

  /** waiting says whether a chart still wants drawing (a frame ran out of time: draw). */
  waiting() {
    for (const e of this.entries.values()) if (drawable(e)) return true;
    return false;
  }

  options(e, lines, band = false) {
    const t = this.theme;
    const color = t.series[e.color % t.series.length];
    // The legend's rule (palette.js): the k-th line drawn, k places on from the group's colour.
    const lineColor = (i) => (lines.length === 1 ? color : tintColor(lineTint(e.color, i), t));
    const bands = bandSeries(lines, (i) => withAlpha(lineColor(i), 0.18));
    const axis = {
      stroke: t.text,
      font: AXIS_FONT,
      grid: { stroke: t.grid, width: 1 },
      ticks: { show: false },
      gap: 4,
    };
    return {
      width: e.width,
      height: e.height || CHART_HEIGHT,
      // Room on the right for the last time label, which uPlot centres on its tick.
      padding: [6, PAD_RIGHT, 0, 0],
      legend: { show: false },
      cursor: {
        y: false,
        points: {
          // A band's min and max get no dot of their own.
          size: band ? (u, si) => (isBandSeries(lines.length, si) ? 0 : 7) : 7,
          fill: (u, si) => lineColor(si - 1),
          stroke: t.panel,
          width: 2,
        },
        // A drag selects a time range; the page zooms every chart to it.
        drag: { x: true, y: false, setScale: false },
        // One crosshair across the page, by time.
        sync: { key: "pulseboard", setSeries: false },
        bind: {
          // The double-click is the page's (back to live), not uPlot's reset.
          dblclick: () => null,
          // uPlot hears only the plot itself by default: the pointer on a
          // marker's flag (over the plot) would freeze the crosshair and the
          // tooltip, and a drag could not start there.
          mousemove: (u, target, handler) => (ev) => handler(ev),
          mousedown: (u, target, handler) => (ev) => ev.button === 0 && handler(ev),
        },
      },
      scales: {
        x: { time: true, range: () => e.view.map((ms) => ms / 1000) },
        y: { range: (u, min, max) => padRange(...withThresholds(...withNeighbours(u, e.view[0] / 1000, e.view[1] / 1000, min, max), overlayOf(e).thresholds)) },
      },
      axes: axesOf(e, axis),
      series: [
        {},
        ...lines.map((l, i) => ({
          label: l.name,
          show: !l.hidden,
          stroke: lineColor(i),
          width: 1.5,
          // A filled area only under a lone line (and no band): filled areas hide each other.
          fill: lines.length === 1 && !band ? (u) => gradient(u, lineColor(0)) : undefined,
          // A line of one or two points draws nothing: show them as dots
          // (a long range over a short history, a series just born).
          points: { show: (u, si) => countValues(u.data[si] || []) <= 2, size: 5 },
          spanGaps: false,
        })),
        ...(band ? bands.series : []),
      ],
      bands: band ? bands.bands : undefined,
      plugins: [
        markerPlugin(() => this.markers(e.source || "", e.ids || []), { ok: t.markOk, fail: t.markFail, info: t.markInfo }, (n, labels) => {
          setData(e.el, "markers", String(n));
          const key = labels.join("\n");
          if (e.onMarks && key !== e.marksKey) e.onMarks(labels);
          e.marksKey = key;
        }),
        alertPlugin(
          () => overlayOf(e),
          { warning: t.warning, critical: t.critical },
          (spans, thresholds) => {
            setData(e.el, "alertSpans", String(spans));
            setData(e.el, "thresholds", String(thresholds));
          },
        ),
        tooltipPlugin(
          (u, i) =>
            tooltipContent(
              u.data[0][i],
              e.lineInfo,
              e.lineInfo.map((l, k) => u.data[k + 1][i]),
              e.unit,
              e.title ? e.title() : "",
              e.color,
              markersNear(u, marksOf(u, this.markers(e.source || "", e.ids || [])), u.cursor.left).flatMap((m) => markerLines(m, e.view[1] - e.view[0])),
              e.view[1] - e.view[0],
              // Float noise is judged against the value axis' size (format.js formatValue).
              seriesScale(u.scales.y.min, u.scales.y.max),
            ),
          // The chart's focusable element: the keyboard moves its cursor.
          e.el,
        ),
        zoomPlugin(
          (from, to) => this.onZoom(from, to),
          () => this.onLive(),
          () => e.view,
        ),
      ],
      hooks: {
        // The time axis' labels and where they are (CSS px from the plot's left), for tests.
        draw: [(u) => showTicks(e.el, u, e.xTicks)],
        setCursor: [
          (u) => {
            if (!e.onHover) return;
            const i = u.cursor.idx;
            if (i === null || i === undefined) {
              // Told once: redraws also set an absent cursor.
              if (e.hovering) e.onHover(null, null);
              e.hovering = false;
              return;
            }
            e.hovering = true;
            e.onHover(u.data[0][i], new Map(e.ids.map((id, k) => [id, u.data[k + 1][i] ?? null])));
          },
        ],
      },
    };
  }
}

const NO_OVERLAY = { thresholds: [], spans: [] };

// drawable says whether a chart is to be drawn at the next frame: new
// data, in or near view, sized, not collapsed, and, near but out of the
// viewport, never drawn yet (onView draws it when it comes in).
function drawable(e) {
  return e.dirty && e.visible && !e.hidden && e.width > 0 && (!e.plot || e.inView);
}

/**
 * axisMoved says whether a chart's view, as range() gives it now, lies a
 * CSS pixel or more of its plot away from the view it was drawn for (or
 * spans another length): what a redraw for the clock would show. A chart
 * never drawn has moved.
 * @param {{view?: number[], range: () => [number, number], width: number, plot?: any}} e
 */
export function axisMoved(e) {
  if (!e.view || !e.plot) return true;
  const [from, to] = e.range();
  const span = e.view[1] - e.view[0];
  if (!(span > 0) || Math.abs(to - from - span) > span * 1e-9) return true;
  const ratio = (globalThis.uPlot && globalThis.uPlot.pxRatio) || 1;
  const plotPx = e.plot.bbox && e.plot.bbox.width > 0 ? e.plot.bbox.width / ratio : e.width;
  return (Math.abs(to - e.view[1]) / span) * plotPx >= 1;
}

function overlayOf(e) {
  return e.overlay ? e.overlay() : NO_OVERLAY;
}

/**
 * countGaps counts the runs of null values that lie between two values of
 * a line: the gaps drawn (undefined, a time only other lines have, is not
 * one).
 * @param {(number|null|undefined)[]} ys
 */
export function countGaps(ys) {
  let n = 0;
  let seen = false;
  let open = false;
  for (const y of ys) {
    if (y === null) {
      open = seen;
    } else if (y !== undefined) {
      if (open) n++;
      open = false;
      seen = true;
    }
  }
  return n;
}

// lastValueAt is the time (uPlot's seconds) of the last value in ys, or
// -Infinity if it has none.
function lastValueAt(xs, ys) {
  for (let i = ys.length - 1; i >= 0; i--) if (ys[i] !== null && ys[i] !== undefined) return xs[i];
  return -Infinity;
}

function countValues(ys) {
  let n = 0;
  for (const y of ys) if (y !== null && y !== undefined) n++;
  return n;
}

// showTicks writes the time axis' labels, "14:00@12|14:30@80", on the
// chart, only when they changed: a live chart draws every second.
function showTicks(el, u, ticks) {
  if (!ticks) return;
  const text = ticks.labels.map((l, i) => `${l}@${Math.round(u.valToPos(ticks.splits[i], "x"))}`).join("|");
  if (el.dataset.xTicks !== text) el.dataset.xTicks = text;
}

// showHistory marks a chart drawn from stored history with the tier and
// step (ms) its points were cut at, for tests and curious readers.
function showHistory(el, h) {
  if (h) {
    setData(el, "tier", h.tier);
    setData(el, "step", String(h.step));
    setData(el, "band", "1");
    return;
  }
  // Deleted only when there: a live chart draws every second.
  for (const k of ["tier", "step", "band"]) if (k in el.dataset) delete el.dataset[k];
}

function gradient(u, color) {
  const { top, height } = u.bbox;
  if (!height) return color;
  const g = u.ctx.createLinearGradient(0, top, 0, top + height);
  g.addColorStop(0, withAlpha(color, 0.28));
  g.addColorStop(1, withAlpha(color, 0.02));
  return g;
}

// withAlpha turns "#rrggbb" (what the CSS variables hold) into rgba().
function withAlpha(hex, a) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function readTheme() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name, dflt) => cs.getPropertyValue(name).trim() || dflt;
  const series = [];
  for (let i = 0; i < PALETTE; i++) series.push(v(`--series-${i}`, "#3b82f6"));
  return {
    text: v("--chart-text", "#667085"),
    grid: v("--chart-grid", "#e5e7eb"),
    panel: v("--panel", "#ffffff"),
    markOk: v("--running", "#16a34a"),
    markFail: v("--failed", "#dc2626"),
    markInfo: v("--accent", "#2563eb"),
    warning: v("--warning", "#d97706"),
    critical: v("--critical", "#dc2626"),
    series,
  };
}
