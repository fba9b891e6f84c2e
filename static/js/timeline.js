// What happened, in order: the page's event timeline. Its entries come
// from the server's events (a reload, applied or refused; the history's
// storage; what the supervisor did to a source: a crash, its backoff and
// restart, parked as failed, stopped, started), which a snapshot carries
// too, so that a page opened later still lists them, as it does a source's
// polls failing and working again, the alerts (pending, firing, resolved)
// and the server's start (after a restart, a marker on every chart); and
// from the stream itself (the connection lost and resumed, the server
// restarted while the page was open). The timeline keeps them newest first, bounded, tells
// each once (a snapshot after a resync repeats what the page has), and
// gives the charts their markers. Pure: no DOM (timelineview.js draws it).

import { CLASS_NAMES, eventClass } from "./events.js";
import { formatAt, formatClock } from "./format.js";
import { alertText, instanceNames } from "./timelinealerts.js";
import { foldMarkers } from "./timelinegroups.js";

/**
 * @typedef {"crash"|"backoff"|"restart"|"started"|"parked"|"stopped"|"stuck"|
 *   "down"|"up"|"reload"|"reload-refused"|"server-restart"|"server-start"|"connection-lost"|
 *   "connection-resumed"|"alert-pending"|"alert-firing"|"alert-resolved"|"storage"} EventKind
 * @typedef {{kind: EventKind, ts: number, source: string, text: string,
 *   detail: string, bad: boolean, marker: boolean, seq: number, retryAt: number,
 *   run: string, subject: string, series: string, what: string, instance: string,
 *   labels: Record<string, string>, tail: string, ident: string, cls: number}} TimelineEvent
 * source: the source it is about, "" for the page or the server; detail:
 * an error or the reload's errors; bad: a failure (drawn red); marker:
 * drawn on the charts (of its source, or on every chart without one);
 * retryAt: when a parked or backing-off source is started again (unix
 * ms), else 0; run: what churn it may be told with (groupRuns): its
 * family and subject, "alert\u0000spiky\u0000ShardHot" (one alert rule,
 * on any of its series), "cycle\u0000flaky" (a source's crashes,
 * backoffs, restarts), "polls\u0000flaky" (its polls failing and working
 * again), "start\u0000" (sources started for the first time, as a server
 * starts them all); "" for an entry always told alone; subject: what a group of its
 * run is named by (the alert's name), "" for a source's own; series: the
 * series id an alert is about, whose chart alone marks it ("" for the rest,
 * marked on every chart of their source). An alert's own: what, the
 * change in the words its group counts ("pending → firing", "firing →
 * normal", "severity warning → critical"; "pending", "firing", "resolved"
 * from a server that did not say what it left); instance, the alert's id;
 * labels, the alert's (the Timeline names the instance by those that tell
 * the rule's apart); tail, what the text says after what (" (critical)");
 * ident, what tells it from another entry at its time ("": its text);
 * cls, its class for the bounds (classOf).
 * @typedef {{ts: number, ok: boolean, kind: string, source: string, text: string, series: string,
 *   run?: string, what?: string, subject?: string, members?: Marker[], until?: number}} Marker
 * source and text: the entry's, what the marker's label says; series: the entry's;
 * run, what and subject: the entry's, by which an alert's churn is folded
 * into one marker (foldMarkers: members, until).
 */

/**
 * MAX_EVENTS bounds the entries kept of each class (classOf), the oldest
 * of a class going first: a flapping rule's changes or a crash-looping
 * source's do not push the others' crashes or the server's restart off
 * the timeline and the charts (the server's log counts them apart too).
 */
export const MAX_EVENTS = 300;

/** CLASSES is how many classes (events.js eventClass) the bounds count apart. */
const CLASSES = 4;

/**
 * classOf is an entry's class for MAX_EVENTS: that of the stream's event
 * it came from (events.js eventClass, the server's rule; set by the entry's
 * maker), the page's own connection entries counted with the server's.
 * @param {TimelineEvent} e
 */
