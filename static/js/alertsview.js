// The alerts panel: every active alert, firing first, each with its state,
// severity, name, source, since when, its value against its threshold and
// its summary annotation. The name is a button to the alert's source. What
// to list is the store's (alerts.js); the panel is a named region at the
// top of the sidebar, so that on a desktop it shows without scrolling and
// on a phone it comes before the sources.

import { h, setText, setTitle } from "./dom.js";
import { fixed, formatAgo, formatClock } from "./format.js";

/**
 * alertFacts is the line under an alert's name: its source, its value
 * against the threshold it passed, and since when it is in its state
 * (now: unix ms).
 * @param {import("./alerts.js").Alert} a
 * @param {number} now
 */
export function alertFacts(a, now) {
  const parts = [];
  if (a.source) parts.push(a.source);
  if (a.value !== null && a.value !== undefined) {
    parts.push(a.threshold === undefined ? `value ${fixed(a.value)}` : `value ${fixed(a.value)}, threshold ${fixed(a.threshold)}`);
  } else {
    parts.push("no value");
  }
  const since = a.state === "firing" && a.fired_at ? a.fired_at : a.active_at;
  if (since) parts.push(`since ${formatClock(since)} (${formatAgo(since, now)})`);
  return parts.join(" · ");
}

/**
 * staleFacts is the line under an alert while the page is disconnected:
 * what it was last known as, with no "ago" (the server may have resolved
 * it since).
 * @param {import("./alerts.js").Alert} a
 */
export function staleFacts(a) {
  const parts = [];
  if (a.source) parts.push(a.source);
  const since = a.state === "firing" && a.fired_at ? a.fired_at : a.active_at;
  parts.push(`last known ${a.state}${since ? ` since ${formatClock(since)}` : ""}; unknown while disconnected`);
  return parts.join(" · ");
}

export class AlertsView {
  /**
   * @param {{list: HTMLElement, count: HTMLElement}} els
   * @param {(source: string) => void} onActivate called with the source
   *   of the alert whose name is pressed
   */
  constructor(els, onActivate) {
    this.els = els;
    this.onActivate = onActivate;
    /** @type {import("./alerts.js").Alert[]} */
    this.shown = [];
    /** @type {Map<string, HTMLElement>} the facts line of each shown alert, by id */
    this.facts = new Map();
    /** @type {Map<string, {look: string, el: HTMLElement, summary: HTMLElement|null}>} each shown alert's item, by id, and what it was made for */
    this.items = new Map();
    this.none = h("li", "alert-none", "No alert is pending or firing.");
    // While disconnected every alert is unknown: it may have resolved or
    // changed since (setStale).
    this.stale = false;
    this.now = 0;
  }

  /**
   * setStale marks every alert unknown while the stream is lost (greyed:
   * no state or severity colour, no "ago"), and restores them when it is
   * back; the controller calls it as the connection changes.
   * @param {boolean} stale
   */
  setStale(stale) {
    if (stale === this.stale) return;
    this.stale = stale;
    this.show(this.shown, this.now);
  }

  /**
   * show lists the alerts (in the order given) as of now (unix ms).
   * @param {import("./alerts.js").Alert[]} alerts
   * @param {number} now
   */
  show(alerts, now) {
    this.shown = alerts;
    this.now = now;
    // Updated in place: the stream sends an alert again at every
    // evaluation, its value alone moved, and a list made anew at each laid
    // out and restyled the sidebar. An item is made again only when its
    // state, severity, name, source or summary's presence changed.
    const items = new Map();
    for (const a of alerts) {
      const summary = String(a.annotations.summary || "");
      const look = JSON.stringify([a.state, a.severity, a.name, a.source || "", !!summary, this.stale]);
      let it = this.items.get(a.id);
      if (!it || it.look !== look) {
        it = { look, ...this.item(a, now) };
      } else {
        setText(this.facts.get(a.id), this.stale ? staleFacts(a) : alertFacts(a, now));
        if (it.summary) setText(it.summary, summary);
      }
      items.set(a.id, it);
    }
    for (const id of this.facts.keys()) if (!items.has(id)) this.facts.delete(id);
    this.items = items;
    const els = items.size ? [...items.values()].map((it) => it.el) : [this.none];
    const list = this.els.list;
    if (els.length !== list.children.length || els.some((el, i) => list.children[i] !== el)) list.replaceChildren(...els);
    const firing = alerts.filter((a) => a.state === "firing").length;
    setText(this.els.count, alerts.length ? String(alerts.length) : "");
    setTitle(this.els.count, alerts.length ? `${firing} firing, ${alerts.length - firing} pending` : "");
  }

  /** tick refreshes the "ago" times; the page calls it every second. */
  tick(now) {
    this.now = now;
    if (this.stale) return; // nothing ages while unknown
    for (const a of this.shown) {
      const el = this.facts.get(a.id);
      if (el) setText(el, alertFacts(a, now));
    }
  }

  /** item makes an alert's list item; summary is its summary's line, if it has one. */
  item(a, now) {
    const name = a.source
      ? h("button", { type: "button", class: "alert-name", title: `Show the source ${a.source}` }, a.name)
      : h("span", "alert-name", a.name);
    if (a.source) name.addEventListener("click", () => this.onActivate(a.source));
    const facts = h("p", "alert-facts", this.stale ? staleFacts(a) : alertFacts(a, now));
    this.facts.set(a.id, facts);
    const summary = String(a.annotations.summary || "");
    // Stale: data-state and data-severity "unknown" take the state's and
    // severity's colours away (alerts.css colours firing and critical).
    const state = this.stale ? "unknown" : a.state;
    const severity = this.stale ? "unknown" : a.severity;
    const summaryEl = summary ? h("p", "alert-summary", summary) : null;
    const el = h(
      "li",
      { class: "alert", dataset: { alert: a.id, state, severity, source: a.source || "", ...(this.stale ? { lastState: a.state } : {}) } },
      h("div", "alert-head", h("span", "alert-state", state), h("span", "alert-severity", a.severity), name),
      facts,
      summaryEl,
    );
    return { el, summary: summaryEl };
  }
}
