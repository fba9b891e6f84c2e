// Source groups: one collapsible section per source, whose header is the
// source's panel (state badge, restarts, polls, failures, poll latency,
// last success, last error, and the crash button for an admin) and whose
// body is the grid of its series cards.

import { h, setText } from "./dom.js";
import { compareNatural } from "./family.js";
import { formatAgo, formatMs } from "./format.js";
import { pulse } from "./tree.js";

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

    this.chevron = h("button", { class: "collapse", type: "button", "aria-label": `Collapse ${name}` });
    this.chevron.addEventListener("click", () => this.setCollapsed(!this.collapsed, true));
    this.badge = h("span", "badge", "unknown");
    this.type = h("span", "type");
    this.count = h("span", "count");
    this.facts = {
      restarts: fact("restarts", "restarts"),
      polls: fact("polls", "polls"),
      failures: fact("failures", "failures"),
      latency: fact("latency", "poll latency"),
      success: fact("success", "last success"),
    };
    this.crash = h("button", { class: "btn btn-danger crash", type: "button", title: `Make the ${name} collector panic now` }, `Crash ${name}`);
    this.crash.addEventListener("click", () => this.opts.onCrash(name, this.crash));
    this.error = h("p", "last-error");
    this.error.hidden = true;
    const title = h("div", "group-title", this.chevron, h("h2", "group-name", name), this.type, this.badge, this.count);
    const facts = h("dl", "facts", ...Object.values(this.facts).map((f) => f.el));
    this.head = h("header", "group-head", title, facts, this.crash, this.error);
    this.grid = h("div", "cards");
    this.empty = h("p", "group-empty", "No series yet.");
    this.el = h("section", { class: "group", dataset: { source: name, color: String(opts.color % 8) } }, this.head, this.grid, this.empty);
    this.setCollapsed(opts.collapsed, false);
  }

  /** update shows a source object from the stream (may be undefined). */
  update(src, now) {
    const state = (src && src.state) || "unknown";
    this.el.dataset.state = state;
    this.badge.dataset.state = state;
    setText(this.badge, state);
    setText(this.type, (src && src.type) || "");
    const restarts = src ? Number(src.restarts) || 0 : 0;
    setText(this.facts.restarts.dd, src ? nf.format(restarts) : "–");
    this.facts.restarts.dd.dataset.count = String(restarts);
    setText(this.facts.polls.dd, src ? nf.format(Number(src.polls) || 0) : "–");
    setText(this.facts.failures.dd, src ? nf.format(Number(src.failures) || 0) : "–");
    this.facts.failures.el.classList.toggle("is-bad", !!src && Number(src.failures) > 0);
    setText(this.facts.latency.dd, src ? formatMs(src.poll_ms) : "–");
    this.updateAgo(src, now);
    const err = (src && src.last_error) || "";
    this.error.hidden = !err;
    setText(this.error, err ? `Last error: ${err}` : "");
    this.error.title = err;
    const prev = this.prev;
    if (prev && (prev.state !== state || prev.restarts !== restarts)) {
      pulse(this.badge);
      if (prev.restarts !== restarts) pulse(this.facts.restarts.el);
    }
    this.prev = { state, restarts };
    this.src = src;
  }

  /** updateAgo refreshes the relative "last success" time only. */
  updateAgo(src, now) {
    src = src || this.src;
    setText(this.facts.success.dd, src ? formatAgo(src.last_success, now) : "–");
  }

  setAdmin(isAdmin) {
    this.crash.hidden = !isAdmin;
  }

  setCollapsed(collapsed, byUser) {
    this.collapsed = !!collapsed;
    this.el.classList.toggle("is-collapsed", this.collapsed);
    this.chevron.setAttribute("aria-expanded", String(!this.collapsed));
    this.chevron.setAttribute("aria-label", `${this.collapsed ? "Expand" : "Collapse"} ${this.name}`);
    if (byUser) this.opts.onToggle(this.name, this.collapsed);
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

  /** refreshCount shows how many series the group's cards hold. */
  refreshCount() {
    let n = 0;
    for (const c of this.cards.values()) n += c.size;
    setText(this.count, n === 1 ? "1 series" : `${n} series`);
    this.empty.hidden = n > 0;
  }
}

function fact(key, label) {
  const dd = h("dd", null, "–");
  const el = h("div", { class: "fact", dataset: { fact: key } }, h("dt", null, label), dd);
  return { el, dd };
}
