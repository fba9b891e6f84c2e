// A metric card: one metric of one source, with every series of that
// metric (its family, family.js) as a line of one chart. The labels all
// lines share are chips in the head; a lone series shows its current value
// in its guessed unit (a counter: its rate per second now, between its
// last two points; the window's mean rate is a statistic) and the window's
// statistics; a family of several has a legend instead, a row per line
// named by the label values that tell them apart, with the line's own
// value and statistics, where a click shows that line alone and a
// Ctrl/⌘-click hides or shows it. A stale series (its source no longer
// shows it) is greyed, and says since when instead of a current value. A
// series under an alert colours its legend row and the card (warning or
// critical; pending is a dashed edge, firing a solid one). Over a span of
// the past (a zoom, a custom range) the value is the last within it, with
// its time, and the statistics are the span's.

import { worst } from "./alerts.js";
import { h, setHidden, setText, setTitle } from "./dom.js";
import { familyKey, isAllZero, splitLabels } from "./family.js";
import { clickLines, layoutLegend, legendRow, legendTable, showLegendFigures, showLegendValues } from "./legend.js";
import { counterFigures, coverageCaption, currentRate, joined, samplesOf, staleText, UNRANGED, valueAtTime, whyMissing, windowSpan } from "./cardtext.js";
import { formatAt, formatLabels, formatWhen, seriesScale, unitOf } from "./format.js";
import { columnGroups, figure, figures, shareFigures, shareTable } from "./sharedscale.js";

export { coverageSince, staleText } from "./cardtext.js";

/**
 * @typedef {{st: import("./store.js").SeriesState, name: string,
 *   row: HTMLElement, button: HTMLButtonElement, cells: HTMLElement[],
 *   hidden: boolean, zero: boolean}} Line
 */

export class SeriesCard {
  /**
   * @param {import("./store.js").SeriesState} s the first series of the family
   * @param {{onLines?: () => void, color?: number}} [opts] onLines is
   *   called when the reader hides or shows lines (the chart must be
   *   redrawn); color is the palette index of the first line (the chart's)
   */
  constructor(s, opts = {}) {
    this.id = familyKey(s);
    this.source = s.source;
    this.metric = s.metric;
    this.unit = unitOf(s.metric, s.kind);
    this.sortKey = s.metric;
    this.onLines = opts.onLines || (() => {});
    this.color = opts.color || 0;
    this.hovering = false;
    /** @type {Map<string, Line>} by series id, in legend order */
    this.lines = new Map();

    this.labels = h("div", "labels");
    this.value = h("span", "value", "–");
    this.unitEl = h("span", "unit");
    this.note = h("span", "note");
    this.offline = false; // disconnected: the figures are the last received (setOffline)
    this.offlineNote = h("span", "offline-note", "(stale)");
    this.offlineNote.hidden = true;
    // The chart's text alternative is its current values and statistics
    // (update); a Tab stop, so that a keyboard reaches every chart and
    // its markers' labels (shown while it has focus).
    this.chart = h("div", { class: "chart", role: "img", tabindex: "0", "aria-label": `${s.metric}: no data yet` });
    this.stats = h("dl", "stats");
    this.coverage = h("p", "coverage");
    this.coverage.hidden = true;
    this.statEls = new Map();
    // The legend: its key column's head, its value column's ("now", "last" or the cursor's time) and its stale mark.
    ({ table: this.legend, keyHead: this.keyHead, nowHead: this.nowHead, markOffline: this.markLegendOffline, body: this.legendBody } = legendTable(this.unit.rate));
    const kindTag = this.unit.rate ? h("span", { class: "kind", title: "counter: shown as its rate per second" }, "rate") : null;
    this.el = h(
      "article",
      { class: "card", "aria-label": `${s.metric} of ${s.source}`, dataset: { metric: s.metric, sort: this.sortKey, kind: s.kind } },
      h("header", "card-head", h("h3", { class: "metric", title: `${s.source} · ${s.metric}` }, s.metric), kindTag),
      this.labels,
      h("div", "reading", this.value, this.unitEl, this.offlineNote, this.note),
      this.chart,
      this.stats,
      // The legend scrolls sideways inside the card when its columns cannot fit (groups.css).
      h("div", "legend-box", this.legend),
      this.coverage,
    );
    this.add(s);
  }

  /** size is the number of series in the card. */
  get size() {
    return this.lines.size;
  }

