// Source groups: one collapsible section per source, whose header is the
// source's panel (state badge, restarts, polls, failures, poll latency,
// last success, last error, last warning, its worst alert, and the crash
// button for an admin) and whose body is the grid of its series cards.

import { h, setData, setHidden, setText, setTitle } from "./dom.js";
import { isDown } from "./down.js";
import { compareNatural } from "./family.js";
import { formatAgo, formatClock, formatMs } from "./format.js";
import { pulse } from "./tree.js";
import { countSince, crashText, crashTime } from "./treemodel.js";

const nf = new Intl.NumberFormat("en-US");

export class SourceGroup {
  /**
   * @param {string} name
   * @param {{color: number, collapsed: boolean,
   *   onToggle: (name: string, collapsed: boolean) => void,
   *   onCrash: (name: string, button: HTMLButtonElement) => void}} opts
   */
  constructor(name, opts) {
    this.name = name;
    this.opts = opts;
    this.prev = null;
    this.cards = new Map(); // id → SeriesCard
    this.matched = null; // how many series the filter lets through (showMatched); null: all

    this.chevron = h("button", { class: "collapse", type: "button", "aria-label": `Collapse ${name}` });
    this.chevron.addEventListener("click", () => this.setCollapsed(!this.collapsed, true));
    this.badge = h("span", "badge", "unknown");
    this.type = h("span", "type");
    this.count = h("span", "count");
    this.alertTag = h("span", "alert-tag");
    this.alertTag.hidden = true;
    this.crashTag = h("span", "crash-tag");
    this.crashTag.hidden = true;
    this.facts = {
      restarts: fact("restarts", "restarts"),
      polls: fact("polls", "polls"),
      failures: fact("failures", "failures"),
      latency: fact("latency", "poll latency"),
      success: fact("success", "last success"),
    };
    this.crashTitle = `Make the ${name} collector panic now`;
    this.crash = h("button", { class: "btn btn-danger crash", type: "button", title: this.crashTitle }, `Crash ${name}`);
    this.offline = false; // disconnected: a crash could not be sent, nor its effect seen
    this.crash.addEventListener("click", () => {
      if (!this.offline) this.opts.onCrash(name, this.crash);
    });
    this.error = h("p", "last-error");
    this.error.hidden = true;
    this.warning = h("p", "last-warning");
    this.warning.hidden = true;
    const title = h("div", "group-title", this.chevron, h("h2", "group-name", name), this.type, this.badge, this.alertTag, this.crashTag, this.count);
    const facts = h("dl", "facts", ...Object.values(this.facts).map((f) => f.el));
    this.head = h("header", "group-head", title, facts, this.crash, this.error, this.warning);
    this.grid = h("div", "cards");
    this.empty = h("p", "group-empty", "No series yet.");
    this.el = h("section", { class: "group", dataset: { source: name, color: String(opts.color % 8) } }, this.head, this.grid, this.empty);
    this.setCollapsed(opts.collapsed, false);
  }

