// The page's metric cards, one per family (family.js): which series is in
// which card, making a card and its chart for a family's first series and
// taking them away with its last, and what each chart shows (its time
// range and data). The controller (controller.js) owns the groups and the
// frame; this owns the cards.

import { familyKey } from "./family.js";

const MIN_SPAN_MS = 10_000;
// A counter's charted rate is taken over at least this span (see Ring.series).
const RATE_SPAN_MS = 2_000;
/**
 * @typedef {object} FamilyDeps
 * @property {import("./store.js").Store} store
 * @property {import("./charts.js").ChartManager} charts
 * @property {(st: import("./store.js").SeriesState, opts: {onLines: () => void, color: number}) =>
 *   import("./cards.js").SeriesCard} card makes the card of st's family
 * @property {(name: string) => import("./sources.js").SourceGroup} group
 *   the group of a source, made if need be
 * @property {() => number} spanMs the chosen window's length, in ms
 * @property {() => boolean} hideZero whether all-zero lines are hidden
 * @property {() => [number, number]|null} [zoom] the range the reader
 *   zoomed to (unix ms), or null when the charts follow the live edge
 * @property {() => [number, number]|null} [span] the history range picked
 *   (unix ms, rangechoice.js), or null when the charts show the window
 * @property {(card: import("./cards.js").SeriesCard, from: number) => any[][]|null} [rangeData]
 *   a card's chart tables drawn from the stored history ([times, mean,
 *   min, max] a line, see rangedata.js), or null when the stream's points
 *   draw it
 * @property {(card: import("./cards.js").SeriesCard) => {stats: Map<string, object>, to: number}|null} [rangeStats]
 *   a card's statistics over the history range (by series id), or null
 *   for the window's, from the stream
 * @property {() => {tier: string, step: number}|null} [history] what the
 *   stored history's answers are cut at, while they are drawn
 * @property {(ids: Iterable<string>) => import("./alerts.js").Overlay} [overlay]
 *   what the alerts of the given series draw on their chart
 * @property {() => number} now the server's latest time, unix ms
 * @property {() => void} requestFrame
 */

export class Families {
  /** @param {FamilyDeps} deps */
  constructor(deps) {
    this.deps = deps;
    /** @type {Map<string, import("./cards.js").SeriesCard>} by family key */
    this.cards = new Map();
    /** @type {Map<string, string>} series id → family key */
    this.familyOf = new Map();
    /** Cards to bring up to date in the next frame. */
    this.dirty = new Set();
    /**
     * Cards (and charts) whose new points or statistics wait for the
     * clock's tick (flush): drawn at every delta, a chart of a source
     * polled twice a second was drawn twice a second, and in every frame
     * something else asked for.
     */
    this.waitingCards = new Set();
    this.waitingCharts = new Set();
  }

  /** keyOf is the family key of a series id (undefined if unknown). */
  keyOf(id) {
    return this.familyOf.get(id);
  }

  /** pointsCame marks a series' card and chart for redrawing at the next tick (flush). */
  pointsCame(id) {
    const key = this.familyOf.get(id);
    if (!key) return;
    this.waitingCharts.add(key);
    this.waitingCards.add(key);
  }

  /** windowsCame marks a series' card (not its chart) for updating at the next tick (flush). */
  windowsCame(id) {
    const key = this.familyOf.get(id);
    if (key) this.waitingCards.add(key);
  }

  /**
   * flush marks for the next frame the cards and charts whose new points
   * or statistics waited (pointsCame, windowsCame); the page's clock calls
   * it every second, and a snapshot at once.
   */
  flush() {
    for (const key of this.waitingCharts) this.deps.charts.markDirty(key);
    for (const key of this.waitingCards) this.dirty.add(key);
    this.waitingCharts.clear();
    this.waitingCards.clear();
  }

  /** markAll marks every card for updating. */
  markAll() {
    for (const key of this.cards.keys()) this.dirty.add(key);
  }

  /**
   * add puts a series in its family's card, making the card (and its
   * chart) for the family's first series.
   * @param {import("./store.js").SeriesState} st
   */
  add(st) {
    if (!st || this.familyOf.has(st.id)) return;
    const key = familyKey(st);
    this.familyOf.set(st.id, key);
    const g = this.deps.group(st.source);
    const charts = this.deps.charts;
    let card = this.cards.get(key);
    if (card) {
      card.add(st);
      charts.markDirty(key);
    } else {
      const color = Number(g.el.dataset.color);
      card = this.deps.card(st, { onLines: () => this.redraw(key), color });
      this.cards.set(key, card);
      g.place(card);
      g.el.dataset.cards = String(g.cards.size);
      charts.add(key, {
        el: card.chart,
        unit: card.unit,
        color,
        source: st.source,
        data: () => this.data(key),
        lines: () => chartLines(card, this.deps.hideZero()),
        range: () => this.range(key),
        overlay: () => (this.deps.overlay ? this.deps.overlay(card.lines.keys()) : { thresholds: [], spans: [] }),
        title: () => (card.labelText ? `${card.metric} {${card.labelText}}` : card.metric),
        history: () => (this.deps.history ? this.deps.history() : null),
        onMarks: (labels) => card.showMarks(labels),
        onHover: (x, ys) => {
          card.hover(x, ys);
          if (x === null) this.redraw(key);
        },
      });
      charts.setHidden(key, g.collapsed);
    }
    g.refreshCount();
    this.dirty.add(key);
  }