  /** add puts a series of the family in the card, in natural order of its labels. */
  add(st) {
    if (this.lines.has(st.id)) {
      this.lines.get(st.id).st = st;
      return;
    }
    const parts = legendRow(st.id, (toggle) => this.clickLine(st.id, toggle));
    this.lines.set(st.id, { st, name: "", ...parts, hidden: false, zero: false, filtered: false, aggregate: false });
    this.relabel();
  }

  /** remove takes a series out; it returns how many are left. */
  remove(id) {
    const line = this.lines.get(id);
    if (line) {
      line.row.remove();
      this.lines.delete(id);
      if (this.lines.size) this.relabel();
    }
    return this.lines.size;
  }

  // relabel recomputes the shared labels and the lines' names and order.
  relabel() {
    const { varying, common } = splitLabels([...this.lines.values()].map((l) => l.st.labels));
    this.varying = varying;
    this.labelText = formatLabels(common);
    this.labels.replaceChildren(
      ...Object.keys(common).map((k) => h("span", "label", h("span", "label-key", k), `=${common[k]}`)),
    );
    this.labels.hidden = !this.labels.childElementCount;
    setText(this.keyHead, varying.join(" · "));
    const all = layoutLegend([...this.lines.values()], varying, this.color, this.legendBody);
    this.lines = new Map(all.map((l) => [l.st.id, l]));
    const many = all.length > 1;
    this.el.dataset.lines = String(all.length);
    this.el.classList.toggle("is-family", many);
    // Until a card has been on screen, content-visibility lays it out at
    // this size: a family's legend row a line, so that cards coming into
    // view do not grow by hundreds of pixels and push what the reader
    // scrolled to out of sight.
    this.el.style.containIntrinsicSize = many ? `auto ${familyHeight(all.length)}px` : "";
  }

  /**
   * showAlerts colours the card by its lines' alerts: the worst of them
   * (alerts.js worst) marks the card, each line's its legend row, and the
   * card's name says it for a screen reader.
   * @param {Map<string, import("./alerts.js").Alert|undefined>} byLine by series id
   */
  showAlerts(byLine) {
    const mine = [];
    for (const [id, a] of byLine) {
      const l = this.lines.get(id);
      if (!l) continue;
      setAlert(l.row, a);
      if (a) mine.push(a);
    }
    const top = worst(mine);
    setAlert(this.el, top);
    const base = `${this.metric} of ${this.source}`;
    this.el.setAttribute("aria-label", top ? `${base}: ${top.name} ${top.state} (${top.severity})` : base);
  }

  /**
   * clickLine is the legend's click: alone, the line is shown by itself
   * (or, if it already is, every line comes back); with toggle (Ctrl or ⌘),
   * the line is hidden or shown.
   */
  clickLine(id, toggle) {
    const line = this.lines.get(id);
    if (!line || line.aggregate) return;
    clickLines(this.drawnLines(), line, toggle);
    this.onLines();
  }

  /**
   * drawnLines are the lines the chart draws, in legend order: every
   * member but an aggregate of the others (relabel).
   * @returns {Line[]}
   */
  drawnLines() {
    return [...this.lines.values()].filter((l) => !l.aggregate);
  }

  /**
   * chartLines is what the chart draws: its drawnLines, hidden if the
   * reader hid it or (with hideZero) it is all zero. Stale lines are
   * drawn greyed.
   * @param {boolean} hideZero
   * @returns {{id: string, name: string, hidden: boolean, stale: boolean}[]}
   */
  chartLines(hideZero) {
    return this.drawnLines().map((l) => ({ id: l.st.id, name: l.name, hidden: l.hidden || l.filtered || (hideZero && l.zero), stale: l.st.staleSince > 0 }));
  }

  /**
   * filterLines takes, per line in lineTexts' order, whether the filter box
   * matches it: a line it does not match leaves the chart and the legend
   * (all lines come back when the filter is cleared). It redraws the chart
   * only when that changed anything.
   * @param {boolean[]} matches
   */
  filterLines(matches) {
    let i = 0;
    let changed = false;
    for (const l of this.lines.values()) {
      const filtered = matches[i++] === false;
      if (l.filtered !== filtered) {
        l.filtered = filtered;
        l.row.hidden = filtered;
        changed = true;
      }
    }
    if (changed) this.onLines();
  }

