// When a source is shown "down". A running collector whose last poll failed
// is down as Prometheus' up is 0; but the demo's flaky source fails about
// one poll in ten, and each lone failure flipped its badge to a red "down",
// pulsed its tree node and went back a second later: a page left open
// flickered. As an alert's `for:` does, the page shows a source down once
// DOWN_AFTER_POLLS of its polls in a row have failed; a lone failure is
// told by its "Last error" line, the failure count and its line's gap
// (store.js staleGap). Pure.

/** DOWN_AFTER_POLLS is how many failed polls in a row show a running source down. */
export const DOWN_AFTER_POLLS = 2;

/** @type {WeakMap<object, {failFrom: number|undefined, failing: number|undefined}>} by source object of the stream, its run of failed polls */
const runs = new WeakMap();

/**
 * failingRun records of next, a source object of the stream, how many
 * polls in a row it has failed as far as the page has seen (0 while up),
 * from prev, the same source's object of the message before (undefined:
 * none); unknown when the page cannot tell (it first saw the source
 * failing, its failure count went back, or the server sends none). The
 * message's objects are not changed: the run is kept beside them. The
 * store calls it on every source it takes, before it replaces prev.
 * @param {object|undefined} prev
 * @param {object} next
 */
export function failingRun(prev, next) {
  const failures = Number(next.failures);
  const before = prev ? runs.get(prev) : undefined;
  // failFrom: the failure count when the source was last seen up.
  let failFrom;
  if (!Number.isFinite(failures)) failFrom = undefined;
  else if (next.up !== false) failFrom = failures;
  else if (before && before.failFrom !== undefined && before.failFrom <= failures) failFrom = before.failFrom;
  runs.set(next, { failFrom, failing: failFrom === undefined ? undefined : failures - failFrom });
}

/**
 * isDown says whether a source (a source object of the stream) is shown
 * down: running, a poll finished, up false, and either DOWN_AFTER_POLLS
 * failed polls in a row or a run the page cannot count (shown as the
 * server tells it).
 * @param {object|undefined} src
 */
export function isDown(src) {
  if (!src || src.state !== "running" || src.up !== false || !(Number(src.polls) > 0)) return false;
  const run = runs.get(src);
  return !run || run.failing === undefined || run.failing >= DOWN_AFTER_POLLS;
}

/** STALE_HOLD_MS is how long a series stays stale before its card says so, unless its source is shown down first, ms. */
export const STALE_HOLD_MS = 2000;

/**
 * StaleHold holds back the stale marks of a series (its card's "stale
 * since", store.js SeriesState.staleSince) over a lone failed poll, as
 * isDown holds back the badge: a series is shown stale once its source is
 * shown down, or once it has been stale for STALE_HOLD_MS; back live
 * before that, it was never shown stale. Its line breaks at once all the
 * same (store.js staleGap). The store calls take for every change of
 * staleness the stream tells, then settle once a message.
 */
export class StaleHold {
  constructor() {
    /** @type {Map<string, number>} series id → since when stale (unix ms), not shown yet */
    this.held = new Map();
  }

  /**
   * take records a series' staleness from the stream: since (unix ms), held
   * until settle shows it, or 0, live again (nothing held).
   * @param {string} id
   * @param {number} since
   */
  take(id, since) {
    if (since > 0) this.held.set(id, since);
    else this.held.delete(id);
  }

  /** truth is a series' staleness as the stream told it (held or not), or undefined when none is held. */
  truth(id) {
    return this.held.get(id);
  }

  /**
   * settle lists the held series to show stale now (at now, unix ms, the
   * message's time), and forgets them: [id, since] pairs. sourceOf gives
   * a series' source object (undefined: gone, and the series with it).
   * @param {number} now
   * @param {(id: string) => object|undefined|null} sourceOf null: the series is gone
   * @returns {Array<[string, number]>}
   */
  settle(now, sourceOf) {
    const out = [];
    for (const [id, since] of this.held) {
      const src = sourceOf(id);
      if (src === null) this.held.delete(id);
      else if (isDown(src) || !(now - since < STALE_HOLD_MS)) {
        out.push([id, since]);
        this.held.delete(id);
      }
    }
    return out;
  }
}

/**
 * recovered names the sources of a message (list, its "sources") whose
 * polls work again: up false before (known, the map of the message
 * before), up now. Their series' first points after the failure are not
 * joined to the last before it (store.js): the failed polls, spaced out by
 * their backoff, left a stretch where the value is unknown, which a line
 * from the last value before to the first after drew as a ramp of values
 * that never were.
 * @param {Map<string, object>} known
 * @param {unknown} list
 * @returns {Set<string>}
 */
export function recovered(known, list) {
  const out = new Set();
  for (const src of Array.isArray(list) ? list : []) {
    const prev = src && src.name ? known.get(src.name) : undefined;
    if (prev && prev.up === false && src.up === true) out.add(src.name);
  }
  return out;
}
