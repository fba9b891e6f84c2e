// The client's state: sources, series with their recent points, the
// supervision tree, the alerts. It applies hello, snapshot and delta
// messages and says what changed, so that the view redraws only that. No
// DOM here.

import { Alerts } from "./alerts.js";
import { readColumns, restartBreak } from "./columns.js";
import { StaleHold, failingRun, recovered } from "./down.js";
import { readEvents } from "./events.js";
import { Ring } from "./ring.js";
import { buildTree } from "./treemodel.js";

/**
 * @typedef {{id: string, source: string, metric: string,
 *   labels: Record<string, string>, kind: string, last: [number, number|null]|null,
 *   windows: Record<string, object>, ring: Ring, staleSince: number, since: number}} SeriesState
 * staleSince: when the series went stale (its source no longer shows it),
 * unix ms; 0 while it is live. since: the first point the server held
 * when it last sent the series whole (its windows cover nothing before:
 * a restarted server starts again), unix ms; 0 if it sent none.
 * @typedef {{reset: boolean, added: string[], removed: string[],
 *   points: Set<string>, windows: Set<string>, stale: Set<string>, sources: Set<string>,
 *   sourcesRemoved: string[],
 *   tree: boolean, treeShape: boolean, events: import("./events.js").StreamEvent[],
 *   sourceDiffs: {prev: object|undefined, next: object}[],
 *   alerts: import("./alerts.js").AlertDiff[]}} Changes
 * tree: the supervision tree changed, in a source or whole; treeShape: a
 * snapshot, a delta's tree or a source removed changed it (not only a
 * source's fields). events: the delta's events, in order; sourceDiffs: each source object
 * received with the one it replaced (undefined for a new source);
 * stale: the series whose staleness a delta's "stale" changed; alerts:
 * each alert received with the one it replaced (see Alerts).
 */

function changes(reset) {
  return {
    reset,
    added: [],
    removed: [],
    points: new Set(),
    windows: new Set(),
    stale: new Set(),
    sources: new Set(),
    sourcesRemoved: [],
    tree: false,
    treeShape: reset,
    events: [],
    sourceDiffs: [],
    alerts: [],
  };
}

// readSince reads a staleness time: a positive number is when the series
// went stale, unix ms; anything else (0 in a delta's "stale") is live.
function readSince(v) {
  const t = Number(v);
  return Number.isFinite(t) && t > 0 ? t : 0;
}

/**
 * restartGap breaks a series' points where the server was down: the
 * points older than its start (started, unix ms; 0: unknown) are an
 * earlier run's, kept in its stored history, so a null point follows the
 * last of them when newer ones follow. The points are not changed.
 * @param {unknown} points [[t, v], …], oldest first
 * @param {number} started
 */
export function restartGap(points, started) {
  if (!started || !Array.isArray(points)) return points;
  let i = 0;
  while (i < points.length && Array.isArray(points[i]) && Number(points[i][0]) < started) i++;
  if (i === 0 || i === points.length || points[i - 1][1] === null) return points;
  return [...points.slice(0, i), [Number(points[i - 1][0]) + 1, null], ...points.slice(i)];
}

export class Store {
  /**
   * @param {{maxPoints?: number}} [opts] maxPoints caps each series' ring
   */
  constructor(opts = {}) {
    this.maxPoints = opts.maxPoints ?? 50000;
    this.version = "";
    this.windows = [];
    this.historyMs = 900_000;
    /** @type {Map<string, SeriesState>} */
    this.series = new Map();
    /** @type {Map<string, object>} in the server's order */
    this.sources = new Map();
    this.rawTree = null;
    this.alerts = new Alerts();
    this.staleHold = new StaleHold(); // stale marks held over a lone failed poll (down.js)
    this.now = 0; // the server's clock at its latest message, unix ms
    this.instance = ""; // the server process, from its hello
    this.started = 0; // when the server process started, unix ms (0: unknown)
  }

  /** hello records the server's version, windows and history length. */
  hello(msg) {
    this.version = String(msg.version ?? "");
    this.instance = String(msg.instance ?? "");
    this.windows = Array.isArray(msg.windows) ? msg.windows.map(String) : [];
    const h = Number(msg.history_seconds);
    if (Number.isFinite(h) && h > 0) this.historyMs = h * 1000;
    const started = Number(msg.started);
    this.started = Number.isFinite(started) && started > 0 ? started : 0;
  }

