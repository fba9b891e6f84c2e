// uPlot plugins of the page's charts: markers of what happened (drawn over
// the plot), the alerts' thresholds and firing spans, the tooltip under the pointer, and drag-to-zoom with a
// double-click back to live. The crosshair is uPlot's own cursor, synced
// across every chart of the page (cursor.sync, see ChartManager.options).

import { h, setText } from "./dom.js";
import { formatClock, formatCompact } from "./format.js";

// Markers of the server and the page rather than of a source's health.
const INFO_KINDS = new Set(["server-restart", "connection-lost"]);

/**
 * markerLabel is what a marker says on hover, on focus and in its chart's
 * text alternative: its entry's source, text and time, "spiky: ShardHot
 * firing (critical) at 14:02:10".
 * @param {import("./timeline.js").Marker} m
 */
export function markerLabel(m) {
  return `${m.source ? `${m.source}: ` : ""}${m.text || m.kind} at ${formatClock(m.ts)}`;
}

/**
 * markerPlugin is a uPlot plugin that draws markers over a chart after
 * each redraw (drawMarkers), each with a flag over the plot whose label
 * (markerLabel) shows under the pointer, and on every flag while the
 * chart has keyboard focus (chart.css); onDrawn gets how many were in
 * view and their labels, oldest first.
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
          const inView = markers().filter((m) => m.ts / 1000 >= min && m.ts / 1000 <= max);
          drawMarkers(u, inView, colors);
          const labels = inView.map(markerLabel);
          if (flags) showFlags(flags, u, inView, labels);
          onDrawn(inView.length, labels);
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
  const inView = list.filter((m) => m.ts / 1000 >= min && m.ts / 1000 <= max);
  if (!inView.length) return 0;
  const { ctx, bbox } = u;
  const px = (globalThis.uPlot && globalThis.uPlot.pxRatio) || 1;
  const width = Math.max(1, Math.round(px));
  ctx.save();
  ctx.lineWidth = width;
  ctx.setLineDash([4 * width, 3 * width]);
  for (const m of inView) {
    // Centred on a device pixel, so that a thin line stays sharp.
    const x = Math.round(u.valToPos(m.ts / 1000, "x", true)) + (width % 2) / 2;
    ctx.strokeStyle = INFO_KINDS.has(m.kind) && colors.info ? colors.info : m.ok ? colors.ok : colors.fail;
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
 * @typedef {{time: string, title: string,
 *   rows: {name: string, value: string, color: number, stale: boolean}[],
 *   marks: string[]}} TooltipContent
 * marks: the labels of the markers by the pointer (markerLabel).
 */

/** MARK_NEAR_PX is how near (CSS px) the pointer is to a marker's line for the tooltip to tell what it marks. */
export const MARK_NEAR_PX = 8;

/**
 * markersNear are the markers whose line is within MARK_NEAR_PX of left
 * (CSS px from the plot's left), nearest first: the tooltip labels them,
 * as the flags do on keyboard focus, so that a dashed line under the
 * pointer is never left unexplained.
 * @param {any} u the uPlot instance (valToPos, x in seconds)
 * @param {import("./timeline.js").Marker[]} list
 * @param {number} left
 */
export function markersNear(u, list, left) {
  if (!(left >= 0)) return [];
  return list
    .map((m) => ({ m, d: Math.abs(u.valToPos(m.ts / 1000, "x") - left) }))
    .filter((n) => n.d <= MARK_NEAR_PX)
    .sort((a, b) => a.d - b.d)
    .map((n) => n.m);
}

/**
 * tooltipContent is what the tooltip says at time x (unix s): the time,
 * the chart's title (metric and shared labels), and a row per shown line
 * with its label values and its value in the chart's unit; a stale line
 * says so; marks are the labels of the markers by the pointer.
 * @param {number} x
 * @param {{name: string, hidden: boolean, stale?: boolean}[]} lines
 * @param {(number|null|undefined)[]} values by line, in the order of lines
 * @param {object} unit from unitOf
 * @param {string} title
 * @param {number} [color] the palette index of the first line
 * @param {string[]} [marks]
 * @returns {TooltipContent}
 */