  /**
   * lineTexts are what the filter box matches a series against, a list
   * per line: the source, the metric, its labels as the chips show them
   * (`cpu=1`) and as Prometheus writes them (`cpu="1"`), and the line's name.
   * @returns {string[][]}
   */
  lineTexts() {
    return [...this.lines.values()].map((l) => [
      this.source,
      this.metric,
      ...Object.entries(l.st.labels || {}).map(([k, v]) => `${k}=${v}`),
      formatLabels(l.st.labels),
      l.name,
    ]);
  }

  /**
   * lineItems are what the filter (filter.js) matches each line against,
   * in lineTexts' order: its source, metric and labels for the label
   * matchers, and lineTexts for plain words.
   * @returns {import("./filter.js").FilterItem[]}
   */
  lineItems() {
    const texts = this.lineTexts();
    return [...this.lines.values()].map((l, i) => ({ source: this.source, metric: this.metric, labels: l.st.labels || {}, texts: texts[i] }));
  }

  /**
   * zeroLines says, in lineItems' order, which lines were zero all through
   * the window at the card's last update (isAllZero): what Hide zeros hides.
   * @returns {boolean[]}
   */
  zeroLines() {
    return [...this.lines.values()].map((l) => l.zero);
  }

  /**
   * update shows each series' current value and the statistics of the
   * chosen window (spanMs long). Gauges: min, max, mean (and p99 for a
   * lone series). Counters: the window's rate is the value; the stats are
   * the increase over the window, the total and (lone) the samples. When
   * the server holds less than the window (it restarted, or the series is
   * young), the card says since when its statistics are (now: the
   * server's time, unix ms). Over a history range, range holds each
   * line's statistics over it (rangedata.js rangeStats, by series id) and
   * its end (to, unix ms), and windowName names it; when the range ends
   * before now (live false), the value shown is each line's last within
   * it, labelled with its time, not the stream's latest.
   * @param {string} windowName
   * @param {number} spanMs
   * @param {number} [now]
   * @param {{stats: Map<string, object>, to: number, live?: boolean}} [range]
   * @returns {boolean} whether a line became all zero or stopped being
   * (the filter's count of what shows changes with Hide zeros on)
   */
  update(windowName, spanMs, now = 0, range = undefined) {
    this.spanMs = spanMs; // the hover's time reads by it (formatAt)
    this.nowWindow = windowName; // and its values' noise by the window's figures (hoverScale)
    let zeros = 0;
    let flipped = false;
    const rows = [];
    let stale = 0;
    const alt = [];
    const past = !!range && range.live === false;
    this.nowWord = past ? "last" : "now";
    if (!this.hovering) setText(this.nowHead, this.nowWord);
    for (const l of this.lines.values()) {
      const s = l.st;
      const w = statsOf(s, windowName, range);
      const zero = isAllZero(w, this.unit.rate);
      flipped ||= zero !== l.zero;
      l.zero = zero;
      if (l.zero) zeros++;
      if (s.staleSince > 0) stale++;
      l.row.classList.toggle("is-zero", l.zero);
      l.row.classList.toggle("is-stale", s.staleSince > 0);
      const at = pastAt(w, past, now);
      const cols = this.columns(s, w, spanMs, past, range ? 0 : now);
      alt.push(this.lineText(l, cols, windowName, at));
      if (this.lines.size === 1) this.showLone(s, w, cols, at, !!range);
      else rows.push({ l, cols, at });
    }
    this.rows = rows;
    showLegendFigures(rows, this.hovering, columnGroups(this.unit.rate));
    this.el.classList.toggle("is-all-zero", zeros === this.lines.size);
    this.el.classList.toggle("is-stale", stale === this.lines.size);
    this.showValuesText(alt);
    const cover = coverageCaption([...this.lines.values()].map((l) => l.st), windowName, spanMs, now, range);
    setHidden(this.coverage, !cover.text);
    setText(this.coverage, cover.text);
    setTitle(this.coverage, cover.title);
    return flipped;
  }

  showValuesText(alt) {
    this.valuesText = `${this.metric}${this.labelText ? ` {${this.labelText}}` : ""}: ${alt.join("; ")}`;
    this.showAlt();
  }

  /**
   * showMarks puts the labels of the markers the chart shows (plugins.js
   * markerLabel: what happened, and when) in its text alternative; the
   * chart manager calls it when they change.
   * @param {string[]} labels
   */
  showMarks(labels) {
    this.marks = labels;
    this.showAlt();
  }

