// Events: notable happenings the server puts in a delta's "events", and
// the recent ones in a snapshot's ("reload": a config reload, applied or
// rejected; "storage": the stored history's disk failing or writing again;
// "supervision": a source started, crashed, backing off, parked, stopped;
// "source": its polls failing, working again; "alert": an alert pending,
// firing, resolved; "server": the server started),
// read into a shape the page can trust. The timeline (timeline.js) shows
// them. Pure: no DOM.

/**
 * @typedef {{kind: string, ts: number, ok: boolean, message: string,
 *   added: string[], removed: string[], changed: string[],
 *   needsRestart: string[], errors: string[], node?: string,
 *   source: string, event: string, restarts: number, error: string,
 *   retryAt: number, delayMs: number, name: string, severity: string,
 *   series: string, id: string, from: string, fromSeverity: string,
 *   labels: Record<string, string>, version: string, previous: number}} StreamEvent
 * node: the cluster node it happened on, when not this one. source,
 * event, restarts, error, retryAt (unix ms) and delayMs are a
 * "supervision" event's ("" or 0 when absent); source, event and error a
 * "source" event's too (down, up). name, severity, series, id, from (the
 * state the change left: normal, pending, firing; "" from a server that
 * did not say), fromSeverity, labels (what tells a rule's instances
 * apart; {} when none) and source and event are an "alert" event's; version and previous (unix ms, when the
 * run before last wrote; 0: none) a "server" event's.
 */

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
      source: typeof e.source === "string" ? e.source : "",
      event: typeof e.event === "string" ? e.event : "",
      restarts: count(e.restarts),
      error: typeof e.error === "string" ? e.error : "",
      retryAt: count(e.retry_at),
      delayMs: count(e.delay_ms),
      name: typeof e.name === "string" ? e.name : "",
      severity: typeof e.severity === "string" ? e.severity : "",
      series: typeof e.series === "string" ? e.series : "",
      id: typeof e.id === "string" ? e.id : "",
      from: typeof e.from === "string" ? e.from : "",
      fromSeverity: typeof e.from_severity === "string" ? e.from_severity : "",
      labels: labelsOf(e.labels),
      version: typeof e.version === "string" ? e.version : "",
      previous: count(e.previous),
      // Another node's event, in a cluster; absent for this node's.
      ...(typeof e.node === "string" && e.node ? { node: e.node } : {}),
    });
  }
  return out;
}

/** count is v when a finite number ≥ 0, else 0. */
function count(v) {
  const n = Number(v);
  return typeof v === "number" && Number.isFinite(n) && n > 0 ? n : 0;
}

/** labelsOf is v's string members, or {} when v is no object. */
function labelsOf(v) {
  const out = {};
  if (!v || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
}

function strings(v) {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * EVENT_CLASSES are the classes the timeline bounds its entries by
 * (timeline.js MAX_EVENTS), by the stream's kind, as the server's event
 * log counts them (aggregator eventClass): 1 an alert's state change, 2
 * supervision (a crash, a backoff, a restart), 3 the server's start; any
 * other kind 0. Both read aggregator/testdata/event_classes.json in their
 * tests, so that a class cut by one is cut by the other.
 */
const EVENT_CLASSES = new Map([
  ["alert", 1],
  ["supervision", 2],
  ["server", 3],
]);

/** CLASS_NAMES say, per class, what its entries are, for "N older … not shown". */
export const CLASS_NAMES = ["events", "alert changes", "crashes, backoffs and restarts", "server and connection events"];

/**
 * eventClass is the class of an event of the stream's kind (EVENT_CLASSES).
 * @param {string} kind
 */
export function eventClass(kind) {
  return EVENT_CLASSES.get(kind) || 0;
}
