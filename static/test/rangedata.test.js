import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../js/ring.js";
import { breakGaps, counterRates, firstSample, gapSpan, mergeLive, rangeStats, rangeTable, readPoints, ringColumns } from "../js/rangedata.js";
import { bandLayout, bandSeries, isBandSeries, maxIndex, minIndex } from "../js/bands.js";

// A history range's points: the answer read, carried on by the stream's
// points, made a counter's rate, cut for a chart, summed up for a card;
// and the band layout a chart draws them in.

const ring = (points) => {
  const r = new Ring();
  r.pushAll(points);
  return r;
};

test("an answer's points are read as columns, [t, v] as a step of one value, nulls as gaps", () => {
  const c = readPoints([[1000, 2, 1, 3], [2000, 5], [1500, 9], "x", [3000, null, null, null], [4000, 1, 2], [5000, "7", 7, 7]]);
  assert.deepEqual(c, { t: [1000, 2000, 3000, 5000], mean: [2, 5, null, 7], min: [1, 5, null, 7], max: [3, 5, null, 7], inc: [null, null, null, null], n: [null, null, null, null] });
  assert.deepEqual(readPoints(undefined), { t: [], mean: [], min: [], max: [], inc: [], n: [] });
});

test("the stream's points carry an answer on, cut to its step, its last step made again when the stream holds it", () => {
  const answer = readPoints([[0, 1, 0, 2], [60_000, 4, 3, 5]]);
  // The stream holds from 50 s on: all of the answer's last step.
  const merged = mergeLive(answer, ring([[50_000, 9], [61_000, 10], [100_000, 20], [125_000, 30]]), 60_000);
  assert.deepEqual(merged.t, [0, 60_000, 120_000]);
  assert.deepEqual(merged.mean, [1, 15, 30]);
  assert.deepEqual(merged.min, [0, 10, 30]);
  assert.deepEqual(merged.max, [2, 20, 30]);
  assert.deepEqual(answer.t, [0, 60_000], "the answer is not changed");

  // The stream starts inside the step after the answer: the answer stays whole.
  const after = mergeLive(answer, ring([[130_000, 1], [140_000, 3]]), 60_000);
  assert.deepEqual(after.t, [0, 60_000, 120_000]);
  assert.deepEqual(after.mean, [1, 4, 2]);

  // A hole between the answer and the stream is a gap in the line.
  const hole = mergeLive(answer, ring([[300_000, 1]]), 60_000);
  assert.deepEqual(hole.t, [0, 60_000, 120_000, 300_000]);
  assert.deepEqual(hole.mean, [1, 4, null, 1]);

  // A null in the stream is a gap too; an answer without points starts on the stream's own grid.
  const fresh = mergeLive(readPoints([]), ring([[61_000, null], [125_000, 3]]), 60_000);
  assert.deepEqual(fresh.t, [60_000, 120_000]);
  assert.deepEqual(fresh.mean, [null, 3]);
});

test("raw samples are followed by the stream's newer points as they are", () => {
  const merged = mergeLive(readPoints([[1000, 1], [2000, 2]]), ring([[1000, 1], [2000, 2], [3000, 3]]), 0);
  assert.deepEqual(merged, { t: [1000, 2000, 3000], mean: [1, 2, 3], min: [1, 2, 3], max: [1, 2, 3], inc: [null, null, null], n: [null, null, null] });
  const same = readPoints([[1000, 1]]);
  assert.equal(mergeLive(same, ring([]), 0), same, "nothing to add");
});