export function classOf(e) {
  return e.cls > 0 && e.cls < CLASSES ? e.cls : 0;
}

const nf = new Intl.NumberFormat("en-US");

// ev makes an entry of an event of the stream's kind wire (its class, classOf).
function ev(wire, kind, ts, source, text, { detail = "", bad = false, marker = true, retryAt = 0, run = "", subject = "", series = "" } = {}) {
  return { kind, ts, source, text, detail, bad, marker, seq: 0, retryAt, run, subject, series, what: "", instance: "", labels: {}, tail: "", ident: "", cls: eventClass(wire) };
}

/**
 * sourceEvent turns a server "source" event (a source's polls failing, or
 * working again after that, while its collector keeps running) into an
 * entry, or null for an event it does not know. Failing is marked on the
 * source's charts. A peer's names its source "<node>/<source>".
 * @param {import("./events.js").StreamEvent} e
 * @returns {TimelineEvent|null}
 */
export function sourceEvent(e) {
  if (!e.source) return null;
  const source = e.node ? `${e.node}/${e.source}` : e.source;
  const run = `polls\u0000${source}`;
  if (e.event === "down") return ev("source", "down", e.ts, source, "polls failing", { detail: e.error, bad: true, run });
  if (e.event === "up") return ev("source", "up", e.ts, source, "polls work again", { marker: false, run });
  return null;
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
  // A crash, its backoff, its restart: a cycle that may repeat (groupRuns).
  const run = `cycle\u0000${source}`;
  switch (e.event) {
    case "crashed":
      return ev("supervision", "crash", e.ts, source, "crashed", { detail: e.error, bad: true, run });
    case "restarting":
      return ev("supervision", "backoff", e.ts, source, `backing off${e.delayMs ? ` ${seconds(e.delayMs)}` : ""}; restart at ${at || "its backoff's end"}`, {
        marker: false,
        retryAt: e.retryAt,
        run,
      });
    case "parked":
      return ev("supervision", "parked", e.ts, source, `parked as failed after ${n} restarts; next try at ${at || "the end of its cool-down"}`, {
        detail: e.error,
        bad: true,
        retryAt: e.retryAt,
        run,
      });
    case "started":
      return e.restarts > 0
        ? ev("supervision", "restart", e.ts, source, `restarted (restart ${n})`, { marker: false, run })
        : ev("supervision", "started", e.ts, source, "started", { marker: false, run: "start\u0000" });
    case "stopped":
      return ev("supervision", "stopped", e.ts, source, "stopped", { marker: false });
    case "stuck":
      return ev("supervision", "stuck", e.ts, source, "did not stop in time; abandoned", { detail: e.error, bad: true });
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
    return ev("reload", "reload", e.ts, "", `config reloaded${parts.length ? `: ${parts.join("; ")}` : ""}`, {
      detail: e.needsRestart.length ? `needs a restart: ${e.needsRestart.join(", ")}` : "",
    });
  }
  return ev("reload", "reload-refused", e.ts, "", "config refused; the running config is unchanged", {
    detail: (e.errors.length ? e.errors : [e.message]).filter(Boolean).join("\n"),
    bad: true,
  });
}

/**
 * serverEvent turns a server "server" event (a server process started)
 * into an entry: a restart, marked on every chart, when a run came before
 * it (previous), else a start; null when the page already marked this
 * restart from the hello (known: its latest "server-restart", stamped by
 * the hello's start, which is within moments of the event's).
 * @param {import("./events.js").StreamEvent} e
 * @param {TimelineEvent} [known]
 * @returns {TimelineEvent|null}
 */
export function serverEvent(e, known) {
  if (e.event !== "started") return null;
  if (!e.previous) return ev("server", "server-start", e.ts, "", `server started${e.version ? ` (${e.version})` : ""}`, { marker: false });
  if (known && Math.abs(known.ts - e.ts) < SAME_START_MS) return null;
  return serverRestartEvent(e.ts, e.version);
}

/** SAME_START_MS: a hello's start and the server's event of it are this close or closer. */
const SAME_START_MS = 60_000;