  /**
   * snapshot replaces the whole state. Series it does not list are
   * removed; a series it lists keeps the points the page has from before
   * its history (see Ring.replace).
   * @returns {Changes}
   */
  snapshot(msg) {
    const ch = changes(true);
    this.tick(msg.ts);
    const list = Array.isArray(msg.series) ? msg.series : [];
    const ids = new Set(list.map((s) => s && s.id));
    for (const id of this.series.keys()) {
      if (!ids.has(id)) {
        this.series.get(id).ring.clear();
        this.series.delete(id);
        ch.removed.push(id);
      }
    }
    for (const s of list) this.absorb(s, ch);
    const before = this.sources;
    this.sources = new Map();
    for (const src of Array.isArray(msg.sources) ? msg.sources : []) {
      if (src && src.name) {
        failingRun(before.get(src.name), src);
        ch.sourceDiffs.push({ prev: before.get(src.name), next: src });
        this.sources.set(src.name, src);
        ch.sources.add(src.name);
      }
    }
    this.rawTree = msg.tree ?? null;
    ch.tree = true;
    // What happened lately (the server's log): the timeline skips what it has.
    ch.events = readEvents(msg.events);
    for (const id of ch.removed) this.alerts.forget(id);
    ch.alerts = this.alerts.snapshot(msg.alerts, this.now);
    return ch;
  }

  /**
   * delta applies one delta (removed, then added, then points, windows,
   * staleness and sources, the order the server merges them in). Its
   * events are returned in ch.events (a snapshot's too: the server's
   * recent events, some of which the page may have told already).
   * @returns {Changes}
   */
  delta(msg) {
    const ch = changes(false);
    this.tick(msg.ts);
    for (const id of Array.isArray(msg.removed) ? msg.removed : []) {
      const st = this.series.get(id);
      if (st) {
        st.ring.clear();
        this.series.delete(id);
        ch.removed.push(id);
      }
    }
    for (const s of Array.isArray(msg.added) ? msg.added : []) this.absorb(s, ch);
    const points = msg.points && typeof msg.points === "object" ? msg.points : {};
    const back = recovered(this.sources, msg.sources);
    for (const id of Object.keys(points)) {
      const st = this.series.get(id);
      if (!st || !Array.isArray(points[id])) continue;
      // The first points after failed polls start a line of their own.
      if (back.has(st.source) && Array.isArray(points[id][0])) staleGap(st, Number(points[id][0][0]) - 1);
      if (st.ring.pushAll(points[id])) {
        const n = st.ring.length;
        st.last = [st.ring.timeAt(n - 1), st.ring.valueAt(n - 1)];
      }
      this.trimOne(st);
      ch.points.add(id);
    }
    const wins = msg.windows && typeof msg.windows === "object" ? msg.windows : {};
    for (const id of Object.keys(wins)) {
      const st = this.series.get(id);
      if (st && wins[id]) {
        st.windows = wins[id];
        ch.windows.add(id);
      }
    }
    // A series gone stale breaks its line at once (staleGap); its card
    // says so once held past a lone failed poll (down.js StaleHold, settled below).
    const stale = msg.stale && typeof msg.stale === "object" ? msg.stale : {};
    for (const id of Object.keys(stale)) {
      const st = this.series.get(id);
      const since = readSince(stale[id]);
      if (!st || (this.staleHold.truth(id) ?? st.staleSince) === since) continue;
      this.staleHold.take(id, since);
      if (since > 0) {
        staleGap(st, since);
        ch.points.add(id); // its line breaks: redrawn
      } else if (st.staleSince !== 0) {
        st.staleSince = 0;
        ch.stale.add(id);
      }
    }
    // Sources that left the configuration go before the changed ones: a
    // merged delta may remove a source and bring it back.
    for (const name of Array.isArray(msg.sources_removed) ? msg.sources_removed : []) {
      if (typeof name === "string" && this.sources.delete(name)) {
        ch.sourcesRemoved.push(name);
        ch.tree = true;
        ch.treeShape = true;
      }
    }
    for (const src of Array.isArray(msg.sources) ? msg.sources : []) {
      if (src && src.name) {
        failingRun(this.sources.get(src.name), src);
        ch.sourceDiffs.push({ prev: this.sources.get(src.name), next: src });
        this.sources.set(src.name, src);
        ch.sources.add(src.name);
        ch.tree = true;
      }
    }
    if (msg.tree !== undefined && msg.tree !== null) {
      this.rawTree = msg.tree;
      ch.tree = true;
      ch.treeShape = true;
    }
    for (const [id, since] of this.staleHold.settle(this.now, (id) => (this.series.has(id) ? this.sources.get(this.series.get(id).source) : null))) {
      this.series.get(id).staleSince = since;
      ch.stale.add(id);
    }
    ch.events = readEvents(msg.events);
    for (const id of ch.removed) this.alerts.forget(id);
    // Last: an alert may name a series added in the same delta.
    ch.alerts = this.alerts.delta(msg.alerts);
    return ch;
  }

