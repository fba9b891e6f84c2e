// The tooltip of the page's charts (a uPlot plugin, see plugins.js): the
// time, the chart's title and each shown line's value at the cursor, beside
// the pointer on the chart it is over, or at the keyboard's cursor on a
// chart that has the focus (arrow keys, Page Up/Down, Home/End; Escape
// hides it). The keyboard moves uPlot's own cursor (setCursor), so that the
// crosshair the charts share follows it as it does the pointer.

import { h } from "./dom.js";
import { formatAt, formatCompact } from "./format.js";
import { lineTint, paintSwatch } from "./palette.js";

/**
 * @typedef {{time: string, title: string,
 *   rows: {name: string, value: string, color: import("./palette.js").Tint, stale: boolean, v?: number|null}[],
 *   marks: string[], more?: number}} TooltipContent
 * marks: the labels of the markers by the pointer (markerLabel); a row's
 * v, its value as a number (null: none), by which nearestRows picks;
 * more, how many rows nearestRows left out.
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
 * in the words of a chart whose view is spanMs long (format.js formatAt:
 * "14:05:12", "Mon 30 14:05:12" over a day or more, "Nov 30 14:05" over
 * more than a week), the chart's title (metric and shared labels), and a
 * row per shown line with its label values and its value in the chart's
 * unit; a stale line says so; marks are the labels of the markers by the
 * pointer.
 * @param {number} x
 * @param {{name: string, hidden: boolean, stale?: boolean}[]} lines
 * @param {(number|null|undefined)[]} values by line, in the order of lines
 * @param {object} unit from unitOf
 * @param {string} title
 * @param {number} [color] the palette index of the first line
 * @param {string[]} [marks]
 * @param {number} [spanMs] the chart's view, ms; 0: a clock time
 * @param {number} [scale] the size float noise is judged against (format.js
 *   formatValue): the value axis'; without it, an absolute bound
 * @returns {TooltipContent}
 */
export function tooltipContent(x, lines, values, unit, title, color = 0, marks = [], spanMs = 0, scale = undefined) {
  const rows = [];
  lines.forEach((l, i) => {
    if (l.hidden) return;
    const v = values[i];
    rows.push({
      name: l.name || "value",
      value: v === null || v === undefined ? "no value" : formatCompact(v, unit, scale),
      color: lineTint(color, lines.length === 1 ? 0 : i),
      stale: !!l.stale,
      v: v === null || v === undefined ? null : v,
    });
  });
  return { time: formatAt(x * 1000, spanMs), title, rows, marks };
}

/** MIN_ROWS is the fewest rows a tooltip cut to its room (nearestRows) keeps. */
export const MIN_ROWS = 3;

/**
 * nearestRows keeps the keep rows of c whose values are nearest at (the
 * value under the pointer), in their order, and says how many went
 * (more): a family's tooltip on a phone, out of the plot, would otherwise
 * cover it whole. c as it is when it has no more rows than that.
 * @param {TooltipContent} c
 * @param {number} keep
 * @param {number} at
 * @returns {TooltipContent}
 */
export function nearestRows(c, keep, at) {
  if (c.rows.length <= keep) return c;
  const far = (r) => (r.v === null || r.v === undefined || !Number.isFinite(at) ? Infinity : Math.abs(r.v - at));
  const order = c.rows.map((r, i) => ({ i, d: far(r) })).sort((a, b) => a.d - b.d || a.i - b.i);
  const kept = new Set(order.slice(0, Math.max(0, keep)).map((o) => o.i));
  return { ...c, rows: c.rows.filter((r, i) => kept.has(i)), more: c.rows.length - kept.size };
}

/** TIP_GAP_PX is the room between the pointer, or the plot, and the tooltip. */
const TIP_GAP_PX = 12;

/** VIEW_MARGIN_PX is the least room kept between the tooltip and the viewport's edges. */
const VIEW_MARGIN_PX = 4;

