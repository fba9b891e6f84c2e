// uPlot plugins of the page's charts: markers of what happened (drawn over
// the plot), the alerts' thresholds and firing spans, the tooltip under the
// pointer or the keyboard's cursor (tooltip.js), and drag-to-zoom with a
// double-click back to live. The crosshair is uPlot's own cursor, synced
// across every chart of the page (cursor.sync, see ChartManager.options).

import { h, setText } from "./dom.js";
import { formatAt } from "./format.js";

export { MARK_NEAR_PX, cursorIndex, markersNear, tipPlace, tooltipContent, tooltipPlugin } from "./tooltip.js";

// Markers of the server and the page rather than of a source's health.
const INFO_KINDS = new Set(["server-restart", "connection-lost"]);

/**
 * markerLabel is what a marker says on hover, on focus and in its chart's
 * text alternative: its entry's source, text and time, "spiky: ShardHot
 * firing (critical) at 14:02:10", the time in the words of a chart whose
 * view is spanMs long (format.js formatAt: "at Mon 30 14:02:10" over days).
 * @param {import("./timeline.js").Marker} m
 * @param {number} [spanMs] the chart's view, ms; 0: a clock time
 */
export function markerLabel(m, spanMs = 0) {
  const who = m.source ? `${m.source}: ` : "";
  if (m.members) {
    const [a, b] = [formatAt(m.members[0].ts, spanMs), formatAt(m.until || m.members.at(-1).ts, spanMs)];
    return a === b ? `${who}${m.text} at ${a}` : `${who}${m.text} from ${a} to ${b}`;
  }
  return `${who}${m.text || m.kind} at ${formatAt(m.ts, spanMs)}`;
}

/** CLUSTER_PX is the least room (CSS px) between two markers drawn apart; closer ones are one mark. */
export const CLUSTER_PX = 8;

/** CLUSTER_LISTED is how many of a cluster's markers its label lists; the rest are counted. */
export const CLUSTER_LISTED = 10;

/**
 * clusterMarkers folds markers (oldest first) closer than px to the first
 * of their run into one mark, so that a flapping alert's dozens of lines
 * a minute read as "12 events" rather than a hatched block: the cluster's
 * ts is its members' mean, ok when all are, its kind and source theirs
 * when they share one ("cluster" and "" when not), its text "12 events",
 * and members the markers it holds. A marker alone stays as it is.
 * @param {import("./timeline.js").Marker[]} list
 * @param {(m: import("./timeline.js").Marker) => number} xOf where a marker is drawn, CSS px
 * @param {number} [px]
 * @returns {(import("./timeline.js").Marker & {members?: import("./timeline.js").Marker[]})[]}
 */
export function clusterMarkers(list, xOf, px = CLUSTER_PX) {
  const out = [];
  let run = [];
  let first = 0;
  const flush = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length) out.push(clusterOf(run));
    run = [];
  };
  for (const m of list) {
    const x = xOf(m);
    if (run.length && Math.abs(x - first) >= px) flush();
    if (!run.length) first = x;
    run.push(m);
  }
  flush();
  return out;
}

/**
 * marksOf are the marks a chart u draws for markers: those in its view
 * (the x scale, seconds), clustered where they are closer than CLUSTER_PX
 * (clusterMarkers). The tooltip names the marks by the pointer from it.
 * @param {any} u the uPlot instance
 * @param {import("./timeline.js").Marker[]} list
 */
export function marksOf(u, list) {
  const { min, max } = u.scales.x;
  return clusterMarkers(markersIn(list, min, max), (m) => u.valToPos(m.ts / 1000, "x"));
}

/**
 * markersIn are the markers in the view [min, max] (unix seconds): a
 * marker at a time within it, and a folded burst (timelinegroups.js
 * foldMarkers: ts to until) that reaches into it, drawn at its first
 * member within the view, so that a zoom into a burst still marks it.
 * @param {import("./timeline.js").Marker[]} list
 * @param {number} min
 * @param {number} max
 */