  /**
   * setOffline marks the card's figures as the last received while the
   * page is disconnected (pageframe.js drawStates), as the sources' states
   * and times are: dimmed (groups.css), "(stale)" beside the headline
   * value (a family's: in its legend's value column head), and said first
   * in the chart's text alternative; unmarked again once connected.
   * @param {boolean} offline
   */
  setOffline(offline) {
    if (offline === this.offline) return;
    this.offline = offline;
    this.el.classList.toggle("is-offline", offline);
    this.offlineNote.hidden = !offline;
    this.markLegendOffline(offline);
    this.showAlt();
  }

  // showAlt writes the chart's text alternative: its values and
  // statistics, then its markers; stale first while disconnected.
  showAlt() {
    const marks = this.marks && this.marks.length ? `. Marked: ${this.marks.join("; ")}` : "";
    const stale = this.offline ? "Stale, the connection is lost: " : "";
    const text = `${stale}${this.valuesText || `${this.metric}: no data yet`}${marks}`;
    if (this.chart.getAttribute("aria-label") !== text) this.chart.setAttribute("aria-label", text);
  }

  // lineText is a line's current value and statistics, in words: the
  // chart's text alternative. at is when the value shown was, over a span
  // of the past ("" if it holds no point); null while live.
  lineText(l, cols, windowName, at = null) {
    const name = l.name ? `${l.name}: ` : "";
    const when = at === null ? " now" : at ? ` at ${at}` : "";
    if (l.st.staleSince > 0 && at === null) return `${name}${staleText(l.st)}, last ${joined(cols[0])}`;
    if (this.unit.rate) return `${name}${joined(cols[0])}${when}; over ${windowName} mean rate ${joined(cols[1])}, increase ${joined(cols[2])}, total ${joined(cols[3])}`;
    return `${name}${joined(cols[0])}${when}; over ${windowName} min ${joined(cols[1])}, max ${joined(cols[2])}, mean ${joined(cols[3])}`;
  }

  // columns are a line's figures, in the legend's columns; over a span of the past (past), its value is
  // the last within it (a counter's: the latest rate in it). A counter's mean rate and increase are over
  // the time its data covers (counterFigures): over a range its statistics (w, rangeStats), live the
  // ring's points of the window up to now.
  columns(s, w, spanMs, past = false, now = 0) {
    const last = past ? (w.last ?? null) : s.last ? s.last[1] : null;
    if (this.unit.rate) {
      const ranged = w.increase !== undefined;
      const span = ranged ? w : windowSpan(s, w, spanMs, now);
      const rate = ranged && w.latestRate !== undefined ? w.latestRate : past ? null : currentRate(s);
      // Over a range or zoom the total says when it was counted: the span's last point, or reaching now the stream's latest.
      const at = !ranged ? 0 : past ? w.lastAt || 0 : s.last ? s.last[0] : 0;
      return shareTable([counterFigures(span, rate, last, this.unit, spanMs, at)], columnGroups(true))[0];
    }
    // Noise is judged by the line's own size (1e-7 is data, 2.2e-11 beside 50 is not); its figures share one format (sharedscale.js).
    const scale = lineScale(s, w);
    return figures([last, w.min, w.max, w.mean], this.unit, scale);
  }

  // showLone fills the reading and the statistics of a card of one series;
  // over a zoom or a history range (ranged), a figure that cannot be had
  // there says why on hover (UNRANGED), not a bare "–".
  showLone(s, w, figs, at = null, ranged = false) {
    const cols = this.unit.rate ? figs : shareFigures([...figs, figure(w.p99, this.unit, lineScale(s, w))]); // p99 in the others' format
    if (!this.hovering) {
      // The headline is read alone, at its own precision ("20.3 ms", not the row's "0.02 s").
      this.showReading(cols[0].u ? figure(cols[0].v, cols[0].u, cols[0].scale) : cols[0]);
      if (at !== null) {
        // The span's last point (a counter's: its latest rate there), which need not fall on the span's end: said as such.
        setText(this.note, at ? `last point at ${at}` : "none in the span");
        setTitle(this.value, this.unit.rate ? "the latest rate within the span shown, at its last point (at or before the span's end), not current" : "the value of the last point within the span shown (at or before the span's end), not current");
      } else {
        setText(this.note, s.staleSince > 0 ? staleText(s) : "");
        setTitle(this.value, s.staleSince > 0 ? "the last value, not current: the source no longer reports this series" : "");
      }
    }
    const stats = this.unit.rate
      ? [["mean rate", cols[1]], ["increase", cols[2]], ["total", cols[3]], ["samples", { text: samplesOf(w) ? String(samplesOf(w)) : "–", unit: "" }]]
      : [["min", cols[1]], ["max", cols[2]], ["mean", cols[3]], ["p99", cols[4]]];
    for (const [name, f] of stats) {
      let st = this.statEls.get(name);
      if (!st) {
        st = { num: h("span", "stat-num"), unit: h("span", "stat-unit"), why: h("span", "stat-why") };
        st.why.hidden = true;
        this.statEls.set(name, st);
        this.stats.append(h("div", "stat", h("dt", null, name), h("dd", null, st.num, st.unit, st.why)));
      }
      setText(st.num, f.text);
      setText(st.unit, f.unit);
      setTitle(st.num, ranged && f.text === "–" ? UNRANGED[name] || "" : "");
      const why = whyMissing(name, f.text, w, ranged);
      setText(st.why, why);
      setHidden(st.why, !why);
    }
  }

