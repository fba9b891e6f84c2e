// What happened, in order: the page's event timeline. Its entries come
// from the server's events (a reload, applied or refused; the history's
// storage; what the supervisor did to a source: a crash, its backoff and
// restart, parked as failed, stopped, started), which a snapshot carries
// too, so that a page opened later still lists them; from the changes of a
// source between two updates of it (its polls failing and working again,
// which the server does not tell); from the stream itself (the connection
// lost and resumed, the server restarted); and from the alerts (pending,
// firing, resolved). The timeline keeps them newest first, bounded, tells
// each once (a snapshot after a resync repeats what the page has), and
// gives the charts their markers. Pure: no DOM (timelineview.js draws it).

import { formatClock } from "./format.js";

/**
 * @typedef {"crash"|"backoff"|"restart"|"started"|"parked"|"stopped"|"stuck"|
 *   "down"|"up"|"reload"|"reload-refused"|"server-restart"|"connection-lost"|
 *   "connection-resumed"|"alert-pending"|"alert-firing"|"alert-resolved"|"storage"} EventKind
 * @typedef {{kind: EventKind, ts: number, source: string, text: string,
 *   detail: string, bad: boolean, marker: boolean, seq: number, retryAt: number}} TimelineEvent
 * source: the source it is about, "" for the page or the server; detail:
 * an error or the reload's errors; bad: a failure (drawn red); marker:
 * drawn on the charts (of its source, or on every chart without one);
 * retryAt: when a parked or backing-off source is started again (unix
 * ms), else 0.
 * @typedef {{ts: number, ok: boolean, kind: string, source: string, text: string}} Marker
 * source and text: the entry's, what the marker's label says
 */

/** MAX_EVENTS bounds the entries kept; the oldest go first. */
export const MAX_EVENTS = 300;

const nf = new Intl.NumberFormat("en-US");

function ev(kind, ts, source, text, { detail = "", bad = false, marker = true, retryAt = 0 } = {}) {
  return { kind, ts, source, text, detail, bad, marker, seq: 0, retryAt };
}

/**
 * sourceEvents says what a change of a source's state means that the
 * server does not tell as an event: its polls failing, and working again,
 * while its collector keeps running (a crash, a restart, parked and
 * stopped are the server's "supervision" events: supervisionEvent).
 * prev and next are the source objects as the stream sends them (prev
 * undefined for a source the page had not seen: nothing is said). ts is
 * when the page learnt it (the server's clock), for what the source
 * carries no time of.
 * @returns {TimelineEvent[]}
 */
export function sourceEvents(prev, next, ts) {
  if (!next || !prev) return [];
  const name = String(next.name);
  const err = String(next.last_error || "");
  const errAt = Number(next.last_error_at) > 0 ? Number(next.last_error_at) : ts;
  // up: whether the latest poll worked (a server older than the member
  // sends none: then nothing is said). Only for a collector that kept
  // running: a crash and its restart tell of their own down and up.
  if (typeof next.up === "boolean" && typeof prev.up === "boolean" && next.up !== prev.up &&
      next.state === "running" && prev.state === "running") {
    if (next.up) return [ev("up", Number(next.last_success) || ts, name, "polls work again", { marker: false })];
    return [ev("down", errAt, name, "polls failing", { detail: err, bad: true })];
  }
  return [];
}

/**
 * supervisionEvent turns a server "supervision" event (what the
 * supervisor did to a source) into an entry, or null for an event it does
 * not know. A crash and a parked source are marked on the source's charts;
 * a backoff and a parked source say when the source is started again. A
 * peer's event (in a cluster) names the source as the stream does,
 * "<node>/<source>".
 * @param {import("./events.js").StreamEvent} e
 * @returns {TimelineEvent|null}
 */
export function supervisionEvent(e) {
  if (!e.source) return null;
  const source = e.node ? `${e.node}/${e.source}` : e.source;
  const n = nf.format(e.restarts);
  const at = e.retryAt > 0 ? formatClock(e.retryAt) : "";
  switch (e.event) {
    case "crashed":
      return ev("crash", e.ts, source, "crashed", { detail: e.error, bad: true });
    case "restarting":
      return ev("backoff", e.ts, source, `backing off${e.delayMs ? ` ${seconds(e.delayMs)}` : ""}; restart at ${at || "its backoff's end"}`, {
        marker: false,
        retryAt: e.retryAt,
      });
    case "parked":
      return ev("parked", e.ts, source, `parked as failed after ${n} restarts; retried at ${at || "the end of its cool-down"}`, {
        detail: e.error,
        bad: true,
        retryAt: e.retryAt,
      });
    case "started":
      return e.restarts > 0
        ? ev("restart", e.ts, source, `restarted (restart ${n})`, { marker: false })
        : ev("started", e.ts, source, "started", { marker: false });
    case "stopped":
      return ev("stopped", e.ts, source, "stopped", { marker: false });
    case "stuck":
      return ev("stuck", e.ts, source, "did not stop in time; abandoned", { detail: e.error, bad: true });
  }
  return null;
}

/** seconds writes a delay of ms as "800 ms", "2 s", "1.5 s", "60 s". */
function seconds(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${nf.format(Math.round(ms / 100) / 10)} s`;
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
   * update that tells of it). An entry already told (the same time, kind,
   * source and text) is not told again: a snapshot after a resync or a
   * resume carries the server's recent events, which the page has. It
   * returns how many it took.
   * @param {TimelineEvent[]} list
   */
  add(list) {
    let n = 0;
    for (const e of list) {
      if (!e || !Number.isFinite(e.ts)) continue;
      let i = this.events.length;
      while (i > 0 && this.events[i - 1].ts > e.ts) i--;
      if (this.told(e, i)) continue;
      // Older than all it holds and it is full: it would go at once.
      if (i === 0 && this.events.length >= this.max) continue;
      e.seq = ++this.seq;
      this.events.splice(i, 0, e);
      n++;
    }
    if (this.events.length > this.max) this.events.splice(0, this.events.length - this.max);
    if (n) this.cache.clear();
    return n;
  }

  /** told reports whether an entry like e (time, kind, source, text) is among those at e's time, just before i. */
  told(e, i) {
    for (let j = i - 1; j >= 0 && this.events[j].ts === e.ts; j--) {
      const o = this.events[j];
      if (o.kind === e.kind && o.source === e.source && o.text === e.text) return true;
    }
    return false;
  }

  /**
   * latest is the newest entry of kind about source, or undefined.
   * @param {string} source
   * @param {EventKind} kind
   */
  latest(source, kind) {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.kind === kind && e.source === source) return e;
    }
    return undefined;
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