/**
 * storageEvent turns a server "storage" event (the stored history's disk
 * failing, or writing again) into an entry; a failure is marked on every
 * chart, since from then on nothing reaches the disk.
 * @param {import("./events.js").StreamEvent} e
 */
export function storageEvent(e) {
  return e.ok
    ? ev("storage", "storage", e.ts, "", "history storage writes to disk again", { marker: false })
    : ev("storage", "storage", e.ts, "", "history storage failing: new data kept in memory only", { detail: e.message, bad: true });
}

/** connectionEvent is the stream lost (at ts) or resumed. */
export function connectionEvent(lost, ts) {
  return lost
    ? ev("server", "connection-lost", ts, "", "connection to the server lost", { bad: true })
    : ev("server", "connection-resumed", ts, "", "connection resumed", { marker: false });
}

/** serverRestartEvent is a new server process seen at ts (its hello's instance changed). */
export function serverRestartEvent(ts, version) {
  return ev("server", "server-restart", ts, "", `server restarted${version ? ` (${version})` : ""}`);
}

export { GROUP_MIN, RUN_GAP_MS, START_GAP_MS, foldMarkers, groupRuns, groupText } from "./timelinegroups.js";
export { alertEvent, instanceNames } from "./timelinealerts.js";

export class Timeline {
  /** @param {number} [max] */
  constructor(max = MAX_EVENTS) {
    this.max = Math.max(1, max);
    /** @type {TimelineEvent[]} oldest first */
    this.events = [];
    this.seq = 0;
    // markers() by source, until the entries change: every chart asks at every draw.
    this.cache = new Map();
    // Per class (classOf): how many entries are kept, the oldest one's
    // time, how many went for the bound, and the newest time of those:
    // what add and trim need without walking the entries.
    this.count = new Array(CLASSES).fill(0);
    this.oldest = new Array(CLASSES).fill(Infinity);
    this.dropped = new Array(CLASSES).fill(0);
    this.cutAt = new Array(CLASSES).fill(-Infinity);
  }

  /**
   * add records entries, in time order (an entry older than the newest is
   * placed where it belongs: a source's own error time may precede the
   * update that tells of it). An entry already told (the same time, kind,
   * source and text; for an alert's, instance and change) is not told
   * again: a snapshot after a resync or a resume carries the server's
   * recent events, which the page has. The entries of an alert rule that
   * took one are named anew (nameInstances). It returns how many it took.
   * @param {TimelineEvent[]} list
   */
  add(list) {
    let n = 0;
    const rules = new Set(); // alert rules with a new entry: their instances are named anew
    for (const e of list) {
      if (!e || !Number.isFinite(e.ts)) continue;
      let i = this.events.length;
      while (i > 0 && this.events[i - 1].ts > e.ts) i--;
      if (this.told(e, i)) continue;
      const c = classOf(e);
      // Older than all its class holds and the class is full: it would go at once.
      if (this.count[c] >= this.max && e.ts < this.oldest[c]) {
        this.cut(c, e.ts);
        continue;
      }
      e.seq = ++this.seq;
      this.events.splice(i, 0, e);
      this.count[c]++;
      if (e.ts < this.oldest[c]) this.oldest[c] = e.ts;
      n++;
      if (e.instance) rules.add(e.run);
    }
    if (this.count.some((k) => k > this.max)) this.trim();
    for (const run of rules) this.nameInstances(run);
    if (n) this.cache.clear();
    return n;
  }

  // cut counts an entry of class c at ts that went for the bound.
  cut(c, ts) {
    this.dropped[c]++;
    if (ts > this.cutAt[c]) this.cutAt[c] = ts;
  }

  // trim drops the oldest entries of each class past max.
  trim() {
    const over = this.count.map((k) => Math.max(0, k - this.max));
    this.events = this.events.filter((e) => {
      const c = classOf(e);
      if (!over[c]) return true;
      over[c]--;
      this.count[c]--;
      this.cut(c, e.ts);
      return false;
    });
    this.findOldest();
  }

