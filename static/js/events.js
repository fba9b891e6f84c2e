// Events: notable happenings the server puts in a delta's "events" (today
// one kind, "reload": a config reload, applied or rejected), read into a
// shape the page can trust, and the chart markers they leave. Pure: no DOM.

/**
 * @typedef {{kind: string, ts: number, ok: boolean, message: string,
 *   added: string[], removed: string[], changed: string[],
 *   needsRestart: string[], errors: string[]}} StreamEvent
 * @typedef {{ts: number, ok: boolean}} Marker
 */

/** MAX_MARKERS bounds the markers a page keeps, whatever the server sends. */
export const MAX_MARKERS = 50;

/**
 * readEvents turns a delta's "events" into StreamEvents, in order. Entries
 * that are not objects with a kind and a finite ts are left out; a missing
 * list reads as empty (the server leaves empty lists out).
 * @param {unknown} list
 * @returns {StreamEvent[]}
 */
export function readEvents(list) {
  if (!Array.isArray(list)) return [];
  const out = [];
  for (const e of list) {
    if (!e || typeof e !== "object" || typeof e.kind !== "string") continue;
    const ts = Number(e.ts);
    if (!Number.isFinite(ts)) continue;
    out.push({
      kind: e.kind,
      ts,
      ok: e.ok === true,
      message: typeof e.message === "string" ? e.message : "",
      added: strings(e.added),
      removed: strings(e.removed),
      changed: strings(e.changed),
      needsRestart: strings(e.needs_restart),
      errors: strings(e.errors),
    });
  }
  return out;
}

function strings(v) {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * Markers are the times of reloads, drawn as lines across every chart.
 * They are kept in time order and bounded twice: by age, trimmed with the
 * points (trimBefore), and by count (the oldest go beyond max).
 */
export class Markers {
  /** @param {number} [max] */
  constructor(max = MAX_MARKERS) {
    this.max = Math.max(1, max);
    /** @type {Marker[]} */
    this.list = [];
  }

  get length() {
    return this.list.length;
  }

  /**
   * add records a marker for an event at ts; false if ts is not a finite
   * time. Out-of-order times are placed in order (a merged delta keeps the
   * server's order, but two servers' clocks need not agree).
   */
  add(ts, ok) {
    if (!Number.isFinite(ts)) return false;
    const m = { ts, ok: !!ok };
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].ts > ts) i--;
    this.list.splice(i, 0, m);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
    return true;
  }

  /** trimBefore drops the markers older than t; it reports whether any went. */
  trimBefore(t) {
    let n = 0;
    while (n < this.list.length && this.list[n].ts < t) n++;
    if (n) this.list.splice(0, n);
    return n > 0;
  }

  /** within returns the markers with from ≤ ts ≤ to, oldest first. */
  within(from, to) {
    return this.list.filter((m) => m.ts >= from && m.ts <= to);
  }
}