  showReading(f) {
    setText(this.value, f.text);
    setText(this.unitEl, f.unit);
  }

  /**
   * hover shows the values under the chart's cursor: x in unix seconds,
   * ys by series id (null ends the hover). A lone series shows it as its
   * reading; a family in its legend's first column.
   * @param {number|null} x
   * @param {Map<string, number|null>|null} ys
   */
  hover(x, ys) {
    this.hovering = x !== null;
    this.el.classList.toggle("is-hovering", this.hovering);
    // The legend's value column is headed by the cursor's time, pointer's or keyboard's alike.
    setText(this.nowHead, this.hovering ? `at ${formatAt(x * 1000, this.spanMs || 0)}` : this.nowWord || "now");
    if (!this.hovering) {
      // The cursor's values give way to the last update's figures, which
      // over a span of the past may be the last until the next zoom.
      if (this.rows) showLegendFigures(this.rows);
      return;
    }
    setText(this.note, `at ${formatAt(x * 1000, this.spanMs || 0)}`);
    if (this.lines.size === 1) {
      const [[id, l]] = this.lines;
      this.showReading(figure(ys.get(id), this.unit, this.hoverScale(l)));
      return;
    }
    // Every row reads at the cursor: an aggregate, which the chart does
    // not draw, from its own points at that time.
    const t = Math.round(x * 1000);
    const lines = [...this.lines.values()];
    showLegendValues(
      lines,
      lines.map((l) => figure(l.aggregate ? valueAtTime(l.st.ring, t, this.unit.rate) : ys.get(l.st.id), this.unit, this.hoverScale(l))),
    );
  }

  // hoverScale is the size a value under the cursor is judged against for
  // float noise (formatValue): a gauge's window figures, a counter's total
  // (its rates are differences of totals).
  hoverScale(l) {
    const s = l.st;
    if (this.unit.rate) return seriesScale(s.last ? s.last[1] : null);
    return lineScale(s, (s.windows && s.windows[this.nowWindow]) || {});
  }
}

// statsOf is a line's statistics: over a history range its own (range,
// by series id), else the chosen window's from the stream; {} for none.
function statsOf(st, windowName, range) {
  return (range ? range.stats.get(st.id) : st.windows && st.windows[windowName]) || {};
}

// lineScale is a gauge line's size, for telling float noise from data
// (format.js seriesScale): its window's (or span's) min, max and last
// value; undefined (noise below NOISE) when it has none.
function lineScale(s, w) {
  return seriesScale(w.min, w.max, w.last, s.last ? s.last[1] : null);
}

// pastAt is when the value shown over a span of the past was (past), ""
// if the span holds no point; null while live.
function pastAt(w, past, now) {
  if (!past) return null;
  return w.lastAt ? formatWhen(w.lastAt, now || w.lastAt) : "";
}

// setAlert marks an element with an alert's severity and state (or none).
function setAlert(el, a) {
  if (!a) {
    delete el.dataset.alert;
    delete el.dataset.alertState;
    return;
  }
  el.dataset.alert = a.severity;
  el.dataset.alertState = a.state;
}

/**
 * familyHeight estimates a family card's height in CSS px from its count
 * of lines (its chart and head, then a legend row a line), as measured in
 * Chromium: a placeholder for content-visibility, not a layout.
 * @param {number} lines
 */
export function familyHeight(lines) {
  return Math.round(245 + 21.5 * lines);
}