  // findOldest finds each class's oldest entry's time (the entries are oldest first).
  findOldest() {
    this.oldest.fill(Infinity);
    let left = CLASSES;
    for (const e of this.events) {
      const c = classOf(e);
      if (this.oldest[c] !== Infinity) continue;
      this.oldest[c] = e.ts;
      if (--left === 0) break;
    }
  }

  /**
   * cuts say, per class that lost entries for its bound (MAX_EVENTS), how
   * many went and the newest time among them (unix ms): the timeline and
   * the charts' markers show nothing of that class up to then. Entries
   * that went for their age (trimBefore) are not counted: the charts do
   * not reach back to them either.
   * @returns {{what: string, n: number, until: number}[]}
   */
  cuts() {
    const out = [];
    for (let c = 0; c < CLASSES; c++) if (this.dropped[c]) out.push({ what: CLASS_NAMES[c], n: this.dropped[c], until: this.cutAt[c] });
    return out;
  }

  /**
   * nameInstances writes the texts of one alert rule's entries (run) anew,
   * each instance named by the labels that tell it from the rule's others
   * (instanceNames): "ShardHot {shard=\"2\"} pending → normal" and
   * "ShardHot {shard=\"0\"} pending → firing" tell two shards' changes
   * apart where "ShardHot pending", "ShardHot resolved" read as one.
   */
  nameInstances(run) {
    const mine = this.events.filter((e) => e.run === run && e.instance);
    const names = instanceNames(mine);
    for (const e of mine) e.text = alertText(e.subject, names.get(e.instance) || "", e.what, e.tail);
  }

  /** told reports whether an entry like e (time, kind, source, and ident or text) is among those at e's time, just before i. */
  told(e, i) {
    for (let j = i - 1; j >= 0 && this.events[j].ts === e.ts; j--) {
      const o = this.events[j];
      if (o.kind === e.kind && o.source === e.source && (o.ident || o.text) === (e.ident || e.text)) return true;
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
      if (!e.marker || (e.source && e.source !== key)) continue;
      const m = { ts: e.ts, ok: !e.bad, kind: e.kind, source: e.source, text: e.text, series: e.series || "" };
      // An alert's: what its churn is folded by (chartMarkers).
      out.push(e.run && e.run.startsWith("alert\u0000") ? { ...m, run: e.run, what: e.what, subject: e.subject } : m);
    }
    this.cache.set(key, out);
    return out;
  }

  /**
   * chartMarkers are what a chart of source showing the series ids draws:
   * its source's markers (markers) less those of an alert about a series
   * it does not show, an alert rule's churn folded into one marker a burst
   * (foldMarkers). Kept until the entries change, as markers are.
   * @param {string} source
   * @param {string[]} ids
   * @returns {Marker[]}
   */
  chartMarkers(source, ids) {
    const key = `${source || ""}\u0001${ids.join("\u0000")}`;
    let out = this.cache.get(key);
    if (out) return out;
    const all = this.markers(source);
    out = foldMarkers(all.some((m) => m.series) ? all.filter((m) => !m.series || ids.includes(m.series)) : all);
    this.cache.set(key, out);
    return out;
  }

  /** trimBefore drops entries older than t; it reports whether a marked one went. */
  trimBefore(t) {
    let n = 0;
    let marked = false;
    // Not `marked ||= events[n++].marker`: once marked, ||= skips its right side, n++ too, and the loop never ends.
    for (; n < this.events.length && this.events[n].ts < t; n++) if (this.events[n].marker) marked = true;
    if (n) {
      for (const e of this.events.splice(0, n)) this.count[classOf(e)]--;
      this.findOldest();
      this.cache.clear();
    }
    // What went for the bound is older still: gone with its age.
    for (let c = 0; c < CLASSES; c++) {
      if (this.cutAt[c] < t) {
        this.dropped[c] = 0;
        this.cutAt[c] = -Infinity;
      }
    }
    return marked;
  }
}