  /**
   * update shows a source object from the stream (may be undefined), and
   * when it last crashed (crashAt, unix ms; 0: as the source tells, see
   * crashText), and when the server process started (started, unix ms; 0:
   * unknown), which its restart count counts from (countSince).
   */
  update(src, now, crashAt = 0, started = 0) {
    this.crashAt = crashAt; // shown, with how long ago, by updateAgo
    const health = sourceHealth(src);
    const state = health.state;
    setData(this.el, "state", state);
    setData(this.badge, "state", health.badge);
    setText(this.badge, health.badge);
    setTitle(this.badge, health.down ? "The collector is running, but its last poll failed" : "");
    setText(this.type, (src && src.type) || "");
    const restarts = src ? Number(src.restarts) || 0 : 0;
    // A crash older than the server's start beside a count from 0: the count says since when.
    const since = src ? countSince(src, crashAt, started) : 0;
    setText(this.facts.restarts.dd, src ? `${nf.format(restarts)}${since ? ` since ${formatClock(since)}` : ""}` : "–");
    setData(this.facts.restarts.dd, "count", String(restarts));
    const lastRestart = src ? Number(src.last_restart_at) || 0 : 0;
    setTitle(this.facts.restarts.el, lastRestart > 0 ? `last restart at ${formatClock(lastRestart)}` : "");
    setText(this.facts.polls.dd, src ? nf.format(Number(src.polls) || 0) : "–");
    setText(this.facts.failures.dd, src ? nf.format(Number(src.failures) || 0) : "–");
    this.facts.failures.el.classList.toggle("is-bad", !!src && Number(src.failures) > 0);
    setText(this.facts.latency.dd, src ? formatMs(src.poll_ms) : "–");
    this.src = src;
    this.setOffline(!src || !!src.stale);
    this.updateAgo(src, now);
    const prev = this.prev;
    if (prev && (prev.badge !== health.badge || prev.restarts !== restarts)) {
      pulse(this.badge);
      if (prev.restarts !== restarts) pulse(this.facts.restarts.el);
    }
    this.prev = { badge: health.badge, restarts };
  }

  /**
   * updateAgo refreshes the relative times: last success, last crash,
   * error, warning; with crashAt (unix ms), a crash known since update.
   */
  updateAgo(src, now, known = this.crashAt) {
    src = src || this.src;
    this.crashAt = known;
    setText(this.facts.success.dd, src ? successText(src, now) : "–");
    const crash = crashText(src, this.crashAt, now);
    setText(this.crashTag, crash);
    setHidden(this.crashTag, !crash);
    const kind = this.crashAt > 0 ? "crash" : "restart";
    if (this.crashTag.dataset.kind !== kind) this.crashTag.dataset.kind = kind;
    const health = sourceHealth(src);
    const stale = !!(src && src.stale);
    // The crash's own error, stamped by another clock read in the same
    // second: told at the crash's time, not "4s ago" beside "5s ago".
    const crashAt = crashTime(src, this.crashAt);
    const errorAt = crashAt > 0 && Math.abs(health.errorAt - crashAt) < 1000 && formatClock(health.errorAt) === formatClock(crashAt) ? crashAt : health.errorAt;
    showNote(this.error, "Last error", health.error, errorAt, now, stale);
    showNote(this.warning, "Last warning", health.warning, health.warningAt, now, stale);
  }

  /**
   * showAlert colours the panel by the source's worst alert (firing over
   * pending, then critical over warning; alerts.js worst), and names it
   * beside the state badge; undefined: none.
   * @param {import("./alerts.js").Alert|undefined} a
   */
  showAlert(a) {
    const ds = this.el.dataset;
    if (!a) {
      delete ds.alert;
      delete ds.alertState;
      setHidden(this.alertTag, true);
      return;
    }
    if (ds.alert !== a.severity) ds.alert = a.severity;
    if (ds.alertState !== a.state) ds.alertState = a.state;
    setHidden(this.alertTag, false);
    setText(this.alertTag, `${a.name} ${a.state}`);
    setData(this.alertTag, "severity", a.severity);
    setData(this.alertTag, "state", a.state);
  }

  // setOffline disables the crash button while the page is disconnected
  // (a stale source) or knows nothing of the source yet.
  setOffline(off) {
    if (off === this.offline) return;
    this.offline = off;
    this.crash.disabled = off;
    setTitle(this.crash, off ? "Not connected to the server: nothing can be crashed now" : this.crashTitle);
  }

  setAdmin(isAdmin) {
    setHidden(this.crash, !isAdmin);
  }

  setCollapsed(collapsed, byUser) {
    this.collapsed = !!collapsed;
    this.el.classList.toggle("is-collapsed", this.collapsed);
    this.chevron.setAttribute("aria-expanded", String(!this.collapsed));
    this.chevron.setAttribute("aria-label", `${this.collapsed ? "Expand" : "Collapse"} ${this.name}`);
    if (byUser) this.opts.onToggle(this.name, this.collapsed);
  }

