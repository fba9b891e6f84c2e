// The event timeline's panel: newest first, each entry with its time, its
// source and what happened (a failure in red, its error under it), and a
// choice of source. Churn (an alert rule flapping, a source crashing over
// and over: timeline.js groupRuns) is one entry that says how often and
// over when, with its newest state, and opens (a button, aria-expanded) on
// each of its entries. What to list is the timeline's (timeline.js).

import { h, setText } from "./dom.js";
import { formatClock } from "./format.js";
import { MAX_EVENTS, groupRuns } from "./timeline.js";

/** SHOWN bounds the entries drawn (a group is one); the timeline keeps more. */
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
    /** @type {Set<string>} the groups open, by key (EventGroup key), kept across redraws */
    this.open = new Set();
    els.filter.addEventListener("change", () => onFilter(els.filter.value));
  }

  /**
   * show lists the entries (newest first), churn grouped, and offers the
   * sources to choose from, selected being the one chosen. A group the
   * reader opened stays open, and its button keeps the focus it had.
   * Where the timeline's bounds cut a class (cuts: Timeline.cuts), its
   * end says how many older entries of it are not shown, here nor on the charts.
   * @param {import("./timeline.js").TimelineEvent[]} events
   * @param {string[]} sources
   * @param {string} selected
   * @param {{what: string, n: number, until: number}[]} [cuts]
   */
  show(events, sources, selected, cuts = []) {
    const key = sources.join("\u0000");
    if (key !== this.options) {
      this.options = key;
      this.els.filter.replaceChildren(h("option", { value: "" }, "All sources"), ...sources.map((s) => h("option", { value: s }, s)));
    }
    this.els.filter.value = selected;
    const active = globalThis.document && document.activeElement;
    const focused = active && this.els.list.contains(active) && active.dataset ? active.dataset.group : undefined;
    const entries = groupRuns(events).slice(0, SHOWN);
    const keys = new Set(entries.filter((e) => e.group).map((g) => g.key));
    for (const k of this.open) if (!keys.has(k)) this.open.delete(k);
    let refocus = null;
    const items = entries.map((e, i) => {
      if (!e.group) return eventItem(e);
      const item = this.groupItem(e, `tl-run-${i}`);
      if (e.key === focused) refocus = item.firstElementChild;
      return item;
    });
    if (!items.length) items.push(h("li", "event-none", selected ? `Nothing has happened to ${selected} yet.` : "Nothing has happened yet."));
    for (const c of cuts) items.push(cutItem(c));
    this.els.list.replaceChildren(...items);
    if (refocus) refocus.focus();
    setText(this.els.count, events.length ? String(events.length) : "");
  }

  // groupItem is a group's entry: a button telling the run (its newest
  // entry's time, its source, how often, over when, its newest state) that
  // opens or closes the list of its entries, id.
  groupItem(g, id) {
    const newest = g.events[0];
    const open = this.open.has(g.key);
    const list = h("ol", { class: "event-run", id }, ...g.events.map(eventItem));
    list.hidden = !open;
    const toggle = h(
      "button",
      { type: "button", class: "event-toggle", "aria-expanded": String(open), "aria-controls": id, dataset: { group: g.key } },
      h("time", { datetime: new Date(newest.ts).toISOString() }, formatClock(newest.ts)),
      g.source ? h("span", "event-source", g.source) : null,
      h("span", "event-text", g.text),
      h("span", "event-latest", `latest: ${newest.text}`),
    );
    toggle.addEventListener("click", () => {
      const now = !this.open.has(g.key);
      if (now) this.open.add(g.key);
      else this.open.delete(g.key);
      toggle.setAttribute("aria-expanded", String(now));
      list.hidden = !now;
    });
    return h("li", { class: g.bad ? "event-group is-bad" : "event-group", dataset: { family: g.family, source: g.source, kind: newest.kind } }, toggle, list);
  }
}

// cutItem says that the timeline's bound cut older entries of a class:
// "312 older alert changes not shown (up to 09:07:14), nor marked on the charts".
function cutItem(c) {
  return h(
    "li",
    { class: "event-cut", dataset: { cut: String(c.n) } },
    `${nf.format(c.n)} older ${c.what} not shown (up to ${formatClock(c.until)}), nor marked on the charts: the timeline keeps the newest ${nf.format(MAX_EVENTS)} of each kind`,
  );
}

const nf = new Intl.NumberFormat("en-US");

// eventItem is an entry's line: its time, source, text and detail.
function eventItem(e) {
  return h(
    "li",
    { class: e.bad ? "event is-bad" : "event", dataset: { kind: e.kind, source: e.source } },
    h("time", { datetime: new Date(e.ts).toISOString() }, formatClock(e.ts)),
    e.source ? h("span", "event-source", e.source) : null,
    h("span", "event-text", e.text),
    e.detail ? h("span", { class: "event-detail", title: e.detail }, e.detail) : null,
  );
}