/**
 * tipPlace is where the tooltip goes, in CSS pixels from the plot's top
 * left, for the pointer at (left, top) and a tooltip w × h: beside the
 * pointer, on whichever side has room within both the plot and the
 * viewport (by the right edge of the page it flips to the pointer's
 * left); when neither has (a phone's narrow plot), out of the plot
 * (outside: true), below it if the card has room there (plot.below
 * pixels: its statistics or legend) else above it, so that it covers
 * neither the lines it reads nor, where it can help it, the card's
 * headline value above the plot. Whatever the case it is then moved to lie
 * wholly inside the viewport (view: the plot's top left in the viewport
 * and the viewport's size), with VIEW_MARGIN_PX to spare where it fits.
 * @param {number} left
 * @param {number} top
 * @param {number} w
 * @param {number} h
 * @param {{width: number, height: number, above: number, below: number}} plot
 *   the plot's size and the card's room above and below it
 * @param {{left: number, top: number, width: number, height: number}} [view]
 *   the plot's offset in the viewport and the viewport's size; none: no viewport bound
 * @returns {{x: number, y: number, outside: boolean}}
 */
export function tipPlace(left, top, w, h, plot, view) {
  const v = view || { left: 0, top: 0, width: Infinity, height: Infinity };
  const right = Math.min(plot.width, v.width - v.left - VIEW_MARGIN_PX);
  const leftmost = Math.max(0, VIEW_MARGIN_PX - v.left);
  let at;
  if (left + TIP_GAP_PX + w <= right) at = { x: left + TIP_GAP_PX, y: Math.max(0, top - 8), outside: false };
  else if (left - TIP_GAP_PX - w >= leftmost) at = { x: left - TIP_GAP_PX - w, y: Math.max(0, top - 8), outside: false };
  else {
    const x = Math.min(Math.max(0, left - w / 2), Math.max(0, plot.width - w));
    const below = h + 4 <= plot.below || h + 4 > plot.above;
    at = { x, y: below ? plot.height + 4 : -h - 4, outside: true };
  }
  if (view) {
    at.x = within(at.x, w, v.left, v.width);
    at.y = within(at.y, h, v.top, v.height);
  }
  at.x = Math.round(at.x);
  return at;
}

// within moves a span [at, at+size) (plot px) to lie in the viewport's [0, extent) given the plot's offset there;
// too big for it, it starts at the viewport's start.
function within(at, size, offset, extent) {
  return Math.max(Math.min(at, extent - offset - size - VIEW_MARGIN_PX), VIEW_MARGIN_PX - offset);
}

/**
 * CURSOR_KEYS are the keys a focused chart's cursor takes (aria-keyshortcuts).
 */
export const CURSOR_KEYS = "ArrowLeft ArrowRight Shift+ArrowLeft Shift+ArrowRight PageUp PageDown Home End Escape";

/**
 * cursorIndex is the data index a key moves a chart's cursor to, from idx
 * (null: no cursor yet, which starts at the newest point in view): Left
 * and Right one point, Shift+Left/Right and Page Down/Up a tenth of the
 * view (min..max, the x scale), at least one point, Home and End the first
 * and last point in view. null for Escape (the cursor goes); undefined for
 * a key it does not take, or when no point is in view.
 * @param {string} key KeyboardEvent.key
 * @param {boolean} shift
 * @param {number|null|undefined} idx the cursor's index now
 * @param {ArrayLike<number>} times ascending, the x scale's unit
 * @param {number} min
 * @param {number} max
 * @returns {number|null|undefined}
 */
export function cursorIndex(key, shift, idx, times, min, max) {
  if (key === "Escape") return null;
  // Before its first draw a chart's scale has no extent: every point is in view.
  const first = Number.isFinite(min) ? lowerBound(times, min) : 0;
  const last = (Number.isFinite(max) ? lowerBound(times, max, true) : times.length) - 1;
  if (first > last) return undefined;
  const span = Number.isFinite(max - min) ? max - min : times[last] - times[first];
  const step = { ArrowLeft: -1, ArrowRight: 1, PageDown: -1, PageUp: 1 }[key];
  if (key === "Home") return first;
  if (key === "End") return last;
  if (!step) return undefined;
  if (idx === null || idx === undefined || idx < first || idx > last) return last;
  let to = idx + step;
  if (shift || key.startsWith("Page")) {
    // The point nearest a tenth of the view away, and never the one the cursor is on.
    const t = times[idx] + (step * span) / 10;
    const at = lowerBound(times, t);
    to = at > 0 && (at === times.length || t - times[at - 1] < times[at] - t) ? at - 1 : at;
    to = step > 0 ? Math.max(to, idx + 1) : Math.min(to, idx - 1);
  }
  return Math.min(last, Math.max(first, to));
}

