// A series' points as columns (docs/protocol.md, "Compact points"): the
// page opens the stream with ?points=columns, and every snapshot then
// carries each series' history as "times" and "values" instead of
// [[t, v], …]. Flat arrays of numbers are a quarter of the bytes and
// parse several times faster than as many small arrays: a page of 500
// series with 15 minutes of history gets its charts that much sooner.

/**
 * decodeTimes reads the times column: the first time (unix ms), then
 * each later time as its step from the one before (≥ 0), or -k for k
 * more times each one step on. Null when it does not give exactly n
 * times.
 * @param {unknown} enc
 * @param {number} n
 * @returns {Float64Array|null}
 */
export function decodeTimes(enc, n) {
  if (!Array.isArray(enc)) return null;
  if (!enc.length) return n === 0 ? new Float64Array(0) : null;
  const out = new Float64Array(n);
  let t = Number(enc[0]);
  let step = 0;
  let j = 0;
  if (n < 1 || !Number.isFinite(t)) return null;
  out[j++] = t;
  for (let i = 1; i < enc.length; i++) {
    const e = enc[i];
    if (typeof e !== "number" || !Number.isInteger(e)) return null;
    let k = 1;
    if (e >= 0) step = e;
    else if (i === 1) return null;
    else k = -e;
    if (k > n - j) return null;
    for (; k > 0; k--) {
      t += step;
      out[j++] = t;
    }
  }
  return j === n ? out : null;
}

/**
 * readColumns reads a series' points sent as columns: null when it has
 * none (its points, if any, are in "points"); empty columns when they do
 * not decode, so that a malformed history shows as none rather than as
 * wrong points.
 * @param {{times?: unknown, values?: unknown}} s
 * @returns {{times: Float64Array, values: (number|null)[]}|null}
 */
export function readColumns(s) {
  if (!s || (s.times === undefined && s.values === undefined)) return null;
  const values = Array.isArray(s.values) ? s.values : [];
  const times = decodeTimes(s.times, values.length);
  if (!times) return { times: new Float64Array(0), values: [] };
  return { times, values };
}

/**
 * restartBreak is restartGap (store.js) for columns: the index of the
 * first point at or after started (unix ms; 0 unknown), when older points
 * come before it and the last of them is not already a gap, so that the
 * line breaks there; -1 otherwise.
 * @param {{times: ArrayLike<number>, values: (number|null)[]}} cols
 * @param {number} started
 */
export function restartBreak(cols, started) {
  const { times, values } = cols;
  if (!started) return -1;
  let i = 0;
  while (i < times.length && times[i] < started) i++;
  return i === 0 || i === times.length || values[i - 1] === null ? -1 : i;
}