  /**
   * showMatched says in the header how many of the group's series the
   * filter lets through ("3 of 37 series"), read collapsed or open; null:
   * all of them, or no filter. Called by summary.js filterGroups.
   * @param {number|null} matched
   */
  showMatched(matched) {
    if (matched === this.matched) return;
    this.matched = matched;
    this.refreshCount();
  }

  /** place inserts a card in natural order of its metric (load1, load5, load15). */
  place(card) {
    this.cards.set(card.id, card);
    const after = [...this.grid.children].find((c) => compareNatural(c.dataset.sort, card.sortKey) > 0);
    this.grid.insertBefore(card.el, after || null);
    this.refreshCount();
  }

  drop(id) {
    const card = this.cards.get(id);
    if (!card) return;
    card.el.remove();
    this.cards.delete(id);
    this.refreshCount();
  }

  /**
   * refreshCount shows how many series the group's cards hold, and marks
   * how many of its cards are families of lines ("0", "1" or "many", for
   * layout.css's rules). Called after a card is placed, dropped or given
   * or taken a line.
   */
  refreshCount() {
    let n = 0;
    let families = 0;
    for (const c of this.cards.values()) {
      n += c.size;
      if (c.el.classList.contains("is-family")) families++;
    }
    setText(this.count, this.matched === null ? (n === 1 ? "1 series" : `${n} series`) : `${this.matched} of ${n} series`);
    setHidden(this.empty, n > 0);
    setData(this.el, "families", families > 1 ? "many" : String(families));
  }
}

/**
 * sourceHealth reads a source object of the stream (may be undefined) into
 * what its panel shows. The supervision state and the health of the last
 * poll are two facts: a running collector whose last poll failed (`up`
 * false) is shown "down" once its polls failed twice in a row (down.js:
 * a lone failed poll does not flicker the page). One that has not finished a poll yet is not
 * down, only new; and a server older than `up` sends none: its sources
 * are never shown down.
 * @returns {{state: string, badge: string, down: boolean, error: string,
 *   errorAt: number, warning: string, warningAt: number}}
 */
export function sourceHealth(src) {
  const state = (src && src.state) || "unknown";
  const down = isDown(src);
  return {
    state,
    badge: down ? "down" : state,
    down,
    error: (src && src.last_error) || "",
    errorAt: (src && Number(src.last_error_at)) || 0,
    warning: (src && src.last_warning) || "",
    warningAt: (src && Number(src.last_warning_at)) || 0,
  };
}

/**
 * successText is a source's last success as its panel says it: "16s ago";
 * of a stale source (disconnected: summary.js unknownSource) its clock
 * time marked stale, "05:57:10 (stale)", since it may have polled since.
 */
export function successText(src, now) {
  if (!src.stale) return formatAgo(src.last_success, now);
  const at = Number(src.last_success) || 0;
  return at > 0 ? `${formatClock(at)} (stale)` : "unknown";
}

/**
 * noteText is the line of a last error or warning, with its clock time and
 * age when known, in the words of the header's crash chip (treemodel.js
 * crashText): "Last error 05:57:10 (18s ago): …"; stale (disconnected),
 * "Last error 05:57:10 (stale): …".
 */
export function noteText(label, text, at, now, stale = false) {
  if (!text) return "";
  if (!(at > 0)) return `${label}: ${text}`;
  return `${label} ${formatClock(at)} (${stale ? "stale" : formatAgo(at, now)}): ${text}`;
}

function showNote(el, label, text, at, now, stale) {
  setHidden(el, !text);
  setText(el, noteText(label, text, at, now, stale));
  setTitle(el, text);
}

function fact(key, label) {
  const dd = h("dd", null, "–");
  const el = h("div", { class: "fact", dataset: { fact: key } }, h("dt", null, label), dd);
  return { el, dd };
}