// lowerBound is the first index whose time is at least t (after: more than t).
function lowerBound(times, t, after = false) {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t || (after && times[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * shownHide hides the one tooltip the page shows, null when none shows:
 * a tooltip showing hides another's first. The pointer's leaving a chart
 * hides its own, but not always before the next chart's shows (the
 * pointer moving on while the page scrolls or redraws is told late), and
 * two tooltips read as two readings of one time.
 * @type {(() => void)|null}
 */
let shownHide = null;

/** pointerHide is the hide of the chart the pointer is in, null when none: a keyboard's tooltip elsewhere gives way to it. */
let pointerHide = null;

/**
 * tooltipPlugin shows a tooltip beside the pointer on the chart it is
 * over (not on the charts that only follow the crosshair). content gives
 * what to show for the data index under the pointer. A press hides it
 * until the pointer moves again with no button held: a drag (a zoom) ends
 * with the charts redrawn under a still pointer, and the tooltip, outside
 * a narrow plot, would stay over the card's headline. With keys (the
 * chart's focusable element, which holds the plot), the keyboard moves the
 * cursor (cursorIndex) and shows the same tooltip at it; Escape, or the
 * focus leaving, takes both away. uPlot publishes a cursor set this way
 * to the charts it syncs with, as it does the pointer's.
 * @param {(u: any, idx: number) => TooltipContent} content
 * @param {HTMLElement} [keys]
 */
export function tooltipPlugin(content, keys) {
  let tip = null;
  let inside = false;
  let held = false;
  // The cursor is the keyboard's (until Escape, the focus leaving, or the pointer coming in).
  let keyed = false;
  // The card the tooltip shows on, let paint past its edges while it does (chart.css is-tipping).
  let lifted = null;
  const hide = () => {
    if (tip) tip.hidden = true;
    if (lifted) lifted.classList.remove("is-tipping");
    if (lifted) lifted.closest(".group")?.classList.remove("is-tipping");
    lifted = null;
    if (shownHide === hide) shownHide = null;
  };
  let onKey = null;
  let onBlur = null;
  return {
    hooks: {
      init: [
        (u) => {
          tip = h("div", { class: "chart-tip", role: "tooltip" });
          tip.hidden = true;
          u.over.append(tip);
          u.over.addEventListener("mouseenter", () => {
            inside = true;
            keyed = false;
            pointerHide = hide;
          });
          u.over.addEventListener("mouseleave", () => {
            inside = false;
            if (pointerHide === hide) pointerHide = null;
            hide();
          });
          u.over.addEventListener("mousedown", () => {
            held = true;
            hide();
          });
          // Before uPlot's own listener, so that the move that ends the hold shows the tooltip.
          u.over.addEventListener("mousemove", (ev) => (held &&= !!ev.buttons), true);
          if (!keys) return;
          onKey = (ev) => {
            if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
            if (ev.key === "Escape" && !keyed) return; // the page's: back to live
            const { min, max } = u.scales.x;
            const i = cursorIndex(ev.key, !!ev.shiftKey, u.cursor.idx, u.data[0], min, max);
            if (i === undefined) return;
            ev.preventDefault();
            if (i === null) {
              if (ev.stopPropagation) ev.stopPropagation();
              keyed = false;
              u.setCursor({ left: -10, top: -10 }, true, true);
              return;
            }
            keyed = true;
            // A click that focused the chart left a press held (it ends with a move, which keys never make).
            held = false;
            // Fired (the hooks: this tooltip, the card's reading) and published (the charts synced), as a pointer's move is.
            u.setCursor({ left: u.valToPos(u.data[0][i], "x"), top: valueTop(u, i) }, true, true);
          };
          onBlur = () => {
            if (!keyed) return;
            keyed = false;
            u.setCursor({ left: -10, top: -10 }, true, true);
          };
          keys.addEventListener("keydown", onKey);
          keys.addEventListener("blur", onBlur);
          keys.setAttribute("aria-keyshortcuts", CURSOR_KEYS);
        },
      ],
      setCursor: [
        (u) => {
          const i = u.cursor.idx;
          // The keys' tooltip gives way to the pointer's on another chart (their cursors are synced).
          const mine = inside || (keyed && (!pointerHide || pointerHide === hide));
          if (!mine || held || i === null || i === undefined || u.cursor.left < 0) return hide();
          if (shownHide && shownHide !== hide) shownHide();
          shownHide = hide;
          const said = content(u, i);
          fillTip(tip, said);
          tip.hidden = false;
          const card = u.over.closest && u.over.closest(".card");
          if (card) card.classList.add("is-tipping");
          // Its source over the sources after it (chart.css), a class rather than :has().
          if (card) card.closest(".group")?.classList.add("is-tipping");
          lifted = card;
          const o = u.over.getBoundingClientRect();
          const c = card ? card.getBoundingClientRect() : o;
          const plot = { width: u.over.clientWidth, height: u.over.clientHeight, above: o.top - c.top, below: c.bottom - o.bottom };
          // Measured as it now reads (its rows, its marker lines), not as it read at the last move.
          const w = tip.offsetWidth || 0;
          let ht = tip.offsetHeight || 0;
          let at = placeTip(u.cursor.left, u.cursor.top, w, ht, plot, o, card ? c : null);
          const room = at.outside && at.y < plot.height && at.y + ht > 0 ? roomOutside(o) : null;
          if (room) {
            // Out of a narrow plot, yet over it (no room for it whole above
            // or below within the window): on the roomier side, cut to the
            // lines nearest the pointer.
            const keep = rowsFitting(tip, ht, Math.max(room.above, room.below));
            if (keep < said.rows.length) {
              fillTip(tip, nearestRows(said, keep, u.posToVal ? u.posToVal(u.cursor.top, "y") : NaN));
              ht = tip.offsetHeight || 0;
            }
            at = { x: at.x, y: room.below >= room.above ? plot.height + 4 : -ht - 4, outside: true };
          }
          tip.classList.toggle("is-outside", at.outside);
          tip.style.transform = `translate(${at.x}px, ${at.y}px)`;
        },
      ],
      destroy: [
        () => {
          hide();
          if (pointerHide === hide) pointerHide = null;
          tip = null;
          if (keys && onKey) {
            keys.removeEventListener("keydown", onKey);
            keys.removeEventListener("blur", onBlur);
          }
        },
      ],
    },
  };
}

/**
 * roomOutside is the room (CSS px) a tooltip out of a plot at o (its
 * viewport rect) has above it (under the top bar) and below it within the
 * viewport; unbounded where there is no window (node tests).
 * @returns {{above: number, below: number}}
 */
export function roomOutside(o, view = viewOf(o)) {
  if (!view) return { above: Infinity, below: Infinity };
  return { above: view.top, below: view.height - view.top - (o.bottom - o.top) };
}

/**
 * rowsFitting is how many rows a tooltip now ht px tall keeps to fit room
 * px: all of them (Infinity) when it fits, else as many as fit beside its
 * head, marks and a line saying how many went, MIN_ROWS at the least.
 */
function rowsFitting(tip, ht, room) {
  if (ht + TIP_GAP_PX <= room) return Infinity;
  const rows = [...tip.children].filter((el) => el.classList.contains("tip-row"));
  const rowHt = rows.length ? rows[0].offsetHeight || 0 : 0;
  if (!rowHt) return Infinity;
  const rest = ht - rows.length * rowHt;
  return Math.max(MIN_ROWS, Math.floor((room - TIP_GAP_PX - rest) / rowHt) - 1);
}

// viewOf is the plot's offset in the viewport and the viewport's size, for tipPlace,
// the sticky top bar left out (a tooltip under it would be hidden);
// none where there is no window (node tests): no viewport bound.
function viewOf(o) {
  const win = globalThis.window;
  if (!win || !win.innerWidth) return undefined;
  const doc = globalThis.document && globalThis.document.documentElement;
  const width = (doc && doc.clientWidth) || win.innerWidth;
  const height = (doc && doc.clientHeight) || win.innerHeight;
  const bar = globalThis.document.querySelector && globalThis.document.querySelector(".topbar");
  const under = bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
  return { left: o.left, top: o.top - under, width, height: height - under };
}

/**
 * boundsOf is tipPlace's bound for a plot at o (its viewport rect): the
 * viewport, cut to the card's rect c where there is one, because a card
 * contains its paint (content-visibility: auto): a tip past its edge is
 * clipped there, however much of the viewport is left.
 */
export function boundsOf(o, c, view = viewOf(o)) {
  if (!c) return view;
  // The viewport's edges, in the rects' coordinates.
  const vl = view ? o.left - view.left : -Infinity;
  const vt = view ? o.top - view.top : -Infinity;
  const left = Math.max(vl, c.left);
  const top = Math.max(vt, c.top);
  const right = Math.min(vl + (view ? view.width : Infinity), c.right);
  const bottom = Math.min(vt + (view ? view.height : Infinity), c.bottom);
  // tipPlace keeps VIEW_MARGIN_PX off the bound's edges; within a card
  // that margin is the card's own padding, so the bound is widened by it.
  return { left: o.left - left + VIEW_MARGIN_PX, top: o.top - top + VIEW_MARGIN_PX, width: right - left + 2 * VIEW_MARGIN_PX, height: bottom - top + 2 * VIEW_MARGIN_PX };
}

/**
 * placeTip is where a tooltip w × h goes (tipPlace) for a plot at o in a
 * card at c (viewport rects; c null: no card): inside the first bound it
 * fits in of the card from the plot's top down (off the card's title;
 * not for a tooltip that goes above a narrow plot, which would then cover
 * the plot), the whole card, and the viewport alone; each cut to the
 * viewport. A card contains its paint (content-visibility: auto), but not
 * while it shows a tooltip (chart.css is-tipping): one taller than the
 * part of its card on screen (a card at the bottom of the window) still
 * shows whole, over the card's neighbours, rather than past the window's
 * edge.
 * @param {number} left the pointer, CSS px from the plot's left
 * @param {number} top the pointer, CSS px from the plot's top
 * @param {number} w
 * @param {number} h
 * @param {{width: number, height: number, above: number, below: number}} plot as tipPlace's
 * @param {{left: number, top: number, right: number, bottom: number}} o
 * @param {{left: number, top: number, right: number, bottom: number}|null} c
 * @param {{left: number, top: number, width: number, height: number}} [view] viewOf
 * @returns {{x: number, y: number, outside: boolean}}
 */
export function placeTip(left, top, w, h, plot, o, c, view = viewOf(o)) {
  const fits = (b) => w + 2 * VIEW_MARGIN_PX <= b.width && h + 2 * VIEW_MARGIN_PX <= b.height;
  const offTitle = c ? boundsOf(o, { ...c, top: Math.max(c.top, o.top) }, view) : null;
  const card = c ? boundsOf(o, c, view) : null;
  for (const b of [offTitle, card]) {
    if (!b || !fits(b)) continue;
    const at = tipPlace(left, top, w, h, plot, b);
    if (b === offTitle && at.outside) continue;
    return at;
  }
  return tipPlace(left, top, w, h, plot, view);
}

// valueTop is where the keyboard's cursor sits on the y axis at index i:
// at the first shown line's value there, else mid-plot (CSS px from the
// plot's top), so that the tooltip opens by what it reads.
function valueTop(u, i) {
  for (let si = 1; si < u.series.length; si++) {
    const v = u.data[si] ? u.data[si][i] : null;
    if (u.series[si].show !== false && v !== null && v !== undefined) return u.valToPos(v, "y");
  }
  return (u.over.clientHeight || 0) / 2;
}

function fillTip(tip, c) {
  const rows = c.rows.map((r) => {
    const row = h("div", r.stale ? "tip-row is-stale" : "tip-row", h("span", "tip-name", r.name), h("span", "tip-value", r.stale ? `${r.value} (stale)` : r.value));
    paintSwatch(row, r.color);
    return row;
  });
  const head = h("div", "tip-head", h("span", "tip-time", c.time), c.title ? h("span", "tip-title", c.title) : null);
  const marks = (c.marks || []).map((m) => h("div", "tip-mark", m));
  const more = c.more ? [h("div", "tip-more", `+${c.more} more ${c.more === 1 ? "line" : "lines"}: see the legend`)] : [];
  tip.replaceChildren(head, ...rows, ...more, ...marks);
}