export function markersIn(list, min, max) {
  const out = [];
  let moved = false;
  for (const m of list) {
    const inside = m.ts / 1000 >= min && m.ts / 1000 <= max;
    if (inside || !m.until || m.until / 1000 < min || m.ts / 1000 > max) {
      if (inside) out.push(m);
      continue;
    }
    const first = m.members.find((x) => x.ts / 1000 >= min);
    if (first && first.ts / 1000 <= max) out.push({ ...m, ts: first.ts });
    moved = true;
  }
  // Oldest first, as clusterMarkers reads them.
  return moved ? out.sort((a, b) => a.ts - b.ts) : out;
}

function clusterOf(run) {
  const same = (k) => run.every((m) => m[k] === run[0][k]);
  return {
    ts: Math.round(run.reduce((a, m) => a + m.ts, 0) / run.length),
    ok: run.every((m) => m.ok),
    kind: same("kind") ? run[0].kind : "cluster",
    source: same("source") ? run[0].source : "",
    // A folded burst (timelinegroups.js foldMarkers) counts what it holds.
    text: `${run.reduce((n, m) => n + (m.members ? m.members.length : 1), 0)} events`,
    series: "",
    members: run,
    until: Math.max(...run.map((m) => m.until || m.ts)),
  };
}

/**
 * markerLines are the lines a mark's label says: its markerLabel, and for
 * a cluster each of its markers' (the first CLUSTER_LISTED, then how many
 * more), so that the flag and the tooltip tell what it holds.
 * @param {import("./timeline.js").Marker & {members?: import("./timeline.js").Marker[]}} m
 * @param {number} [spanMs]
 * @returns {string[]}
 */
export function markerLines(m, spanMs = 0) {
  if (!m.members) return [markerLabel(m, spanMs)];
  const listed = m.members.slice(0, CLUSTER_LISTED).map((x) => markerLabel(x, spanMs));
  const more = m.members.length - listed.length;
  return [markerLabel(m, spanMs), ...listed, ...(more > 0 ? [`and ${more} more`] : [])];
}

/**
 * markerPlugin is a uPlot plugin that draws markers over a chart after
 * each redraw (drawMarkers), those closer than CLUSTER_PX as one mark
 * (clusterMarkers), each with a flag over the plot whose label
 * (markerLines) shows under the pointer, and on every flag while the
 * chart has keyboard focus (chart.css); onDrawn gets how many markers
 * were in view and the marks' labels (markerLabel), oldest first.
 * @param {() => import("./timeline.js").Marker[]} markers
 * @param {{ok: string, fail: string, info?: string}} colors
 * @param {(n: number, labels: string[]) => void} onDrawn
 */
export function markerPlugin(markers, colors, onDrawn) {
  let flags = null;
  return {
    hooks: {
      init: [
        (u) => {
          if (!u.over) return;
          // Read by no screen reader: the chart's text alternative has the labels.
          flags = h("div", { class: "mark-flags", "aria-hidden": "true" });
          u.over.append(flags);
        },
      ],
      draw: [
        (u) => {
          const { min, max } = u.scales.x;
          const inView = markersIn(markers(), min, max);
          const marks = marksOf(u, inView);
          drawMarkers(u, marks, colors);
          const spanMs = (max - min) * 1000;
          if (flags) showFlags(flags, u, marks, marks.map((m) => markerLines(m, spanMs).join("\n")));
          onDrawn(inView.length, marks.map((m) => markerLabel(m, spanMs)));
        },
      ],
      destroy: [() => (flags = null)],
    },
  };
}

/**
 * flagSide is where a marker's label opens at x CSS pixels from the left
 * of a plot width pixels wide: to the left in the plot's right half
 * (right: true), and at most room pixels wide, the plot's width on that
 * side less the label's gap, so that it never leaves the card (a longer
 * one wraps).
 * @param {number} x
 * @param {number} width
 * @returns {{right: boolean, room: number}}
 */
