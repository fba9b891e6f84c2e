// What happened, in order: the page's event timeline. Its entries come
// from three places: the server's events (a reload, applied or refused),
// the changes of a source between two updates of it (a crash into
// backoff, a restart, parked as failed, stopped, its polls failing and
// working again), and the stream itself (the connection lost and resumed,
// the server restarted), and the alerts (pending, firing, resolved). The timeline keeps them newest first, bounded,
// and gives the charts their markers. Pure: no DOM (timelineview.js
// draws it).

/**
 * @typedef {"crash"|"restart"|"parked"|"stopped"|"down"|"up"|"reload"|
 *   "reload-refused"|"server-restart"|"connection-lost"|"connection-resumed"|
 *   "alert-pending"|"alert-firing"|"alert-resolved"|"storage"} EventKind
 * @typedef {{kind: EventKind, ts: number, source: string, text: string,
 *   detail: string, bad: boolean, marker: boolean, seq: number}} TimelineEvent
 * source: the source it is about, "" for the page or the server; detail:
 * an error or the reload's errors; bad: a failure (drawn red); marker:
 * drawn on the charts (of its source, or on every chart without one).
 * @typedef {{ts: number, ok: boolean, kind: string, source: string, text: string}} Marker
 * source and text: the entry's, what the marker's label says
 */

/** MAX_EVENTS bounds the entries kept; the oldest go first. */
export const MAX_EVENTS = 300;

const nf = new Intl.NumberFormat("en-US");

function ev(kind, ts, source, text, { detail = "", bad = false, marker = true } = {}) {
  return { kind, ts, source, text, detail, bad, marker, seq: 0 };
}

/**
 * sourceEvents says what a change of a source's state means, comparing
 * the previous source object with the next (both as the stream sends
 * them; prev undefined for a source the page had not seen: only its last
 * restart, when it had one, so that a page opened later still tells when
 * it last crashed and came back). ts is when the page learnt it (the server's clock), used when
 * the source carries no time of its own.
 * @returns {TimelineEvent[]}
 */
export function sourceEvents(prev, next, ts) {
  if (!next) return [];
  const name = String(next.name);
  if (!prev) {
    const at = Number(next.last_restart_at);
    const n = Number(next.restarts) || 0;
    if (!(at > 0) || n === 0) return [];
    return [ev("restart", at, name, `restarted (restart ${nf.format(n)}; the last before this page opened)`, { marker: false })];
  }
  const out = [];
  const err = String(next.last_error || "");
  const errAt = Number(next.last_error_at) > 0 ? Number(next.last_error_at) : ts;
  const restarts = Number(next.restarts) || 0;
  const before = Number(prev.restarts) || 0;
  if (next.state !== prev.state) {
    switch (next.state) {
      case "backoff":
        out.push(ev("crash", errAt, name, "crashed; backing off before a restart", { detail: err, bad: true }));
        break;
      case "failed":
        out.push(ev("parked", ts, name, `parked as failed after ${nf.format(restarts)} restarts`, { detail: err, bad: true }));
        break;
      case "stopped":
        out.push(ev("stopped", ts, name, "stopped", { marker: false }));
        break;
    }
  }
  if (restarts > before) {
    const n = restarts - before;
    const text = n === 1 ? `restarted (restart ${nf.format(restarts)})` : `restarted ${n} times (restart ${nf.format(restarts)})`;
    // A crash seen only through its restart (the backoff fell between two updates).
    if (next.state !== "backoff" && prev.state !== "backoff") out.push(ev("crash", errAt, name, "crashed", { detail: err, bad: true }));
    out.push(ev("restart", ts, name, text, { marker: false }));
  } else if (prev.state === "failed" && next.state !== "failed" && next.state !== "stopped") {
    out.push(ev("restart", ts, name, "tried again after its cool-down", { marker: false }));
  }
  // up: whether the latest poll worked (a server older than the member
  // sends none: then nothing is said). Only for a collector that kept
  // running: a crash and its restart tell of their own down and up.
  if (typeof next.up === "boolean" && typeof prev.up === "boolean" && next.up !== prev.up &&
      next.state === "running" && prev.state === "running") {
    if (next.up) out.push(ev("up", Number(next.last_success) || ts, name, "polls work again", { marker: false }));
    else out.push(ev("down", errAt, name, "polls failing", { detail: err, bad: true }));
  }
  return out;
}

/**
 * reloadEvent turns a server "reload" event (events.js) into an entry.
 * @param {import("./events.js").StreamEvent} e
 */
export function reloadEvent(e) {
  if (e.ok) {
    const parts = [];
    if (e.added.length) parts.push(`added ${e.added.join(", ")}`);
    if (e.removed.length) parts.push(`removed ${e.removed.join(", ")}`);
    if (e.changed.length) parts.push(`changed ${e.changed.join(", ")}`);
    return ev("reload", e.ts, "", `config reloaded${parts.length ? `: ${parts.join("; ")}` : ""}`, {
      detail: e.needsRestart.length ? `needs a restart: ${e.needsRestart.join(", ")}` : "",
    });
  }
  return ev("reload-refused", e.ts, "", "config refused; the running config is unchanged", {
    detail: (e.errors.length ? e.errors : [e.message]).filter(Boolean).join("\n"),
    bad: true,
  });
}