test("a missing step is a break in a stepped line, the stream's steps after the answer included", () => {
  // The server was down from 3 min to 8 min: steps 4 to 7 are missing.
  const answer = readPoints([[0, 1], [60_000, 2], [120_000, 3, 2, 4], [180_000, 4], [480_000, 5], [540_000, 6]]);
  const c = breakGaps(answer, 60_000);
  assert.deepEqual(c.t, [0, 60_000, 120_000, 180_000, 240_000, 480_000, 540_000]);
  assert.deepEqual(c.mean, [1, 2, 3, 4, null, 5, 6]);
  assert.deepEqual(c.min, [1, 2, 2, 4, null, 5, 6]);
  assert.deepEqual(answer.t.length, 6, "the answer is not changed");
  const whole = readPoints([[0, 1], [60_000, 2], [120_000, 3]]);
  assert.equal(breakGaps(whole, 60_000), whole, "nothing missing, nothing changed");

  // The stream carries the answer on past a stretch it has no points for.
  const live = breakGaps(mergeLive(whole, ring([[120_000, 3], [125_000, 4], [185_000, 5], [500_000, 6], [560_000, 7]]), 60_000), 60_000);
  assert.deepEqual(live.t, [0, 60_000, 120_000, 180_000, 240_000, 480_000, 540_000]);
  assert.deepEqual(live.mean, [1, 2, 3.5, 5, null, 6, 7]);

  // A source polled less often than the step misses steps all the time: it breaks as raw samples do.
  const sparse = readPoints([[0, 1], [120_000, 2], [240_000, 3], [360_000, 4], [1_200_000, 5]]);
  assert.equal(gapSpan(sparse, 60_000), 300_000);
  assert.deepEqual(breakGaps(sparse, 60_000).mean, [1, 2, 3, 4, null, 5]);
});

test("raw samples break where they are more than 2.5 times their median spacing apart, and 2 s over it", () => {
  const pts = [];
  for (let t = 0; t <= 60_000; t += 5000) pts.push([t, t / 1000]);
  for (let t = 360_000; t <= 400_000; t += 5000) pts.push([t + (t % 10_000 ? 700 : 0), t / 1000]); // jittered
  const c = readPoints(pts);
  assert.equal(gapSpan(c, 0), 12_500);
  const b = breakGaps(c, 0);
  assert.equal(b.t.length, c.t.length + 1);
  const i = b.mean.indexOf(null);
  assert.deepEqual([b.t[i - 1], b.t[i], b.t[i + 1]], [60_000, 60_001, 360_000]);
  assert.equal(b.mean.filter((v) => v === null).length, 1, "jitter is no gap");

  // Samples 100 ms apart: a stall of 1.5 s is not a break (2.1 s at least); one of 3 s is.
  const fast = readPoints([[0, 1], [100, 2], [200, 3], [1700, 4], [1800, 5], [4800, 6], [4900, 7]]);
  assert.deepEqual(breakGaps(fast, 0).mean, [1, 2, 3, 4, 5, null, 6, 7]);

  // A null already there is the break; too few points tell no spacing.
  const gapped = readPoints([[0, 1], [1000, 2], [2000, 3], [60_000, null], [90_000, 4], [91_000, 5]]);
  assert.equal(breakGaps(gapped, 0), gapped);
  const two = readPoints([[0, 1], [600_000, 2]]);
  assert.equal(breakGaps(two, 0), two);
});

test("a counter's steps become its rate, a reset and a gap null", () => {
  const c = readPoints([[0, 5, 0, 10], [10_000, 15, 10, 20], [20_000, 2, 1, 3], [30_000, null], [40_000, 13, 13, 13]]);
  const r = counterRates(c);
  assert.deepEqual(r.mean, [null, 1, null, null, null]);
  assert.deepEqual(r.min, r.mean, "a rate has no band");
  assert.deepEqual(r.max, r.mean);

  // A counter that stood still, then reset within a step: the step's max is
  // the value before the reset, its min below it. A reset, not 0/s.
  const still = counterRates(readPoints([[0, 50, 50, 50], [10_000, 50, 50, 50], [20_000, 30, 2, 50], [30_000, 8, 6, 10]]));
  assert.deepEqual(still.mean, [null, 0, null, null]);
});

test("a chart's table starts with the point before its range, times in seconds", () => {
  const c = readPoints([[1000, 1], [2000, 2, 1, 3], [3000, 3]]);
  assert.deepEqual(rangeTable(c, 2500), [[2, 3], [2, 3], [1, 3], [3, 3]]);
  assert.deepEqual(rangeTable(c, 0), [[1, 2, 3], [1, 2, 3], [1, 1, 3], [1, 3, 3]]);
});