export function tooltipContent(x, lines, values, unit, title, color = 0, marks = []) {
  const rows = [];
  lines.forEach((l, i) => {
    if (l.hidden) return;
    const v = values[i];
    rows.push({
      name: l.name || "value",
      value: v === null || v === undefined ? "no value" : formatCompact(v, unit),
      color: (color + (lines.length === 1 ? 0 : i)) % 8,
      stale: !!l.stale,
    });
  });
  return { time: formatClock(x * 1000), title, rows, marks };
}

/** TIP_GAP_PX is the room between the pointer, or the plot, and the tooltip. */
const TIP_GAP_PX = 12;

/**
 * tipPlace is where the tooltip goes, in CSS pixels from the plot's top
 * left, for the pointer at (left, top) and a tooltip w × h: beside the
 * pointer, on whichever side has room; when neither has (a phone's narrow
 * plot), out of the plot (outside: true), above it if the card has room
 * there (plot.above pixels) else below it (the card's statistics or legend), under the pointer as near as
 * the plot's width allows, so that it never covers the lines it reads.
 * @param {number} left
 * @param {number} top
 * @param {number} w
 * @param {number} h
 * @param {{width: number, height: number, above: number, below: number}} plot
 *   the plot's size and the card's room above and below it
 * @returns {{x: number, y: number, outside: boolean}}
 */
export function tipPlace(left, top, w, h, plot) {
  const y = Math.max(0, top - 8);
  if (left + TIP_GAP_PX + w <= plot.width) return { x: left + TIP_GAP_PX, y, outside: false };
  if (left - TIP_GAP_PX - w >= 0) return { x: left - TIP_GAP_PX - w, y, outside: false };
  const x = Math.round(Math.min(Math.max(0, left - w / 2), Math.max(0, plot.width - w)));
  const above = h + 4 <= plot.above;
  return { x, y: above ? -h - 4 : plot.height + 4, outside: true };
}

/**
 * tooltipPlugin shows a tooltip beside the pointer on the chart it is
 * over (not on the charts that only follow the crosshair). content gives
 * what to show for the data index under the pointer. A press hides it
 * until the pointer moves again with no button held: a drag (a zoom) ends
 * with the charts redrawn under a still pointer, and the tooltip, outside
 * a narrow plot, would stay over the card's headline.
 * @param {(u: any, idx: number) => TooltipContent} content
 */
export function tooltipPlugin(content) {
  let tip = null;
  let inside = false;
  let held = false;
  const hide = () => {
    if (tip) tip.hidden = true;
  };
  return {
    hooks: {
      init: [
        (u) => {
          tip = h("div", { class: "chart-tip", role: "tooltip" });
          tip.hidden = true;
          u.over.append(tip);
          u.over.addEventListener("mouseenter", () => (inside = true));
          u.over.addEventListener("mouseleave", () => {
            inside = false;
            hide();
          });
          u.over.addEventListener("mousedown", () => {
            held = true;
            hide();
          });
          // Before uPlot's own listener, so that the move that ends the hold shows the tooltip.
          u.over.addEventListener("mousemove", (ev) => (held &&= !!ev.buttons), true);
        },
      ],
      setCursor: [
        (u) => {
          const i = u.cursor.idx;
          if (!inside || held || i === null || i === undefined || u.cursor.left < 0) return hide();
          fillTip(tip, content(u, i));
          tip.hidden = false;
          const card = u.over.closest && u.over.closest(".card");
          const o = u.over.getBoundingClientRect();
          const c = card ? card.getBoundingClientRect() : o;
          const at = tipPlace(u.cursor.left, u.cursor.top, tip.offsetWidth || 0, tip.offsetHeight || 0,
            { width: u.over.clientWidth, height: u.over.clientHeight, above: o.top - c.top, below: c.bottom - o.bottom });
          tip.classList.toggle("is-outside", at.outside);
          tip.style.transform = `translate(${at.x}px, ${at.y}px)`;
        },
      ],
      destroy: [() => (tip = null)],
    },
  };
}

function fillTip(tip, c) {
  const rows = c.rows.map((r) =>
    h(
      "div",
      { class: r.stale ? "tip-row is-stale" : "tip-row", dataset: { color: String(r.color) } },
      h("span", "tip-name", r.name),
      h("span", "tip-value", r.stale ? `${r.value} (stale)` : r.value),
    ),
  );
  const head = h("div", "tip-head", h("span", "tip-time", c.time), c.title ? h("span", "tip-title", c.title) : null);
  const marks = (c.marks || []).map((m) => h("div", "tip-mark", m));
  tip.replaceChildren(head, ...rows, ...marks);
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



