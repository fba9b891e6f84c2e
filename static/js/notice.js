// The reload notice: a banner under the header that says what a config
// reload did. An applied reload shows a short-lived status line (and a
// warning when some keys need a restart); a rejected one shows a lasting
// alert with the config's file:line:col errors, until it is dismissed or
// a later reload replaces it. reloadNotice and NoticeTimer are pure (tested
// in Node); NoticeView puts them in the page.

import { h } from "./dom.js";

/** OK_NOTICE_MS is how long an applied reload's banner stays. */
export const OK_NOTICE_MS = 8000;
// After the pointer or focus leaves a banner, it stays at least this long,
// so that one read to the end is not cut off at once.
const RELEASE_GRACE_MS = 3000;
// Error lines shown; the server log has them all.
const MAX_ERROR_LINES = 20;
// Source names listed per kind of change before "+N more".
const MAX_NAMES = 5;

/**
 * @typedef {{ok: boolean, role: "status"|"alert", title: string,
 *   warning: string, lines: string[], more: number, ttlMs: number}} Notice
 * ttlMs is how long it stays; 0 for a notice that stays until dismissed.
 */

/**
 * reloadNotice is what the banner says for a reload event:
 * "Config reloaded: 1 source added (x), 1 changed (demo)" with, when some
 * keys need a restart, "Needs a restart to take effect: server.listen";
 * or "Config rejected — the running config is unchanged" over the errors.
 * @param {import("./events.js").StreamEvent} ev
 * @returns {Notice}
 */
export function reloadNotice(ev) {
  if (!ev.ok) {
    const all = ev.errors.length ? ev.errors : ev.message ? [ev.message] : [];
    const lines = all.slice(0, MAX_ERROR_LINES);
    return {
      ok: false,
      role: "alert",
      title: "Config rejected — the running config is unchanged",
      warning: "",
      lines,
      more: all.length - lines.length,
      ttlMs: 0,
    };
  }
  const parts = [];
  for (const [verb, names] of [
    ["added", ev.added],
    ["removed", ev.removed],
    ["changed", ev.changed],
  ]) {
    if (!names.length) continue;
    const noun = parts.length ? "" : names.length === 1 ? " source" : " sources";
    parts.push(`${names.length}${noun} ${verb} (${listNames(names)})`);
  }
  return {
    ok: true,
    role: "status",
    title: `Config reloaded: ${parts.length ? parts.join(", ") : "no source changed"}`,
    warning: ev.needsRestart.length ? `Needs a restart to take effect: ${ev.needsRestart.join(", ")}` : "",
    lines: [],
    more: 0,
    ttlMs: OK_NOTICE_MS,
  };
}

/**
 * storageNotice is what the banner says for a "storage" event: the disk
 * under the stored history failed (a lasting alert with the server's
 * reason) or writes again (a short status line).
 * @param {import("./events.js").StreamEvent} ev
 * @returns {Notice}
 */
export function storageNotice(ev) {
  if (!ev.ok) {
    return {
      ok: false,
      role: "alert",
      title: "History storage failing — new data is kept in memory only, and is lost on a restart",
      warning: "",
      lines: ev.message ? [ev.message] : [],
      more: 0,
      ttlMs: 0,
    };
  }
  return { ok: true, role: "status", title: "History storage writes to disk again", warning: "", lines: [], more: 0, ttlMs: OK_NOTICE_MS };
}

/**
 * storageStateNotice is the banner of a page that finds the stored
 * history failing in the supervision tree (its "storage" node degraded):
 * it connected after the "storage" event, whose reason it never saw, so
 * it points at /readyz for it. A lasting alert, as the event's.
 * @returns {Notice}
 */
export function storageStateNotice() {
  return {
    ok: false,
    role: "alert",
    title: "History storage failing — new data is kept in memory only; /readyz says why",
    warning: "",
    lines: [],
    more: 0,
    ttlMs: 0,
  };
}

/**
 * noticeFor is the banner of a server event that has one (a reload, a
 * storage change), or null.
 * @param {import("./events.js").StreamEvent} ev
 * @returns {Notice|null}
 */
export function noticeFor(ev) {
  if (ev.kind === "reload") return reloadNotice(ev);
  if (ev.kind === "storage") return storageNotice(ev);
  return null;
}

