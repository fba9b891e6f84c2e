// The page's alerts: the active ones (pending and firing) as the stream
// gives them, by id, and for the charts the spans recent alerts fired
// over, so that a chart still shows where an alert fired after it
// resolved. A snapshot carries the active alerts, a delta the changed
// ones, each whole, and one with state "resolved" leaves (docs/protocol.md,
// alert). Pure: no DOM (alertsview.js draws the panel, plugins.js the
// chart's overlay).

/**
 * @typedef {{id: string, name: string, state: string, severity: string,
 *   labels: Record<string, string>, annotations: Record<string, string>,
 *   value: number|null, threshold?: number, series?: string, source?: string,
 *   active_at: number, fired_at?: number, resolved_at?: number}} Alert
 * As the stream sends it; threshold, series and source are absent for
 * health, stale and absence rules.
 * @typedef {{prev: Alert|undefined, next: Alert}} AlertDiff
 * prev: the alert the page held (undefined for one it had not seen);
 * next: the alert received, or prev marked resolved when a snapshot no
 * longer lists it.
 * @typedef {{from: number, to: number, severity: string}} Span
 * A time an alert fired over, unix ms; to is 0 while it still fires.
 * @typedef {{thresholds: {value: number, severity: string}[], spans: Span[]}} Overlay
 */

/** MAX_SPANS bounds the resolved spans kept per series; the oldest go first. */
export const MAX_SPANS = 20;

const RANK = { warning: 1, critical: 2 };

/** severityRank orders severities: "" 0, warning 1, critical 2. */
export function severityRank(severity) {
  return RANK[severity] || 0;
}

/**
 * worst is the alert that weighs most of a list: firing before pending,
 * then critical before warning; undefined for none.
 * @param {Iterable<Alert>} list
 * @returns {Alert|undefined}
 */
export function worst(list) {
  let best;
  const weight = (a) => (a.state === "firing" ? 10 : 0) + severityRank(a.severity);
  for (const a of list) if (!best || weight(a) > weight(best)) best = a;
  return best;
}

// readAlert checks an alert of the stream: one without an id or a state is
// dropped; times and the value are numbers or absent.
function readAlert(a) {
  if (!a || typeof a !== "object" || typeof a.id !== "string" || !a.id || typeof a.state !== "string") return null;
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  return {
    ...a,
    name: String(a.name ?? ""),
    severity: String(a.severity ?? ""),
    labels: a.labels && typeof a.labels === "object" ? a.labels : {},
    annotations: a.annotations && typeof a.annotations === "object" ? a.annotations : {},
    value: num(a.value) ?? null,
    threshold: num(a.threshold),
    series: typeof a.series === "string" && a.series ? a.series : undefined,
    source: typeof a.source === "string" && a.source ? a.source : undefined,
    active_at: num(a.active_at) || 0,
    fired_at: num(a.fired_at),
    resolved_at: num(a.resolved_at),
  };
}

export class Alerts {
  constructor() {
    /** @type {Map<string, Alert>} the active alerts, by id */
    this.active = new Map();
    /** @type {Map<string, Span[]>} by series id: the spans of resolved alerts, oldest first */
    this.past = new Map();
  }

  /**
   * snapshot replaces the active alerts with list (a snapshot's, absent:
   * none). An alert it no longer lists ended while the page was away: it
   * is resolved as of ts (the snapshot's time, unix ms).
   * @returns {AlertDiff[]}
   */
  snapshot(list, ts) {
    const diffs = [];
    const seen = new Set();
    for (const raw of Array.isArray(list) ? list : []) {
      const a = readAlert(raw);
      if (!a || a.state === "resolved") continue;
      seen.add(a.id);
      diffs.push(this.put(a));
    }
    for (const [id, prev] of this.active) {
      if (!seen.has(id)) diffs.push(this.put({ ...prev, state: "resolved", resolved_at: ts }));
    }
    return diffs;
  }

  /**
   * delta applies a delta's changed alerts, each whole: it replaces the
   * one held by id, and one resolved leaves.
   * @returns {AlertDiff[]}
   */
  delta(list) {
    const diffs = [];
    for (const raw of Array.isArray(list) ? list : []) {
      const a = readAlert(raw);
      if (a) diffs.push(this.put(a));
    }
    return diffs;
  }

  put(next) {
    const prev = this.active.get(next.id);
    if (next.state === "resolved") {
      this.active.delete(next.id);
      const from = next.fired_at ?? (prev && prev.fired_at);
      if (next.series && from) this.keepSpan(next.series, { from, to: next.resolved_at || from, severity: next.severity });
    } else {
      this.active.set(next.id, next);
    }
    return { prev, next };
  }

  keepSpan(series, span) {
    let list = this.past.get(series);
    if (!list) this.past.set(series, (list = []));
    list.push(span);
    if (list.length > MAX_SPANS) list.splice(0, list.length - MAX_SPANS);
  }

  /** list is the active alerts: firing first, then the most severe, then the oldest. */
  list() {
    return [...this.active.values()].sort(
      (a, b) =>
        (b.state === "firing") - (a.state === "firing") ||
        severityRank(b.severity) - severityRank(a.severity) ||
        a.active_at - b.active_at ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  }

  /** ofSeries is the active alerts about a series. */
  ofSeries(id) {
    const out = [];
    for (const a of this.active.values()) if (a.series === id) out.push(a);
    return out;
  }

  /** ofSource is the active alerts about a source (its series' and its health's). */
  ofSource(name) {
    const out = [];
    for (const a of this.active.values()) if (a.source === name) out.push(a);
    return out;
  }

  /**
   * overlay is what a chart of the given series draws: the threshold of
   * each active alert that has one (once per value and severity), and the
   * spans they fired over, past and present, oldest first.
   * @param {Iterable<string>} ids
   * @returns {Overlay}
   */
  overlay(ids) {
    const thresholds = [];
    const spans = [];
    const seen = new Set();
    for (const id of ids) {
      for (const s of this.past.get(id) || []) spans.push(s);
      for (const a of this.ofSeries(id)) {
        if (a.fired_at && a.state === "firing") spans.push({ from: a.fired_at, to: 0, severity: a.severity });
        if (a.threshold === undefined) continue;
        const key = `${a.threshold}\u0000${a.severity}`;
        if (seen.has(key)) continue;
        seen.add(key);
        thresholds.push({ value: a.threshold, severity: a.severity });
      }
    }
    spans.sort((a, b) => a.from - b.from);
    return { thresholds, spans };
  }

  /** forget drops what is kept of a series gone from the page. */
  forget(id) {
    this.past.delete(id);
  }

  /** trimBefore drops the resolved spans that ended before t (unix ms); it reports whether any went. */
  trimBefore(t) {
    let gone = false;
    for (const [id, list] of this.past) {
      const keep = list.filter((s) => s.to >= t);
      if (keep.length === list.length) continue;
      gone = true;
      if (keep.length) this.past.set(id, keep);
      else this.past.delete(id);
    }
    return gone;
  }
}
