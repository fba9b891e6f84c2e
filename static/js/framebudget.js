// A frame's budget (pageframe.js): the time its script may take, less the
// time the browser will take to rasterise what its charts drew. A canvas's
// drawing is recorded as the script runs and rasterised when the frame is
// committed, after the script and out of its clock's sight: 500 series at
// the 15-minute window drew every chart in sight at the clock's tick, ten
// lines of 900 points each, and the commit's SkCanvas::drawPath took 30–85
// ms of one task a second on top of the script's whole budget. Charged by
// the point (a chart's times × its lines), a frame draws a chart or two of
// that size and leaves the rest, charts and cards' text, to the next
// frames. Pure but for the clock.

/**
 * POINT_MS: the rasterising a drawn point costs, ms: about what headless
 * Chromium on a shared 2-core machine took (a commit of two such charts,
 * 18,000 points, 45 ms of CPU): a frame draws one chart of 9,000 points,
 * or a dozen of the 1-minute window's 600.
 */
export const POINT_MS = 0.003;

/**
 * @typedef {(() => boolean) & {drew: (points: number) => void}} Due
 * A frame's due(): true once its time is up, counting drew(n): a chart's
 * n points drawn, at POINT_MS each.
 */

/**
 * frameBudget is a frame's due(): whether ms have passed since it was
 * made (by now, in ms), the points drawn (drew) counted in.
 * @param {() => number} now
 * @param {number} ms
 * @returns {Due}
 */
export function frameBudget(now, ms) {
  let end = now() + ms;
  const due = /** @type {Due} */ (() => now() > end);
  due.drew = (n) => {
    end -= n * POINT_MS;
  };
  return due;
}