test("a card's statistics over a range come from the points within it", () => {
  const c = readPoints([[1000, 100], [2000, 2, 1, 3], [3000, 4, 0, 8], [4000, null], [5000, 6], [9000, -50]]);
  assert.deepEqual(rangeStats(c, 1500, 5000, false), { count: 3, min: 0, max: 8, mean: 4, samples: null, first: 2000, last: 6, lastAt: 5000 });
  assert.deepEqual(rangeStats(c, 20_000, 30_000, false), { count: 0, min: null, max: null, mean: null, samples: null, first: 0, last: null, lastAt: 0 });

  // A counter: 10 → 30 → (reset) 5 → 15 over 30 s: an increase of 20 + 5 + 10.
  const k = readPoints([[0, 5, 0, 10], [10_000, 25, 20, 30], [20_000, 3, 1, 5], [30_000, 15]]);
  const s = rangeStats(k, 0, 30_000, true);
  assert.equal(s.increase, 35);
  assert.equal(s.rate, 35 / 30);
  assert.deepEqual([s.last, s.lastAt], [15, 30_000], "a counter's last is its count");
  assert.deepEqual([rangeStats(k, 0, 15_000, true).last, rangeStats(k, 0, 15_000, true).lastAt], [30, 10_000], "its step's highest");
  assert.equal(rangeStats(k, 0, 5000, true).rate, null, "one point makes no rate");
});

test("the stream's points within a span, as columns, the rest of the ring left alone", () => {
  const r = ring([[1000, 1], [2000, 2], [3000, null], [4000, 4], [5000, 5]]);
  assert.deepEqual(ringColumns(r, 1500, 4000), { t: [2000, 3000, 4000], mean: [2, null, 4], min: [2, null, 4], max: [2, null, 4], inc: [null, null, null], n: [null, null, null] });
  assert.deepEqual(ringColumns(r, 6000, 9000).t, []);
  assert.deepEqual(ringColumns(null, 0, 1).t, []);
  assert.deepEqual(rangeStats(ringColumns(r, 1500, 4000), 1500, 4000, false).last, 4);
});

test("bands: the means first, as without bands, then each line's min and max, each band between its line's max and min", () => {
  const joined = [[1, 2], ["m0"], ["lo0"], ["hi0"], ["m1"], ["lo1"], ["hi1"]];
  assert.deepEqual(bandLayout(joined, 2), [[1, 2], ["m0"], ["m1"], ["lo0"], ["hi0"], ["lo1"], ["hi1"]]);
  assert.equal(minIndex(2, 1), 5);
  assert.equal(maxIndex(2, 1), 6);
  assert.equal(isBandSeries(2, 2), false);
  assert.equal(isBandSeries(2, 3), true);
  const { series, bands } = bandSeries(
    [
      { name: "a", hidden: false },
      { name: "b", hidden: true },
    ],
    (i) => `fill${i}`,
  );
  assert.deepEqual(
    series.map((s) => [s.label, s.show]),
    [
      ["a min", true],
      ["a max", true],
      ["b min", false],
      ["b max", false],
    ],
  );
  assert.deepEqual(bands, [
    { series: [4, 3], fill: "fill0" },
    { series: [6, 5], fill: "fill1" },
  ]);
});

test("a counter's rate over a range is over the time its points cover: a week's range over two stretches of data", () => {
  // A counter at 1/s, minute steps: two hours five days ago, the server
  // down since, and the last two hours. Over the 7d range its mean rate is
  // 1/s (not its increase spread over the five days between), and its
  // headline the latest rate in the range.
  const MIN = 60_000;
  const now = 10 * 86_400_000;
  const pts = [];
  let v = 0;
  for (let t = now - 5 * 86_400_000; t < now - 5 * 86_400_000 + 120 * MIN; t += MIN) pts.push([t, (v += 60)]);
  for (let t = now - 120 * MIN; t <= now; t += MIN) pts.push([t, (v += 60)]);
  const c = breakGaps(readPoints(pts), MIN);
  const s = rangeStats(c, now - 7 * 86_400_000, now, true, gapSpan(c, MIN));
  assert.equal(s.rate, 1);
  assert.equal(s.latestRate, 1);
  assert.equal(s.increase, (119 + 120) * 60, "no increase over the stretch without data");
  assert.equal(s.resetAt, 0);
  assert.equal(s.first, now - 5 * 86_400_000, "the statistics start there (the card says since when)");

  // The counter started again from 0 after the outage: its total counts from then.
  const r = readPoints([[0, 500], [MIN, 560], [10 * MIN, 60], [11 * MIN, 120]]);
  const rs = rangeStats(r, 0, 11 * MIN, true, MIN);
  assert.equal(rs.resetAt, 10 * MIN);
  assert.equal(rs.rate, 1, "60 + 60 over two minutes with data");
});