function listNames(names) {
  const shown = names.slice(0, MAX_NAMES).join(", ");
  return names.length > MAX_NAMES ? `${shown}, +${names.length - MAX_NAMES} more` : shown;
}

/**
 * NoticeTimer decides when a banner goes: ttl after it was shown, never
 * while the reader holds it (pointer over it, or focus in it), and not
 * sooner than a grace period after they let go. A ttl of 0 never expires.
 */
export class NoticeTimer {
  constructor() {
    this.expiresAt = Infinity;
    this.held = false;
  }

  start(now, ttlMs) {
    this.expiresAt = ttlMs > 0 ? now + ttlMs : Infinity;
  }

  hold(held, now) {
    if (this.held && !held) this.expiresAt = Math.max(this.expiresAt, now + RELEASE_GRACE_MS);
    this.held = held;
  }

  expired(now) {
    return !this.held && now >= this.expiresAt;
  }
}

/**
 * NoticeView shows one reload or storage notice at a time in box (a
 * later one replaces it). The page calls tick every second to let a short-lived one
 * go.
 */
export class NoticeView {
  /** @param {HTMLElement} box @param {{now?: () => number}} [opts] */
  constructor(box, opts = {}) {
    this.box = box;
    this.now = opts.now || Date.now;
    this.timer = new NoticeTimer();
    /** @type {HTMLElement|null} */
    this.el = null;
    // The tree's "storage" state last told (storageState); "" for none.
    this.storageSeen = "";
  }

  /** @param {import("./events.js").StreamEvent} ev a reload or storage event */
  show(ev) {
    const n = noticeFor(ev);
    if (n) this.put(n, ev.kind);
  }

  /**
   * storageState follows the supervision tree's "storage" node (its state,
   * "" when there is none), for a page that was away when the "storage"
   * event came: turning "degraded", it shows the failing banner unless a
   * failing storage banner (the event's, with its reason) is up; turning
   * "running", it takes a failing storage banner down, leaving the live
   * event's own short status. The page calls it on each tree it receives;
   * only a change acts, so a dismissed banner stays dismissed.
   * @param {string} state
   */
  storageState(state) {
    if (state === this.storageSeen) return;
    this.storageSeen = state;
    const failing = !!this.el && this.el.dataset.kind === "storage" && this.el.dataset.ok === "false";
    if (state === "degraded" && !failing) this.put(storageStateNotice(), "storage");
    else if (state === "running" && failing) this.dismiss();
  }

  // put shows notice n, of an event of kind, in place of the one shown.
  put(n, kind) {
    const body = h("div", "notice-body", h("p", "notice-title", n.title));
    if (n.warning) body.append(h("p", "notice-warning", n.warning));
    if (n.lines.length) body.append(h("ul", "notice-errors", ...n.lines.map((line) => h("li", null, h("code", null, line)))));
    if (n.more) body.append(h("p", "notice-more", `and ${n.more} more (see the server log)`));
    const close = h("button", { class: "btn btn-small notice-close", type: "button", "aria-label": "Dismiss this message" }, "Dismiss");
    const el = h("div", { class: `notice ${n.ok ? "notice-ok" : "notice-error"}`, role: n.role, dataset: { kind, ok: String(n.ok) } }, body, close);
    close.addEventListener("click", () => this.dismiss());
    el.addEventListener("pointerenter", () => this.timer.hold(true, this.now()));
    el.addEventListener("pointerleave", () => this.timer.hold(el.contains(document.activeElement), this.now()));
    el.addEventListener("focusin", () => this.timer.hold(true, this.now()));
    el.addEventListener("focusout", (e) => {
      if (!el.contains(/** @type {Node|null} */ (e.relatedTarget)) && !el.matches(":hover")) this.timer.hold(false, this.now());
    });
    this.timer = new NoticeTimer();
    this.timer.start(this.now(), n.ttlMs);
    this.box.replaceChildren(el);
    this.el = el;
  }

  /** tick removes a notice whose time is up. */
  tick(now = this.now()) {
    if (this.el && this.timer.expired(now)) this.dismiss();
  }

  dismiss() {
    if (!this.el) return;
    this.el.remove();
    this.el = null;
  }
}