export function flagSide(x, width) {
  const right = x > width / 2;
  const room = Math.max(0, Math.floor((right ? x : width - x) - LABEL_GAP_PX));
  return { right, room };
}

/** LABEL_GAP_PX is the gap between a marker's line and its label (chart.css .mark-label). */
const LABEL_GAP_PX = 8;

// showFlags keeps one flag per marker in view, at its line (CSS pixels
// from the plot's left), its label opening where flagSide says. Only what
// changed is written: a live chart draws every second.
function showFlags(box, u, list, labels) {
  while (box.children.length > list.length) box.lastElementChild.remove();
  const px = (globalThis.uPlot && globalThis.uPlot.pxRatio) || 1;
  const width = u.bbox.width / px;
  list.forEach((m, i) => {
    let flag = box.children[i];
    if (!flag) {
      flag = h("span", "mark-flag", h("span", "mark-label"));
      box.append(flag);
    }
    const x = Math.round(u.valToPos(m.ts / 1000, "x"));
    const transform = `translateX(${x}px)`;
    if (flag.style.transform !== transform) flag.style.transform = transform;
    const side = flagSide(x, width);
    const room = `${side.room}px`;
    if (flag.firstElementChild.style.maxWidth !== room) flag.firstElementChild.style.maxWidth = room;
    flag.classList.toggle("is-right", side.right);
    flag.classList.toggle("is-bad", !m.ok);
    flag.classList.toggle("is-cluster", !!m.members);
    setText(flag.firstElementChild, labels[i]);
  });
}

/**
 * drawMarkers strokes a dashed vertical line across the plot area at each
 * marker's time that lies within the x scale (which, like the data, is in
 * seconds): in colors.info for what concerns the server or the page (a
 * server restart, the connection lost), else colors.ok for what went well
 * (an applied reload) and colors.fail for a failure (a crash, a refused
 * reload). It returns how many it drew.
 * @param {any} u the uPlot instance
 * @param {import("./timeline.js").Marker[]} list
 * @param {{ok: string, fail: string, info?: string}} colors
 */
