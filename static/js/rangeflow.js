// The history range on the page, as methods of the page controller
// (controller.js): picking a range (rangechoice.js), asking the server for
// the stored history of the series in sight (rangeloader.js), drawing it
// as bands carried on by the stream (rangedata.js, bands.js), and the
// cards' statistics over it.
//
// How it works: what the charts show is the zoom, else the range picked,
// else the statistics window (today's page). Only a span reaching back
// past the stream's own points (store.historyMs) is asked for; anything
// shorter is drawn from the stream exactly as before. Each frame asks for
// the series whose charts are in sight and lack an answer for the span;
// each second, a span that includes now is asked for again before the
// stream's points that carry it on to the right run out.

import { breakGaps, counterRates, emptyColumns, firstSample, gapSpan, lineSpacing, mergeLive, rangeStats, rangeTable, ringColumns } from "./rangedata.js";
import { customRange, includesNow, needsHistory, rangeLabel, rangeSpan, refreshDue } from "./rangechoice.js";
import { formatSpan } from "./format.js";

/** Points asked for a series: about a chart's width in pixels. */
const MIN_POINTS = 200;
const DEFAULT_POINTS = 600;

/** @type {ThisType<import("./controller.js").PageController> & Record<string, Function>} */
export const pageRanges = {
  /** selectRange picks a preset ("24h"), or none (null): the window's live charts again. */
  selectRange(name) {
    this.setRange(name ? { name } : null);
  },

  /**
   * setCustomRange picks [from, to] (unix ms); false (and nothing
   * changes) when the span is one the page could not show: empty, too
   * long, or ending after now (a span of the future drew empty charts, and
   * the address it wrote was refused when opened).
   */
  setCustomRange(from, to) {
    const c = customRange(from, to, this.clock());
    if (!c) return false;
    this.setRange(c);
    return true;
  },

  /** setRange shows a history range (null: none); a zoom is dropped with the range it narrowed. */
  setRange(choice) {
    this.range = choice;
    if (this.zoom) this.zoom = null;
    // A custom range is a fixed span of the past, not live: the chip says
    // which, and leads back to live, as a zoom's does.
    this.deps.page.showZoom(choice && choice.name === "custom" ? [choice.from, choice.to] : null);
    this.deps.page.checkRange(choice);
    this.deps.page.checkWindow(choice ? "" : this.windowName);
    this.spanChanged();
    this.syncURL();
    this.families.markAll();
    this.charts.markAllDirty();
    this.requestFrame();
  },

  /** serverNow is the server's latest time, or the page's before it has one. */
  serverNow() {
    return this.store.now || this.now();
  },

  /** rangeSpan is the range picked at the server's time now, or null. */
  pickedSpan() {
    return this.range ? rangeSpan(this.range, this.serverNow()) : null;
  },

  /** viewSpan is what the charts show, [from, to] unix ms: the zoom, else the range; null for the window. */
  viewSpan() {
    return this.zoom || this.pickedSpan();
  },

  /** historyShown says whether the charts show stored history (bands) rather than the stream alone. */
  historyShown() {
    return !!this.rangeLoader.span;
  },

  /**
   * spanChanged asks for the span shown if the stream cannot draw it, and
   * forgets the stored history if it can. Called when the zoom or the
   * range changes, and when a snapshot comes (requests in flight were
   * lost with the connection; the stream's reach may have moved).
   */
  spanChanged() {
    const span = this.viewSpan();
    if (needsHistory(span, this.serverNow() - this.store.historyMs)) {
      this.rangeLoader.setSpan(span[0], span[1], this.rangePoints());
    } else if (this.rangeLoader.span || this.rangeLoader.answers.size) {
      this.rangeLoader.clear();
    }
  },

  /** rangePoints is the point budget of a series: the widest chart's width in pixels. */
  rangePoints() {
    const w = this.charts.widest ? this.charts.widest() : 0;
    return Math.max(MIN_POINTS, w || DEFAULT_POINTS);
  },

  /** loadRange asks for the stored history of the series whose charts are in sight (each frame). */
  loadRange() {
    if (!this.rangeLoader.span) return;
    const ids = [];
    for (const [key, card] of this.families.cards) {
      if (this.charts.isShown(key)) for (const id of card.lines.keys()) ids.push(id);
    }
    this.rangeLoader.want(ids);
  },

  /** rangeCame takes a range answer from the stream; one not wanted any more is dropped. */
  rangeCame(msg) {
    const ids = this.rangeLoader.receive(msg);
    for (const id of ids) this.families.pointsCame(id);
    if (ids.length) this.requestFrame();
  },

  /**
   * rangeTick is the range's part of the page's clock: a span that
   * includes now is asked for again before the stream's points run out,
   * and what waited for the pace of requests is asked for.
   */
  rangeTick() {
    const l = this.rangeLoader;
    const span = this.viewSpan();
    const now = this.serverNow();
    if (!l.span) {
      if (needsHistory(span, now - this.store.historyMs)) this.spanChanged();
      return;
    }
    const step = Math.max(0, ...[...l.answers.values()].map((a) => a.step));
    if (includesNow(span, now) && refreshDue(l.span.to, now, this.store.historyMs, step)) l.setSpan(span[0], span[1], l.span.points);
    this.requestFrame();
  },

  // lineColumns are a line's points over the history: the answer's,
  // carried on by the stream's while the span includes now, broken where
  // they are further apart than the line's spacing (a stretch without
  // data is drawn as one, not as a straight line across).
  lineColumns(st) {
    const a = this.rangeLoader.answer(st.id);
    const cols = a ? a.cols : emptyColumns();
    const step = a ? a.step : 0;
    const span = this.viewSpan();
    return breakGaps(includesNow(span, this.serverNow()) ? mergeLive(cols, st.ring, step) : cols, step);
  },

  /** rangeData is a card's chart tables drawn from the stored history, or null (see Families). */
  rangeData(card, from) {
    if (!this.historyShown()) return null;
    return card.drawnLines().map((l) => {
      const cols = this.lineColumns(l.st);
      return rangeTable(card.unit.rate ? counterRates(cols, lineSpacing(l.st)) : cols, from);
    });
  },

  /**
   * rangeStats is a card's statistics over the span shown, by series id,
   * while a range is picked, the charts are zoomed or stored history is
   * shown; null otherwise (the window's statistics, from the stream). live
   * says whether the span reaches now: if not, a card's value is the last
   * one within it, not the stream's latest.
   */
  rangeStats(card) {
    if (!this.range && !this.zoom && !this.historyShown()) return null;
    const [from, to] = this.viewSpan();
    const stats = new Map();
    for (const l of card.lines.values()) {
      const history = this.historyShown();
      const cols = history ? this.lineColumns(l.st) : ringColumns(l.st.ring, from, to);
      const a = history ? this.rangeLoader.answer(l.st.id) : null;
      const st = rangeStats(cols, from, to, !!card.unit.rate, gapSpan(cols, a ? a.step : 0), card.unit.rate ? lineSpacing(l.st) : 0);
      // "Statistics since" names the first sample, not its step's start.
      st.first = firstSample(st.first, a ? a.step : 0, l.st.since || 0);
      stats.set(l.st.id, st);
    }
    return { stats, to: Math.min(to, this.serverNow()), live: !this.pastEnd() };
  },

  /**
   * pastEnd is the end of the span the charts show (unix ms) when it does
   * not reach now (a custom range, a zoom), else 0: the page is live.
   */
  pastEnd() {
    const span = this.viewSpan();
    return span && !includesNow(span, this.serverNow()) ? span[1] : 0;
  },

  /**
   * showView tells the page, each frame, whether the charts follow the
   * live window: the way back to live shows for a zoom or a custom range
   * whatever brought it (a click, a shared address, a reload), and the
   * pill says "history to …" while the span ends before now. Both only
   * write what changed.
   */
  showView() {
    const custom = this.range && this.range.name === "custom" ? [this.range.from, this.range.to] : null;
    this.deps.page.showZoom(this.zoom || custom);
    this.deps.status.showPast(this.pastEnd(), this.zoom || custom);
  },

  /** rangeInfo is what the stored history shown was cut at (the charts' data-tier), or null. */
  rangeInfo() {
    if (!this.historyShown()) return null;
    for (const a of this.rangeLoader.answers.values()) if (a.gen === this.rangeLoader.gen) return { tier: a.tier, step: a.step };
    return { tier: "", step: 0 };
  },

  /**
   * statsWindow is what the cards' statistics are over: the window's name
   * and length, or over a range its label ("24h", or the zoom's times).
   */
  statsWindow() {
    if (!this.range && !this.zoom && !this.historyShown()) return { name: this.windowName, spanMs: this.spanMs() };
    const [from, to] = this.viewSpan();
    const name = this.zoom ? formatSpan(from, to) : rangeLabel(this.range);
    return { name, spanMs: to - from };
  },
};
