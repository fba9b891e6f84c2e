// A series card: metric name and labels, the current value in its guessed
// unit (a counter shows its rate per second), a chart of the history and
// the window's statistics.

import { h, setText } from "./dom.js";
import { formatClock, formatLabels, formatValue, unitOf } from "./format.js";

export class SeriesCard {
  /** @param {import("./store.js").SeriesState} s */
  constructor(s) {
    this.id = s.id;
    this.source = s.source;
    this.metric = s.metric;
    this.labelText = formatLabels(s.labels);
    this.unit = unitOf(s.metric, s.kind);
    this.sortKey = `${s.metric}\u0000${this.labelText}`;
    this.hovering = false;

    const labels = h("div", "labels");
    for (const k of Object.keys(s.labels || {}).sort()) {
      labels.append(h("span", "label", h("span", "label-key", k), `=${s.labels[k]}`));
    }
    this.value = h("span", "value", "–");
    this.unitEl = h("span", "unit");
    this.note = h("span", "note");
    this.chart = h("div", { class: "chart", "aria-hidden": "true" });
    this.stats = h("dl", "stats");
    this.statEls = new Map();
    const kindTag = this.unit.rate ? h("span", { class: "kind", title: "counter: shown as its rate per second" }, "rate") : null;
    this.el = h(
      "article",
      {
        class: "card",
        dataset: { series: s.id, sort: this.sortKey, kind: s.kind },
      },
      h("header", "card-head", h("h3", { class: "metric", title: `${s.source} · ${s.metric}${this.labelText ? ` {${this.labelText}}` : ""}` }, s.metric), kindTag),
      labels.childElementCount ? labels : null,
      h("div", "reading", this.value, this.unitEl, this.note),
      this.chart,
      this.stats,
    );
  }

  /** filterText is what the filter box matches against. */
  filterTexts() {
    return [this.source, this.metric, this.labelText];
  }

  /**
   * update shows the series' current value and the statistics of the
   * chosen window (spanMs long). Gauges: min, max, mean, p99. Counters:
   * the window's rate is the value; the stats are the increase over the
   * window, the total and the number of samples.
   */
  update(s, windowName, spanMs) {
    const w = (s.windows && s.windows[windowName]) || {};
    if (!this.hovering) {
      const v = this.unit.rate ? w.rate : s.last ? s.last[1] : null;
      this.showReading(formatValue(v, this.unit));
      setText(this.note, "");
    }
    const plain = { ...this.unit, rate: false, perSecond: false };
    const stats = this.unit.rate
      ? [
          ["increase", formatValue(increase(s, w, spanMs), plain)],
          ["total", formatValue(s.last ? s.last[1] : null, plain)],
          ["samples", { text: w.count ? String(w.count) : "–", unit: "" }],
        ]
      : [
          ["min", formatValue(w.min, this.unit)],
          ["max", formatValue(w.max, this.unit)],
          ["mean", formatValue(w.mean, this.unit)],
          ["p99", formatValue(w.p99, this.unit)],
        ];
    for (const [name, f] of stats) {
      let st = this.statEls.get(name);
      if (!st) {
        st = { num: h("span", "stat-num"), unit: h("span", "stat-unit") };
        this.statEls.set(name, st);
        this.stats.append(h("div", "stat", h("dt", null, name), h("dd", null, st.num, st.unit)));
      }
      setText(st.num, f.text);
      setText(st.unit, f.unit);
    }
  }

  showReading(f) {
    setText(this.value, f.text);
    setText(this.unitEl, f.unit);
  }

  /** hover shows the point under the chart's cursor; null ends it. */
  hover(x, y) {
    this.hovering = x !== null;
    this.el.classList.toggle("is-hovering", this.hovering);
    if (this.hovering) {
      this.showReading(formatValue(y, this.unit));
      setText(this.note, `at ${formatClock(x * 1000)}`);
    }
  }
}

/**
 * increase is a counter's increase over the window. The server's rate is
 * reset-aware: the increase divided by the time between the window's first
 * and last samples, so the increase is the rate times that time (which
 * max − min is not, across a restart of the counter).
 */
function increase(s, w, spanMs) {
  if (!w.count || w.rate === null || w.rate === undefined || !s.last || !s.ring.length) return null;
  const ring = s.ring;
  const first = ring.timeAt(Math.min(ring.length - 1, ring.lowerBound(s.last[0] - spanMs)));
  return (w.rate * Math.max(0, s.last[0] - first)) / 1000;
}