  /**
   * remove takes a series out of its card, and the card (and chart) away
   * with its family's last series. It returns the card's group, if any.
   */
  remove(id, groups) {
    const key = this.familyOf.get(id);
    const card = key && this.cards.get(key);
    this.familyOf.delete(id);
    if (!card) return;
    const g = groups.get(card.source);
    if (card.remove(id) > 0) {
      this.redraw(key);
    } else {
      this.deps.charts.remove(key);
      if (g) {
        g.drop(key);
        g.el.dataset.cards = String(g.cards.size);
      }
      this.cards.delete(key);
      this.dirty.delete(key);
      this.waitingCards.delete(key);
      this.waitingCharts.delete(key);
    }
    if (g) g.refreshCount();
  }

  redraw(key) {
    this.deps.charts.markDirty(key);
    this.dirty.add(key);
    this.deps.requestFrame();
  }

  /**
   * range is the time span a chart shows, [from, to] in unix ms: the
   * reader's zoom if any; else the chosen window, ending at the server's
   * latest time, narrowed to the data while there is less of it (a page
   * opened on a fresh server is not a mostly empty chart).
   */
  range(key) {
    const zoom = this.deps.zoom ? this.deps.zoom() : null;
    if (zoom) return zoom;
    const span = this.deps.span ? this.deps.span() : null;
    if (span) return span;
    const now = this.deps.now();
    let from = now - this.deps.spanMs();
    const card = this.cards.get(key);
    let first = NaN;
    if (card) for (const l of card.lines.values()) if (!(l.st.ring.firstTime() >= first)) first = l.st.ring.firstTime();
    if (first > from) from = Math.min(first, now - MIN_SPAN_MS);
    return [from, now];
  }

  /**
   * data is a card's chart data: one [times, values] table per line, in
   * the card's order (times in unix seconds; a counter's values are its
   * rates). The chart aligns them. Drawn from the stored history, a table
   * is [times, mean, min, max] (a band around the mean, bands.js).
   */
  data(key) {
    const card = this.cards.get(key);
    if (!card) return [];
    const from = this.range(key)[0];
    const history = this.deps.rangeData ? this.deps.rangeData(card, from) : null;
    if (history) return history;
    const span = card.unit.rate ? RATE_SPAN_MS : 0;
    return card.drawnLines().map((l) => l.st.ring.series(from, span));
  }

  /**
   * update writes the dirty cards' text (values, statistics, legend, the
   * chart's text alternative and whether each line is all zero), in sight
   * or not: text in a content-visibility: auto card out of sight costs no
   * layout or paint, and a reader who searches the page (Ctrl+F), moves by
   * table or heading, or counts what Hide zeros hides, meets current
   * figures everywhere. Only the charts' drawing waits for them to show
   * (charts.js). Over a history range, the cards' statistics are the
   * range's (rangeStats) and windowName names it. When due() says the
   * frame's time is up it stops, the cards left still dirty for the next
   * frame (at least one card is done a call).
   * @returns {boolean} whether a card's line became all zero or stopped being
   */
  update(windowName, spanMs, due = () => false) {
    const now = this.deps.now();
    let flipped = false;
    let done = 0;
    for (const key of this.dirty) {
      // Out of time (due): the rest in the next frame, at least one a frame.
      if (done++ > 0 && due()) return flipped;
      this.dirty.delete(key);
      const card = this.cards.get(key);
      if (!card) continue;
      const r = this.deps.rangeStats ? this.deps.rangeStats(card) : null;
      if (r ? card.update(windowName, spanMs, now, r) : card.update(windowName, spanMs, now)) flipped = true;
    }
    return flipped;
  }
}

/**
 * chartLines are the lines a card's chart draws (SeriesCard.chartLines):
 * its members but an aggregate of the others (a "total", a sum over the
 * per-CPU lines), which the legend shows as figures.
 * @param {import("./cards.js").SeriesCard} card
 * @param {boolean} hideZero
 */
export function chartLines(card, hideZero) {
  return card.chartLines(hideZero);
}
