// Asking the server for history over the stream's WebSocket and keeping
// its answers (docs/protocol.md, "range"). No DOM, no socket: it is
// handed a send function and a clock.
//
// How it works: a span (from, to, a point budget) is one generation of
// requests. The page says which series it shows (want); those without an
// answer of this generation and not already asked for are asked for in
// messages of at most MAX_RANGE_SERIES ids, and never more than
// MAX_MESSAGES_PER_S messages in a second (the server closes a socket that
// sends more than 20), the rest waiting for the next call. Each message
// has its own id; an answer is taken only if its id is one of the current
// generation's, so an answer overtaken by a newer span (it may come after
// later deltas, in any order) is dropped. A new span keeps the answers it
// has until theirs come, so a chart narrowed by a zoom shows the coarser
// points meanwhile instead of nothing. A request unanswered for
// PENDING_TIMEOUT_MS (lost with its connection) is asked for again.

import { readPoints } from "./rangedata.js";

/** MAX_RANGE_SERIES is the most series one request names (the server's limit). */
export const MAX_RANGE_SERIES = 150;
/** MAX_RANGE_POINTS is the most points the server gives a series. */
export const MAX_RANGE_POINTS = 2000;
/** MAX_MESSAGES_PER_S caps the range requests sent in any second. */
export const MAX_MESSAGES_PER_S = 5;
/** PENDING_TIMEOUT_MS is how long a request waits for its answer before it is asked again. */
export const PENDING_TIMEOUT_MS = 15_000;

/**
 * @typedef {{type: "range", id: number, series: string[], from: number, to: number,
 *   points?: number, step?: number}} RangeRequest
 * @typedef {{gen: number, from: number, to: number, step: number, tier: string,
 *   cols: import("./rangedata.js").Columns, error: string}} RangeAnswer
 */

/**
 * rangeRequests cuts the ids into requests of at most MAX_RANGE_SERIES,
 * numbered from firstId on. Times are whole ms; points is clamped to
 * [1, MAX_RANGE_POINTS] (left out when not given).
 * @param {string[]} ids
 * @param {{from: number, to: number, points?: number}} span
 * @param {number} firstId
 * @returns {RangeRequest[]}
 */
export function rangeRequests(ids, span, firstId) {
  const out = [];
  for (let i = 0; i < ids.length; i += MAX_RANGE_SERIES) {
    const req = { type: "range", id: firstId + out.length, series: ids.slice(i, i + MAX_RANGE_SERIES), from: Math.floor(span.from), to: Math.ceil(span.to) };
    if (span.points) req.points = Math.max(1, Math.min(MAX_RANGE_POINTS, Math.round(span.points)));
    out.push(req);
  }
  return out;
}

export class RangeLoader {
  /**
   * @param {{send: (msg: RangeRequest) => boolean|void, now: () => number}} opts
   *   send puts a request on the socket (false: not connected, so not
   *   sent); now is the page's clock, unix ms
   */
  constructor(opts) {
    this.send = opts.send;
    this.now = opts.now;
    /** @type {{from: number, to: number, points?: number}|null} */
    this.span = null;
    this.gen = 0;
    this.nextId = 1;
    /** @type {Map<string, RangeAnswer>} by series id */
    this.answers = new Map();
    /** @type {Map<number, {ids: string[], at: number}>} this generation's requests without an answer, by id */
    this.pending = new Map();
    /** @type {number[]} when the requests of the last second were sent */
    this.sentAt = [];
  }

  /**
   * setSpan starts a generation for [from, to] (unix ms) with a point
   * budget a series; answers of earlier ones are kept until replaced.
   */
  setSpan(from, to, points) {
    this.span = { from, to, points };
    this.gen++;
    this.pending.clear();
  }

  /** clear forgets the span and every answer: the page shows the stream alone again. */
  clear() {
    this.span = null;
    this.gen++;
    this.pending.clear();
    this.answers.clear();
  }

  /** asked says whether a series is in a request of this generation still waiting (and not given up on). */
  asked(id) {
    const now = this.now();
    for (const p of this.pending.values()) if (p.ids.includes(id) && now - p.at < PENDING_TIMEOUT_MS) return true;
    return false;
  }

  /**
   * want asks for the given series (those the page shows) what it does not
   * have for this span; it returns how many requests it sent. The ones the
   * rate cap holds back are asked for at a later call.
   * @param {Iterable<string>} ids
   */
  want(ids) {
    if (!this.span) return 0;
    const now = this.now();
    for (const [reqId, p] of this.pending) if (now - p.at >= PENDING_TIMEOUT_MS) this.pending.delete(reqId);
    const waiting = new Set();
    for (const p of this.pending.values()) for (const id of p.ids) waiting.add(id);
    const need = [];
    for (const id of ids) {
      const a = this.answers.get(id);
      if ((!a || a.gen !== this.gen) && !waiting.has(id)) need.push(id);
    }
    if (!need.length) return 0;
    this.sentAt = this.sentAt.filter((t) => now - t < 1000);
    const room = MAX_MESSAGES_PER_S - this.sentAt.length;
    let sent = 0;
    for (const req of rangeRequests(need, this.span, this.nextId).slice(0, Math.max(0, room))) {
      if (this.send(req) === false) break;
      this.nextId = req.id + 1;
      this.pending.set(req.id, { ids: req.series, at: now });
      this.sentAt.push(now);
      sent++;
    }
    return sent;
  }

  /**
   * receive takes a range answer: the ids of the series it brought, or []
   * if it was dropped (not an answer to a request of this generation). An
   * error of the whole request is kept as each series' error, so that
   * they are not asked for again in this generation.
   * @param {any} msg
   * @returns {string[]}
   */
  receive(msg) {
    const p = msg && this.pending.get(Number(msg.id));
    if (!p) return [];
    this.pending.delete(Number(msg.id));
    const base = {
      gen: this.gen,
      from: Number(msg.from) || this.span.from,
      to: Number(msg.to) || this.span.to,
      step: Math.max(0, Number(msg.step) || 0),
      tier: String(msg.tier || ""),
    };
    const got = new Map();
    for (const s of Array.isArray(msg.series) ? msg.series : []) if (s && typeof s.id === "string") got.set(s.id, s);
    for (const id of p.ids) {
      const s = got.get(id);
      const error = msg.error ? String(msg.error) : s ? String(s.error || "") : "not in the answer";
      this.answers.set(id, { ...base, cols: readPoints(s && !msg.error ? s.points : []), error });
    }
    return p.ids;
  }

  /** answer is the points held for a series (of this or an earlier span), or undefined. */
  answer(id) {
    return this.answers.get(id);
  }

  /** forget drops a series' answer (the series left). */
  forget(id) {
    this.answers.delete(id);
  }
}
