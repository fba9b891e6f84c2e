// The event timeline's panel: newest first, each entry with its time, its
// source and what happened (a failure in red, its error under it), and a
// choice of source. What to list is the timeline's (timeline.js).

import { h, setText } from "./dom.js";
import { formatClock } from "./format.js";

/** SHOWN bounds the entries drawn; the timeline keeps more. */
const SHOWN = 100;

export class TimelineView {
  /**
   * @param {{list: HTMLElement, filter: HTMLSelectElement, count: HTMLElement}} els
   * @param {(source: string) => void} onFilter called with the source
   *   chosen ("" for all)
   */
  constructor(els, onFilter) {
    this.els = els;
    this.options = "";
    els.filter.addEventListener("change", () => onFilter(els.filter.value));
  }

  /**
   * show lists the entries (newest first) and offers the sources to
   * choose from, selected being the one chosen.
   * @param {import("./timeline.js").TimelineEvent[]} events
   * @param {string[]} sources
   * @param {string} selected
   */
  show(events, sources, selected) {
    const key = sources.join("\u0000");
    if (key !== this.options) {
      this.options = key;
      this.els.filter.replaceChildren(h("option", { value: "" }, "All sources"), ...sources.map((s) => h("option", { value: s }, s)));
    }
    this.els.filter.value = selected;
    const items = events.slice(0, SHOWN).map((e) =>
      h(
        "li",
        { class: e.bad ? "event is-bad" : "event", dataset: { kind: e.kind, source: e.source } },
        h("time", { datetime: new Date(e.ts).toISOString() }, formatClock(e.ts)),
        e.source ? h("span", "event-source", e.source) : null,
        h("span", "event-text", e.text),
        e.detail ? h("span", { class: "event-detail", title: e.detail }, e.detail) : null,
      ),
    );
    if (!items.length) items.push(h("li", "event-none", selected ? `Nothing has happened to ${selected} yet.` : "Nothing has happened yet."));
    this.els.list.replaceChildren(...items);
    setText(this.els.count, events.length ? String(events.length) : "");
  }
}
