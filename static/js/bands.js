// A chart of history drawn as bands: each line's mean, with its min and
// max as a faint band around it (uPlot's bands), so that a spike the
// steps average away still shows. Pure: the data's layout and the extra
// series and bands for uPlot's options; charts.js draws them.
//
// Layout: the lines' means first, in the card's order, as in a chart
// without bands (so that the cursor, the tooltip and the hover read the
// same columns), then each line's min and max:
//
//	[times, mean_0 … mean_n-1, min_0, max_0, … min_n-1, max_n-1]

/**
 * bandLayout reorders aligned tables, [times, mean_0, min_0, max_0,
 * mean_1, …] (uPlot.join of one [times, mean, min, max] table per line),
 * into the band layout above.
 * @param {any[][]} joined
 * @param {number} n the number of lines
 */
export function bandLayout(joined, n) {
  const out = [joined[0]];
  for (let i = 0; i < n; i++) out.push(joined[1 + 3 * i]);
  for (let i = 0; i < n; i++) out.push(joined[2 + 3 * i], joined[3 + 3 * i]);
  return out;
}

/** minIndex and maxIndex are the uPlot series index of line i's min and max, of n lines. */
export const minIndex = (n, i) => n + 1 + 2 * i;
export const maxIndex = (n, i) => n + 2 + 2 * i;

/** isBandSeries says whether uPlot series si (of a chart of n lines with bands) is a min or a max. */
export function isBandSeries(n, si) {
  return si > n;
}

/**
 * bandSeries are the uPlot series and bands of n lines' min and max: the
 * series are drawn as nothing themselves (the band between them is what
 * shows), shown while their line is; each band is filled with its line's
 * colour, faintly.
 * @param {{name: string, hidden: boolean}[]} lines
 * @param {(i: number) => string} fill the band's fill of line i
 * @returns {{series: object[], bands: {series: [number, number], fill: string}[]}}
 */
export function bandSeries(lines, fill) {
  const n = lines.length;
  const series = [];
  const bands = [];
  lines.forEach((l, i) => {
    for (const what of ["min", "max"]) {
      series.push({ label: `${l.name || "value"} ${what}`, show: !l.hidden, stroke: "transparent", width: 0, points: { show: false }, spanGaps: false });
    }
    bands.push({ series: [maxIndex(n, i), minIndex(n, i)], fill: fill(i) });
  });
  return { series, bands };
}
