// The admin token: taken once (from ?admin= in the address the server
// prints, or typed into the header form), kept for this tab only in
// sessionStorage, and sent only as an Authorization: Bearer header. It is
// removed from the address bar at once, so it is neither bookmarked nor
// shared by copying the URL, and never put in a URL again.

const KEY = "pulseboard.admin";

/**
 * stripParams returns href without the named query parameters, or null if
 * it has none of them. The hash and other parameters are kept.
 * @param {string} href
 * @param {string[]} names
 */
export function stripParams(href, names) {
  const u = new URL(href);
  let found = false;
  for (const n of names) {
    if (u.searchParams.has(n)) {
      u.searchParams.delete(n);
      found = true;
    }
  }
  return found ? u.pathname + u.search + u.hash : null;
}

/**
 * takeToken reads ?admin= from the page's address into storage, and
 * removes it (and a viewer ?token=, already turned into a cookie by the
 * server) from the address bar. Returns the token now known, or "".
 * @param {{location: Location, history: History, storage: Storage}} env
 */
export function takeToken(env) {
  const params = new URL(env.location.href).searchParams;
  const fromURL = params.get("admin");
  if (fromURL) env.storage.setItem(KEY, fromURL);
  const clean = stripParams(env.location.href, ["admin", "token"]);
  if (clean !== null) env.history.replaceState(env.history.state, "", clean);
  return env.storage.getItem(KEY) || "";
}

export function saveToken(storage, token) {
  if (token) storage.setItem(KEY, token);
  else storage.removeItem(KEY);
}

/**
 * crashSource asks the server to crash a source's collector (failure
 * injection). Resolves to {ok, status, message}; status 401/403 mean the
 * token was refused.
 * @param {string} name
 * @param {string} token
 * @param {typeof fetch} [fetchImpl]
 */
export async function crashSource(name, token, fetchImpl = globalThis.fetch) {
  let res;
  try {
    // A peer's source is "<node>/<source>": the slash stays a path
    // separator (the API's /sources/:node/:name/crash forwards it).
    const path = name.split("/").map(encodeURIComponent).join("/");
    res = await fetchImpl(`/api/v1/sources/${path}/crash`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch (err) {
    return { ok: false, status: 0, message: `network error: ${err && err.message ? err.message : err}` };
  }
  let message = "";
  try {
    const body = await res.json();
    message = body && (body.error || body.status) ? String(body.error || body.status) : "";
  } catch {
    // An empty or non-JSON body: the status says enough.
  }
  return { ok: res.ok, status: res.status, message: message || `HTTP ${res.status}` };
}

/**
 * checkToken asks the server whether it accepts an admin token, without
 * doing anything (GET /api/v1/auth/admin, the token in the bearer header
 * only): "ok" (204), "refused" (401 or 403), or "unknown" (the server
 * could not be asked, or answered something else).
 * @param {string} token
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<"ok"|"refused"|"unknown">}
 */
export async function checkToken(token, fetchImpl = globalThis.fetch) {
  let res;
  try {
    res = await fetchImpl("/api/v1/auth/admin", {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    return "unknown";
  }
  if (res.status === 204 || res.status === 200) return "ok";
  if (res.status === 401 || res.status === 403) return "refused";
  return "unknown";
}

/**
 * AdminControl is the header's token form: a button that opens either
 * the form (no token yet) or a "forget" choice.
 */
export class AdminControl {
  /**
   * @param {{button: HTMLButtonElement, form: HTMLFormElement,
   *   input: HTMLInputElement, hint: HTMLElement, signed: HTMLElement, forget: HTMLButtonElement,
   *   storage: Storage, onChange: (token: string) => void}} opts
   */
  constructor(opts) {
    Object.assign(this, opts);
    this.token = "";
    this.button.addEventListener("click", () => this.toggle());
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = this.input.value.trim();
      this.input.value = "";
      if (t) this.set(t);
      this.close(true);
    });
    this.forget.addEventListener("click", () => {
      this.set("");
      this.close(true);
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key !== "Escape") return;
      const within = [this.form, this.signed].some((el) => !el.hidden && el.contains(document.activeElement));
      this.close(within);
    });
    document.addEventListener("click", (ev) => {
      if (!this.button.parentElement.contains(/** @type {Node} */ (ev.target))) this.close();
    });
  }

  /** set records a token ("" forgets it) and tells the page. */
  set(token) {
    this.token = token;
    saveToken(this.storage, token);
    this.button.classList.toggle("is-admin", !!token);
    this.button.setAttribute("aria-label", token ? "Admin: token set" : "Admin: enter token");
    this.onChange(token);
  }

  toggle() {
    const open = this.form.hidden && this.signed.hidden;
    this.close();
    if (!open) return;
    if (this.token) {
      this.signed.hidden = false;
    } else {
      this.form.hidden = false;
      this.input.focus();
    }
    this.button.setAttribute("aria-expanded", "true");
  }

  /** ask forgets the token and opens the form, saying why (a refused token). */
  ask(why) {
    this.set("");
    this.close();
    this.hint.dataset.default ??= this.hint.textContent;
    this.hint.textContent = why || this.hint.dataset.default;
    this.form.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.input.focus();
  }

  /**
   * close hides the popover; with refocus (it was saved, forgotten or
   * left by Escape from inside) the focus goes back to the Admin button,
   * not to the page's body with the form gone from under it.
   */
  close(refocus = false) {
    if (this.hint && this.hint.dataset.default !== undefined) this.hint.textContent = this.hint.dataset.default;
    this.form.hidden = true;
    this.signed.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }
}