/**
 * alertEvents says what a change of an alert means (a diff of the
 * stream's alerts, alerts.js): a new alert is pending (or firing at once,
 * a rule without `for`), a pending one fires, a firing one turns
 * critical, and one resolves. An alert that fires is marked on its
 * source's charts; its summary annotation is the detail. ts is when the
 * page learnt it (the server's clock), for what the alert has no time of.
 * @param {import("./alerts.js").AlertDiff} d
 * @param {number} ts
 * @returns {TimelineEvent[]}
 */
export function alertEvents({ prev, next }, ts) {
  const source = next.source || "";
  const summary = String(next.annotations.summary || "");
  const name = next.name || "alert";
  const sev = next.severity ? ` (${next.severity})` : "";
  const out = [];
  if (next.state === "resolved") {
    if (prev) out.push(ev("alert-resolved", next.resolved_at || ts, source, `${name} resolved`, { detail: summary, marker: false }));
    return out;
  }
  const wasFiring = prev && prev.state === "firing";
  if (!prev && next.state === "pending") out.push(ev("alert-pending", next.active_at || ts, source, `${name} pending${sev}`, { detail: summary, marker: false }));
  if (next.state === "firing" && !wasFiring) {
    out.push(ev("alert-firing", next.fired_at || ts, source, `${name} firing${sev}`, { detail: summary, bad: true }));
  } else if (wasFiring && next.state === "firing" && next.severity === "critical" && prev.severity !== "critical") {
    out.push(ev("alert-firing", ts, source, `${name} now critical`, { detail: summary, bad: true }));
  }
  return out;
}

/**
 * storageEvent turns a server "storage" event (the stored history's disk
 * failing, or writing again) into an entry; a failure is marked on every
 * chart, since from then on nothing reaches the disk.
 * @param {import("./events.js").StreamEvent} e
 */
export function storageEvent(e) {
  return e.ok
    ? ev("storage", e.ts, "", "history storage writes to disk again", { marker: false })
    : ev("storage", e.ts, "", "history storage failing: new data kept in memory only", { detail: e.message, bad: true });
}

/** connectionEvent is the stream lost (at ts) or resumed. */
export function connectionEvent(lost, ts) {
  return lost
    ? ev("connection-lost", ts, "", "connection to the server lost", { bad: true })
    : ev("connection-resumed", ts, "", "connection resumed", { marker: false });
}

/** serverRestartEvent is a new server process seen at ts (its hello's instance changed). */
export function serverRestartEvent(ts, version) {
  return ev("server-restart", ts, "", `server restarted${version ? ` (${version})` : ""}`);
}

export class Timeline {
  /** @param {number} [max] */
  constructor(max = MAX_EVENTS) {
    this.max = Math.max(1, max);
    /** @type {TimelineEvent[]} oldest first */
    this.events = [];
    this.seq = 0;
    // markers() by source, until the entries change: every chart asks at every draw.
    this.cache = new Map();
  }

  /**
   * add records entries, in time order (an entry older than the newest is
   * placed where it belongs: a source's own error time may precede the
   * update that tells of it). A crash already told (the same source and
   * time: its error's) is not told again: the updates of a source can show
   * it both as a backoff and through the restart that followed. It
   * returns how many it took.
   * @param {TimelineEvent[]} list
   */
  add(list) {
    let n = 0;
    for (const e of list) {
      if (!e || !Number.isFinite(e.ts)) continue;
      let i = this.events.length;
      while (i > 0 && this.events[i - 1].ts > e.ts) i--;
      if (e.kind === "crash" && this.told(e, i)) continue;
      e.seq = ++this.seq;
      this.events.splice(i, 0, e);
      n++;
    }
    if (this.events.length > this.max) this.events.splice(0, this.events.length - this.max);
    if (n) this.cache.clear();
    return n;
  }

  /** told reports whether a crash of e's source at e's time is among the entries around i. */
  told(e, i) {
    for (let j = i - 1; j >= 0 && this.events[j].ts === e.ts; j--) {
      const o = this.events[j];
      if (o.kind === "crash" && o.source === e.source) return true;
    }
    return false;
  }

  /**
   * list is the entries newest first, of one source (and the page's own,
   * which concern every source) or of all ("" or null).
   * @param {string|null} [source]
   */
  list(source) {
    const out = [];
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (!source || !e.source || e.source === source) out.push(e);
    }
    return out;
  }

  /** sources are the sources named by some entry, in order of first mention. */
  sources() {
    const seen = new Set();
    for (const e of this.events) if (e.source) seen.add(e.source);
    return [...seen];
  }

  /**
   * markers are what a chart of source draws: the entries marked, of that
   * source or of none, oldest first.
   * @param {string} [source]
   * @returns {Marker[]}
   */
  markers(source) {
    const key = source || "";
    let out = this.cache.get(key);
    if (out) return out;
    out = [];
    for (const e of this.events) {
      if (e.marker && (!e.source || e.source === key)) out.push({ ts: e.ts, ok: !e.bad, kind: e.kind, source: e.source, text: e.text });
    }
    this.cache.set(key, out);
    return out;
  }

  /** trimBefore drops entries older than t; it reports whether a marked one went. */
  trimBefore(t) {
    let n = 0;
    let marked = false;
    while (n < this.events.length && this.events[n].ts < t) marked ||= this.events[n++].marker;
    if (n) {
      this.events.splice(0, n);
      this.cache.clear();
    }
    return marked;
  }
}
