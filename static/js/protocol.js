// Protocol rules the client applies to the stream (docs/protocol.md, "The
// client's duties"), as pure functions.

/**
 * checkSequence says what to do with a message given the last sequence
 * number applied (null before the first snapshot):
 *   "apply" — a snapshot (always: it replaces the state), or the delta
 *             that follows: its `from` (a merge of several) or else its
 *             `seq` is last+1;
 *   "skip"  — a delta already applied (seq ≤ last), e.g. one in flight
 *             when a resume was asked for;
 *   "gap"   — a delta after a loss, or a delta before any snapshot: the
 *             client must resync (resume from last).
 * Other messages (hello, unknown types) are "apply": they carry no seq.
 * @param {number|null} last
 * @param {{type: string, seq?: number, from?: number}} msg
 * @returns {"apply"|"skip"|"gap"}
 */
export function checkSequence(last, msg) {
  if (!msg || msg.type !== "delta") return "apply";
  if (last === null || last === undefined) return "gap";
  const seq = Number(msg.seq);
  if (!Number.isFinite(seq)) return "gap";
  if (seq <= last) return "skip";
  const first = msg.from !== undefined && msg.from !== null ? Number(msg.from) : seq;
  return first === last + 1 ? "apply" : "gap";
}

/**
 * backoffDelay is the wait before reconnect attempt n (0 the first after a
 * loss): exponential from base, capped, with "equal jitter" (half fixed,
 * half random) so that many pages dropped by one server restart do not
 * all come back in the same instant, yet none waits much less than planned.
 * @param {number} attempt
 * @param {{base?: number, cap?: number, random?: () => number}} [opts]
 */
export function backoffDelay(attempt, opts = {}) {
  const base = opts.base ?? 500;
  const cap = opts.cap ?? 10000;
  const random = opts.random ?? Math.random;
  const n = Math.max(0, Math.min(attempt, 30));
  const ceiling = Math.min(cap, base * 2 ** n);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