  /**
   * absorb takes a whole series object (from a snapshot or a delta's
   * "added"): its metadata, windows and full history (as points, or as
   * columns: columns.js) replace what was held, and ch records the change.
   * @param {Changes} ch
   */
  absorb(s, ch) {
    if (!s || !s.id) return;
    this.staleHold.take(s.id, 0); // a whole series carries its own staleness, shown as it is
    const known = this.series.has(s.id);
    const st = this.upsert(s);
    const cols = readColumns(s);
    if (cols) {
      st.ring.replaceColumns(cols.times, cols.values, restartBreak(cols, this.started));
      st.since = cols.times.length ? cols.times[0] : this.now;
    } else {
      st.ring.replace(restartGap(s.points, this.started));
      const first = Array.isArray(s.points) && Array.isArray(s.points[0]) ? Number(s.points[0][0]) : NaN;
      if (Array.isArray(s.points)) st.since = Number.isFinite(first) ? first : this.now;
    }
    staleGap(st, st.staleSince);
    this.trimOne(st);
    if (!known) ch.added.push(s.id);
    ch.points.add(s.id);
    ch.windows.add(s.id);
  }

  upsert(s) {
    let st = this.series.get(s.id);
    if (!st) {
      st = { id: s.id, ring: new Ring(this.maxPoints), since: 0 };
      this.series.set(s.id, st);
    }
    st.source = String(s.source ?? "");
    st.metric = String(s.metric ?? "");
    st.labels = s.labels && typeof s.labels === "object" ? s.labels : {};
    st.kind = String(s.kind ?? "gauge");
    st.last = Array.isArray(s.last) ? s.last : null;
    st.windows = s.windows && typeof s.windows === "object" ? s.windows : {};
    // A stale mark without a usable time still reads as stale.
    st.staleSince = s.stale === true ? readSince(s.stale_since) || this.now || 1 : 0;
    return st;
  }

  tick(ts) {
    const t = Number(ts);
    if (Number.isFinite(t) && t > this.now) this.now = t;
  }

  trimOne(st) {
    if (this.now) st.ring.trimBefore(this.now - this.historyMs);
  }

  /** trimAll drops points older than the history; the page calls it now and then, for series that receive nothing new. */
  trimAll() {
    for (const st of this.series.values()) this.trimOne(st);
    if (this.now) this.alerts.trimBefore(this.now - this.historyMs);
  }

  /** tree is the supervision tree with the sources under "collectors". */
  tree() {
    return buildTree(this.rawTree, [...this.sources.values()]);
  }

  /** pointCount is the number of points held, for memory checks. */
  pointCount() {
    let n = 0;
    for (const st of this.series.values()) n += st.ring.length;
    return n;
  }
}

/**
 * staleGap ends a stale series' line where it went stale: a null point at
 * since, when that is after its last point (at once, where its card's
 * marks wait past a lone failed poll: down.js StaleHold). Its failed polls are a
 * gap, as a failed scrape is in Prometheus and Grafana: the points received
 * while it was live stay as they were, and a recovery is not drawn as a
 * ramp from the last value before to the first after (gaps.js tells only
 * stretches long for the line's spacing). The headline's value (st.last)
 * stays the last received.
 * @param {SeriesState} st
 * @param {number} since when it went stale, unix ms (0: live, nothing to do)
 */
function staleGap(st, since) {
  const n = st.ring.length;
  if (since > 0 && n && since > st.ring.timeAt(n - 1) && st.ring.valueAt(n - 1) !== null) st.ring.push(since, null);
}