test("a counter's rate over stored steps is each step's increase over the time its samples cover: a restart is no dip, the step filling now no drop", () => {
  // 120/s, one sample a second; the server down from 70 s to 100 s, the
  // counter starting again from 0 (its first sample after: 120).
  const answer = readPoints([
    [0, 3600, 120, 7200, 7200, 60],
    [60_000, 5000, 120, 8400, 3600, 30], // 60–69 s, then 100–119 s: its max is the run before's
    [120_000, 6000, 2520, 9600, 7200, 60],
  ]);
  assert.deepEqual([answer.inc, answer.n], [[7200, 3600, 7200], [60, 30, 60]]);
  // The stream: the run since the restart, 100 s to 190 s.
  const pts = [];
  for (let t = 100_000; t <= 190_000; t += 1000) pts.push([t, (t - 99_000) * 0.12]);
  const cols = breakGaps(mergeLive(answer, ring(pts), 60_000), 60_000);
  assert.deepEqual(cols.t, [0, 60_000, 120_000, 180_000]);
  assert.deepEqual(cols.n, [60, 30, 60, 11], "the step filling now: from the stream, its increases counted");
  const rates = counterRates(cols, 1000);
  assert.deepEqual(rates.mean.map((r) => Math.round(r)), [120, 120, 120, 120], "no dip at the restart, no drop in the step filling");
  const s = rangeStats(cols, 0, 190_000, true, gapSpan(cols, 60_000), 1000);
  assert.equal(Math.round(s.rate), 120, "the mean rate over the time with data, the downtime left out");
  assert.equal(s.increase, 7200 + 3600 + 7200 + 11 * 120);
  assert.equal(Math.round(s.latestRate), 120, "the headline: the latest step's rate");

  // Without the spacing known, the rate is taken from one value to the next, as before.
  assert.equal(counterRates(cols).mean[0], null);

  // Over 7 days, the hours the server ran: each its own rate, although alone.
  const hours = readPoints([[0, 5000, 0, 144_000, 144_000, 1200]]);
  assert.deepEqual(counterRates(hours, 1000).mean, [120], "one hour point is a rate");
  const h = rangeStats(hours, 0, 3_600_000, true, gapSpan(hours, 3_600_000), 1000);
  assert.deepEqual([h.increase, h.rate], [144_000, 120]);
  assert.deepEqual(readPoints([[0, 1, 0, 2, 5, 0]]).n, [null], "n 0: no increase");
});

test("a line's spacing is its stream's newest points' median interval", async () => {
  const { lineSpacing } = await import("../js/rangedata.js");
  assert.equal(lineSpacing({ ring: ring([[0, 1], [1000, 2], [2000, 3], [5000, null], [6000, 1], [7000, 2]]) }), 1000);
  assert.equal(lineSpacing({ ring: ring([[0, 1]]) }), 0, "unknown");
  assert.equal(lineSpacing({ ring: null }), 0);
});

test("a range's data starts at its first sample, not at its first step's start, when the stream holds that sample", () => {
  const step = 6 * 3_600_000;
  const bucket = Date.UTC(2026, 10, 30, 12);
  const since = Date.UTC(2026, 10, 30, 13, 16, 11);
  assert.equal(firstSample(bucket, step, since), since, "30d: the 12:00 step holds the samples from 13:16:11");
  assert.equal(firstSample(bucket, step, bucket + step + 1), bucket, "the stream's first is in a later step: the step's start, as near as known");
  assert.equal(firstSample(bucket, step, bucket - 1), bucket, "the stream's first before the range's: the range's first point");
  assert.equal(firstSample(bucket, 0, since), bucket, "raw samples: the first point is the first sample");
  assert.equal(firstSample(bucket, step, 0), bucket, "nothing in the stream");
  assert.equal(firstSample(0, step, since), 0, "no point in the range");
});
