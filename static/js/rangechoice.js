// The history range the reader picks beside the statistics window: a
// preset that ends now (1h … 30d) or a custom span, its place in the
// address, and whether the stream's own points can draw it or the stored
// history must be asked for. Pure.
//
//	?range=24h                          the last 24 hours, live
//	?range=1700000000000..1700086400000 a custom span, unix ms

/** RANGES are the presets, shortest first. */
export const RANGES = ["1h", "6h", "24h", "7d", "30d"];

const UNIT_MS = { h: 3_600_000, d: 86_400_000 };

/**
 * @typedef {{name: string, from?: number, to?: number}} RangeChoice
 * name: one of RANGES, or "custom" with from < to (unix ms).
 */

/** rangeMs is a preset's length in ms ("24h" → 86 400 000); NaN for anything else. */
export function rangeMs(name) {
  if (!RANGES.includes(name)) return NaN;
  return Number(name.slice(0, -1)) * UNIT_MS[name.at(-1)];
}

/**
 * readRange reads the address's range parameter: a preset, or
 * "<from>..<to>" in unix ms; null when absent, garbled or a span the page
 * could not have shown (validSpan at now, the page's clock).
 * @param {string|null} param
 * @param {number} [now]
 * @returns {RangeChoice|null}
 */
export function readRange(param, now = Infinity) {
  if (!param) return null;
  if (RANGES.includes(param)) return { name: param };
  const m = /^(\d{1,15})\.\.(\d{1,15})$/.exec(param);
  if (!m) return null;
  return customRange(Number(m[1]), Number(m[2]), now);
}

/** writeRange is readRange's inverse: "" for none. */
export function writeRange(choice) {
  if (!choice) return "";
  if (choice.name !== "custom") return choice.name;
  return `${Math.round(choice.from)}..${Math.round(choice.to)}`;
}

/** MAX_SPAN_MS is the longest span the page shows: the longest preset's. */
export const MAX_SPAN_MS = rangeMs(RANGES.at(-1));

/**
 * FUTURE_SLACK_MS is how far past the page's clock a span may end: the
 * server's clock, whose "now" the charts follow, may run a little ahead.
 */
export const FUTURE_SLACK_MS = 60_000;

/** MIN_SPAN_MS is the shortest span the page shows: a second, the stream's finest step. */
export const MIN_SPAN_MS = 1000;

/**
 * EARLIEST_MS is the earliest time a span may start (2000-01-01 UTC): no
 * pulseboard kept data before it, and the hello reports no oldest point
 * to hold a span to instead.
 */
export const EARLIEST_MS = Date.UTC(2000, 0, 1);

/**
 * validSpan says whether [from, to] (unix ms) is a span the page could
 * have shown: finite, from EARLIEST_MS on, at least MIN_SPAN_MS and at
 * most MAX_SPAN_MS long and, when now is given, not ending in the future.
 * An address holding anything else was not written by the page.
 */
export function validSpan(from, to, now = Infinity) {
  return Number.isFinite(from) && Number.isFinite(to) && from >= EARLIEST_MS &&
    to - from >= MIN_SPAN_MS && to - from <= MAX_SPAN_MS && to <= now + FUTURE_SLACK_MS;
}

/**
 * zoomSpan is the span a drag of [from, to] (unix ms) zooms to: widened
 * about its middle to MIN_SPAN_MS when narrower, null when empty or when
 * validSpan would refuse the result, so that a zoom never writes an
 * address the page would not read back.
 */
export function zoomSpan(from, to) {
  if (!(to > from)) return null;
  if (to - from < MIN_SPAN_MS) {
    const mid = (from + to) / 2;
    [from, to] = [mid - MIN_SPAN_MS / 2, mid + MIN_SPAN_MS / 2];
  }
  return validSpan(from, to) ? [from, to] : null;
}

/**
 * customRange is the custom choice of [from, to] (unix ms), or null if
 * validSpan refuses it (now: the page's clock, if the span must not end
 * in the future).
 */
export function customRange(from, to, now = Infinity) {
  if (!validSpan(from, to, now)) return null;
  return { name: "custom", from, to };
}

/**
 * rangeSpan is what a choice shows at server time now, [from, to] unix ms:
 * a preset ends at now.
 * @param {RangeChoice} choice
 * @param {number} now
 * @returns {[number, number]}
 */
export function rangeSpan(choice, now) {
  if (choice.name === "custom") return [choice.from, choice.to];
  return [now - rangeMs(choice.name), now];
}

/**
 * needsHistory says whether a span reaches back past what the stream
 * holds (its points from liveFrom on, unix ms): then the stored history
 * is asked for. A little slack keeps a preset as long as the stream's
 * window on the stream's points.
 */
export function needsHistory(span, liveFrom) {
  return !!span && span[0] < liveFrom - 1000;
}

/** includesNow says whether a span reaches the server's time now: its right edge is live. */
export function includesNow(span, now) {
  return !!span && span[1] >= now - 1000;
}

/**
 * refreshDue says whether a live span's answer (asked for up to askedTo,
 * unix ms) should be asked for again: the stream's points carry it on to
 * the right, but the page keeps only historyMs of them, so it is asked
 * again well before they run out, and not more often than a step.
 */
export function refreshDue(askedTo, now, historyMs, stepMs) {
  const every = Math.max(stepMs || 0, Math.min(historyMs / 3, 300_000));
  return now - askedTo >= every;
}

const pad = (n) => String(n).padStart(2, "0");

/** toLocalInput writes unix ms as a datetime-local input's value, in the page's time zone. */
export function toLocalInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** fromLocalInput reads a datetime-local input's value as unix ms (NaN if empty or garbled). */
export function fromLocalInput(value) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(String(value))) return NaN;
  return new Date(value).getTime();
}

/** rangeLabel names a choice in words, as the cards' statistics say "over …". */
export function rangeLabel(choice) {
  if (!choice) return "";
  if (choice.name !== "custom") return choice.name;
  return `${toLocalInput(choice.from).replace("T", " ")} to ${toLocalInput(choice.to).replace("T", " ")}`;
}