export function drawMarkers(u, list, colors) {
  const { min, max } = u.scales.x;
  const inView = markersIn(list, min, max);
  if (!inView.length) return 0;
  const { ctx, bbox } = u;
  const px = (globalThis.uPlot && globalThis.uPlot.pxRatio) || 1;
  const width = Math.max(1, Math.round(px));
  ctx.save();
  ctx.lineWidth = width;
  for (const m of inView) {
    // Centred on a device pixel, so that a thin line stays sharp.
    const x = Math.round(u.valToPos(m.ts / 1000, "x", true)) + (width % 2) / 2;
    ctx.strokeStyle = INFO_KINDS.has(m.kind) && colors.info ? colors.info : m.ok ? colors.ok : colors.fail;
    // A cluster (clusterMarkers) is a solid line: many events, not one.
    ctx.setLineDash(m.members ? [] : [4 * width, 3 * width]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
  return inView.length;
}

/**
 * alertPlugin is a uPlot plugin that draws a chart's alerts: the spans
 * they fired over shaded under the lines (drawAlertSpans), and each
 * active alert's threshold as a horizontal line over them
 * (drawThresholds); onDrawn gets how many of each were in view.
 * @param {() => import("./alerts.js").Overlay} overlay
 * @param {{warning: string, critical: string}} colors
 * @param {(spans: number, thresholds: number) => void} onDrawn
 */
export function alertPlugin(overlay, colors, onDrawn) {
  let spans = 0;
  return {
    hooks: {
      drawClear: [(u) => (spans = drawAlertSpans(u, overlay().spans, colors))],
      draw: [(u) => onDrawn(spans, drawThresholds(u, overlay().thresholds, colors))],
    },
  };
}

const severityColor = (colors, severity) => (severity === "critical" ? colors.critical : colors.warning);

/**
 * drawAlertSpans shades the plot area over each span that lies in the x
 * scale (seconds; spans in unix ms, a span still firing, to 0, reaching
 * the scale's end), in its severity's colour, faintly. It returns how
 * many it drew.
 * @param {any} u the uPlot instance
 * @param {import("./alerts.js").Span[]} spans
 * @param {{warning: string, critical: string}} colors
 */
export function drawAlertSpans(u, spans, colors) {
  const { min, max } = u.scales.x;
  const { ctx, bbox } = u;
  let n = 0;
  ctx.save();
  ctx.globalAlpha = 0.14;
  for (const s of spans) {
    const from = Math.max(min, s.from / 1000);
    const to = s.to ? Math.min(max, s.to / 1000) : max;
    if (!(to > from)) continue;
    const x0 = u.valToPos(from, "x", true);
    const x1 = u.valToPos(to, "x", true);
    ctx.fillStyle = severityColor(colors, s.severity);
    ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
    n++;
  }
  ctx.restore();
  return n;
}

/**
 * drawThresholds strokes a dashed horizontal line across the plot area at
 * each threshold within the y scale, in its severity's colour. It returns
 * how many it drew.
 * @param {any} u the uPlot instance
 * @param {{value: number, severity: string}[]} list
 * @param {{warning: string, critical: string}} colors
 */
export function drawThresholds(u, list, colors) {
  const { min, max } = u.scales.y;
  const inView = list.filter((t) => t.value >= min && t.value <= max);
  if (!inView.length) return 0;
  const { ctx, bbox } = u;
  const px = (globalThis.uPlot && globalThis.uPlot.pxRatio) || 1;
  const width = Math.max(1, Math.round(1.5 * px));
  ctx.save();
  ctx.lineWidth = width;
  ctx.setLineDash([6 * px, 4 * px]);
  for (const t of inView) {
    const y = Math.round(u.valToPos(t.value, "y", true)) + (width % 2) / 2;
    ctx.strokeStyle = severityColor(colors, t.severity);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
  return inView.length;
}


/**
 * zoomPlugin turns a drag across a chart into a zoom of every chart:
 * onZoom gets the range selected, in unix ms, read against view (the
 * [from, to] unix ms the chart was drawn for), not against uPlot's scale,
 * which a chart drawn with no points never ranged. The selection box is
 * cleared: the page redraws every chart on the new range. Only the chart
 * the pointer dragged on reports: uPlot's cursor sync replays the drag's
 * mouseup on every other chart of the page, each with its own select. A
 * double-click calls onLive, to follow the live edge again.
 * @param {(from: number, to: number) => void} onZoom
 * @param {() => void} onLive
 * @param {() => number[]} view
 */
export function zoomPlugin(onZoom, onLive, view) {
  return {
    hooks: {
      init: [(u) => u.over.addEventListener("dblclick", () => onLive())],
      setSelect: [
        (u) => {
          const { left, width } = u.select;
          if (width < 2) return;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          // A replay of another chart's drag has no event of its own.
          if (u.cursor.event == null) return;
          const span = selectedSpan(view(), left, width, u.over.clientWidth);
          if (span) onZoom(span[0], span[1]);
        },
      ],
    },
  };
}

/**
 * selectedSpan is the part [from, to] (unix ms) of view that a selection
 * of width px from left px covers on a plot dim px wide; null when the
 * view or the plot has no extent.
 * @param {number[]} view
 * @param {number} left
 * @param {number} width
 * @param {number} dim
 * @returns {[number, number]|null}
 */
export function selectedSpan(view, left, width, dim) {
  const [v0, v1] = view || [];
  if (!(dim > 0) || !(v1 > v0)) return null;
  const at = (px) => v0 + ((v1 - v0) * Math.min(Math.max(px, 0), dim)) / dim;
  return [at(left), at(left + width)];
}



