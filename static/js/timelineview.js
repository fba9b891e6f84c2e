// The event timeline's panel: newest first, each entry with its time, its
// source and what happened (a failure in red, its error under it), and a
// choice of source. Churn (an alert rule flapping, a source crashing over
// and over: timeline.js groupRuns) is one entry that says how often and
// over when, with its newest state, and opens (a button, aria-expanded) on
// each of its entries. What to list is the timeline's (timeline.js).

import { h, setData, setHidden, setText } from "./dom.js";
import { formatClock, formatMs } from "./format.js";
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
    /** @type {WeakMap<object, HTMLElement>} each entry's line, by entry */
    this.items = new WeakMap();
    /** @type {Map<string, object>} each group shown's elements, by key */
    this.groups = new Map();
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
   * @param {number} [keptMs] how far back the server keeps events (its
   *   history span): an empty list says "in the last …", not "yet", since
   *   a quiet server's start leaves the log after that long.
   */
  show(events, sources, selected, cuts = [], keptMs = 0) {
    const key = sources.join("\u0000");
    if (key !== this.options) {
      this.options = key;
      this.els.filter.replaceChildren(h("option", { value: "" }, "All sources"), ...sources.map((s) => h("option", { value: s }, s)));
    }
    this.els.filter.value = selected;
    const active = globalThis.document && document.activeElement;
    const focused = active && this.els.list.contains(active) && active.dataset ? active.dataset.group : undefined;
    const runs = groupRuns(events);
    const entries = runs.slice(0, SHOWN);
    const keys = new Set(entries.filter((e) => e.group).map((g) => g.key));
    for (const k of this.open) if (!keys.has(k)) this.open.delete(k);
    for (const k of this.groups.keys()) if (!keys.has(k)) this.groups.delete(k);
    let refocus = null;
    const items = entries.map((e, i) => {
      if (!e.group) return this.item(e);
      const item = this.groupItem(e, `tl-run-${i}`);
      if (e.key === focused) refocus = item.firstElementChild;
      return item;
    });
    if (!items.length) items.push(h("li", "event-none", noEvents(selected, keptMs)));
    for (const c of cuts) items.push(cutItem(c));
    keep(this.els.list, items);
    if (refocus && document.activeElement !== refocus) refocus.focus();
    // The count counts the rows listed (a run of entries is one), of the
    // source chosen: "218" beside ten rows read as a count of something else.
    setText(this.els.count, rowCount(entries.length, runs.length));
    const title = events.length ? `${events.length} ${events.length === 1 ? "event" : "events"} in ${runs.length} ${runs.length === 1 ? "row" : "rows"}` : "";
    if (this.els.count.title !== title) this.els.count.title = title;
  }

  // item is an entry's line, made once: an entry does not change.
  item(e) {
    let li = this.items.get(e);
    if (!li) this.items.set(e, (li = eventItem(e)));
    return li;
  }

  // groupItem is a group's entry: a button telling the run (its newest
  // entry's time, its source, how often, over when, its newest state) that
  // opens or closes the list of its entries, id. Made once a group (its
  // key: its run and first entry) and brought up to date as the run grows.
  groupItem(g, id) {
    let c = this.groups.get(g.key);
    if (!c) {
      c = {
        time: h("time"),
        text: h("span", "event-text"),
        latest: h("span", "event-latest"),
        list: h("ol", "event-run"),
      };
      c.toggle = h(
        "button",
        { type: "button", class: "event-toggle", dataset: { group: g.key } },
        c.time,
        g.source ? h("span", "event-source", g.source) : null,
        c.text,
        c.latest,
      );
      c.toggle.addEventListener("click", () => {
        const now = !this.open.has(g.key);
        if (now) this.open.add(g.key);
        else this.open.delete(g.key);
        c.toggle.setAttribute("aria-expanded", String(now));
        c.list.hidden = !now;
      });
      c.li = h("li", { dataset: { family: g.family, source: g.source } }, c.toggle, c.list);
      this.groups.set(g.key, c);
    }
    const newest = g.events[0];
    const open = this.open.has(g.key);
    setClass(c.li, g.bad ? "event-group is-bad" : "event-group");
    setData(c.li, "kind", newest.kind);
    setAttr(c.time, "datetime", new Date(newest.ts).toISOString());
    setText(c.time, formatClock(newest.ts));
    setText(c.text, g.text);
    setText(c.latest, `latest: ${newest.text}`);
    setAttr(c.toggle, "aria-expanded", String(open));
    setAttr(c.toggle, "aria-controls", id);
    setAttr(c.list, "id", id);
    setHidden(c.list, !open);
    keep(c.list, g.events.map((e) => this.item(e)));
    return c.li;
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

// keep makes parent's children items, in order, moving or inserting only
// what is not in its place and removing the rest: an entry come at the top
// is one insertion, where replacing the children inserted (restyled, laid
// out) every entry again, at every entry.
function keep(parent, items) {
  let at = parent.firstElementChild;
  for (const it of items) {
    if (it === at) at = at.nextElementSibling;
    else parent.insertBefore(it, at);
  }
  while (at) {
    const next = at.nextElementSibling;
    at.remove();
    at = next;
  }
}

function setClass(el, name) {
  if (el.className !== name) el.className = name;
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

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

// noEvents is what an empty list says: within the span the server keeps,
// when it is known.
function noEvents(selected, keptMs) {
  const to = selected ? ` to ${selected}` : "";
  return keptMs > 0 ? `Nothing has happened${to} in the last ${formatMs(keptMs)}.` : `Nothing has happened${to} yet.`;
}

/** rowCount is the events panel's count: the rows listed, "100 of 240" when more are held than listed, "" for none. */
export function rowCount(listed, all) {
  if (!all) return "";
  return listed < all ? `${listed} of ${all}` : String(all);
}
