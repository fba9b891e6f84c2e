// The admin side of the page: the token (held for the tab by admin.js),
// the crash buttons it enables, a confirmation the first time a source is
// crashed with a token, and what happens when a server does not accept the token:
// the admin controls hide and the token is asked for again.

import { setText } from "./dom.js";

/** CONFIRM_MS is how long a crash button waits for its confirming press. */
export const CONFIRM_MS = 5000;
const CRASH_CONFIRMED_KEY = "pulseboard.crash-confirmed";

/**
 * tokenMark is a 32-bit FNV-1a hash of the admin token, as 8 hex digits:
 * enough to tell a new token from the one a confirmation was given with,
 * without keeping the token a second time.
 */
export function tokenMark(token) {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export class AdminFlow {
  /**
   * @param {import("./deps.js").PageDeps} deps
   * @param {() => Iterable<import("./sources.js").SourceGroup>} groups the page's source groups
   */
  constructor(deps, groups) {
    this.deps = deps;
    this.groups = groups;
    this.token = "";
    /** shown: whether the admin controls show (a token, not refused). */
    this.shown = false;
    this.control = deps.admin((token) => this.changed(token));
  }

  /**
   * changed follows the token control. A new token is checked with the
   * server first (deps.checkAdmin): the crash buttons show once it is
   * accepted, or when the server could not say (a refusal at use is then
   * still caught by crash); a refused one is asked for again.
   */
  changed(token) {
    this.token = token;
    if (!token || !this.deps.checkAdmin) {
      this.show(!!token);
      return;
    }
    this.show(false);
    this.checkAdmin();
  }

  show(on) {
    this.shown = on;
    this.deps.page.showAdmin(on);
    for (const g of this.groups()) g.setAdmin(on);
  }

  /**
   * confirmed reads the sources whose crash was confirmed with the token
   * held now (session storage: {token: tokenMark, names: [...]}); another
   * token, or anything unreadable, confirms none.
   */
  confirmed() {
    try {
      const v = JSON.parse(this.deps.session.getItem(CRASH_CONFIRMED_KEY) || "null");
      if (v && v.token === tokenMark(this.token) && Array.isArray(v.names)) return v.names;
    } catch {
      // Not ours or broken: nothing is confirmed.
    }
    return [];
  }

  remember(name) {
    const names = this.confirmed();
    if (!names.includes(name)) names.push(name);
    try {
      this.deps.session.setItem(CRASH_CONFIRMED_KEY, JSON.stringify({ token: tokenMark(this.token), names }));
    } catch {
      // Storage refused: it asks again next time.
    }
  }

  /**
   * crash asks the server to crash a source, with the admin token. The
   * first time a source is crashed with this token the button asks to be
   * pressed again to confirm (for CONFIRM_MS): each source asks once, and
   * all ask again after a new token; a refused token is forgotten and
   * asked for again.
   */
  async crash(name, button) {
    if (!this.token) return;
    const d = this.deps;
    if (!this.confirmed().includes(name) && button.dataset.confirm !== "1") {
      button.dataset.confirm = "1";
      setText(button, `Really crash ${name}?`);
      (d.setTimeout || setTimeout)(() => {
        if (button.dataset.confirm !== "1") return;
        delete button.dataset.confirm;
        setText(button, `Crash ${name}`);
      }, CONFIRM_MS);
      return;
    }
    delete button.dataset.confirm;
    this.remember(name);
    button.disabled = true;
    setText(button, "Crashing…");
    const r = await d.crash(name, this.token);
    button.disabled = false;
    setText(button, `Crash ${name}`);
    if (r.ok) {
      d.toast(`Crashed ${name}: watch the supervisor restart it.`, "ok");
    } else if (r.status === 401 || r.status === 403) {
      this.tokenRefused();
    } else {
      this.deps.toast(`Could not crash ${name}: ${r.message}`, "error");
    }
  }

  /** tokenRefused hides the admin controls and asks for a token again. */
  tokenRefused() {
    this.deps.toast("The server did not accept the admin token. Enter it again.", "error");
    this.control.ask("The server did not accept the admin token. Enter the current one.");
  }

  /**
   * checkAdmin asks the server whether it accepts the admin token the page
   * holds: when the page is given one, and when a new server (after a
   * restart) answers. Accepted (or no answer), the admin controls show;
   * refused, see tokenRefused. A token changed meanwhile wins.
   */
  async checkAdmin() {
    const token = this.token;
    if (!token || !this.deps.checkAdmin) return;
    const r = await this.deps.checkAdmin(token);
    if (this.token !== token) return;
    if (r === "refused") this.tokenRefused();
    else this.show(true);
  }
}
