// When two neighbouring points of a line are too far apart to be joined:
// the one rule of the page for a stretch without data (the server was
// down, the source parked or failing), which a chart draws as a break and
// not as a straight line across. A line's points carry no marker of such
// a stretch (a snapshot's history is only the points there are), so it is
// told by the line's own spacing, as Grafana's "connect null values"
// threshold does: Ring.series for the stream's points, rangedata.js for a
// history range. Pure.

/** A line breaks where its points are more than GAP_FACTOR times its usual spacing apart… */
export const GAP_FACTOR = 2.5;
/** …and more than GAP_SLACK_MS (ms) over it: a source polled every few hundred ms jitters by more than its spacing. */
export const GAP_SLACK_MS = 2000;

/**
 * gapAfter is how far apart (ms) two neighbouring points of a line whose
 * usual spacing is spacing ms may be before the stretch between them is
 * a break; Infinity when the spacing is unknown (0: fewer than two pairs
 * of points).
 * @param {number} spacing
 */
export function gapAfter(spacing) {
  return spacing > 0 ? Math.max(GAP_FACTOR * spacing, spacing + GAP_SLACK_MS) : Infinity;
}

/**
 * medianGap is the median of the time steps given (the upper one of an
 * even count), 0 for none. It sorts dts in place.
 * @param {Float64Array|number[]} dts
 */
export function medianGap(dts) {
  if (!dts.length) return 0;
  // A typed array sorts by number natively: a comparator called from the
  // sort cost 500 lines of 900 points (the 15m window) a third of a tick.
  if (dts instanceof Float64Array) dts.sort();
  else dts.sort((a, b) => a - b);
  return dts[dts.length >> 1];
}
