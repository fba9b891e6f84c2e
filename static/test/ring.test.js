import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../js/ring.js";

function filled(points, max) {
  const r = new Ring(max);
  r.pushAll(points);
  return r;
}

function all(r) {
  const out = [];
  for (let i = 0; i < r.length; i++) out.push([r.timeAt(i), r.valueAt(i)]);
  return out;
}

test("push keeps points in time order and refuses older ones", () => {
  const r = new Ring();
  assert.equal(r.push(10, 1), true);
  assert.equal(r.push(20, 2), true);
  assert.equal(r.push(15, 9), false);
  assert.equal(r.push(20, 3), true); // same time: replaces
  assert.equal(r.push(NaN, 1), false);
  assert.deepEqual(all(r), [
    [10, 1],
    [20, 3],
  ]);
});

test("null values are kept as gaps", () => {
  const r = filled([
    [1, 1],
    [2, null],
    [3, 3],
  ]);
  assert.deepEqual(r.series()[1], [1, null, 3]);
});

test("the ring grows, then wraps at its hard cap dropping the oldest", () => {
  const r = new Ring(100);
  for (let i = 0; i < 250; i++) r.push(i, i);
  assert.equal(r.length, 100);
  assert.ok(r.capacity <= 100);
  assert.equal(r.firstTime(), 150);
  assert.equal(r.lastTime(), 249);
  assert.deepEqual(all(r).slice(0, 2), [
    [150, 150],
    [151, 151],
  ]);
});

test("trimBefore drops old points and gives memory back", () => {
  const r = new Ring(100000);
  for (let i = 0; i < 10000; i++) r.push(i, i);
  const big = r.capacity;
  assert.ok(big >= 10000);
  assert.equal(r.trimBefore(9990), 9990);
  assert.equal(r.length, 10);
  assert.equal(r.firstTime(), 9990);
  assert.ok(r.capacity < big / 2, `capacity ${r.capacity} after trim`);
  // Trimming repeatedly as time passes keeps memory flat: a tab open for days.
  let maxCap = 0;
  for (let t = 10000; t < 200000; t++) {
    r.push(t, t);
    r.trimBefore(t - 100);
    maxCap = Math.max(maxCap, r.capacity);
  }
  assert.equal(r.length, 101);
  assert.ok(maxCap <= 256, `capacity grew to ${maxCap}`);
});

test("trimBefore works across the wrap point", () => {
  const r = new Ring(64);
  for (let i = 0; i < 100; i++) r.push(i, i); // wrapped: head is not 0
  r.trimBefore(90);
  assert.deepEqual(
    all(r).map((p) => p[0]),
    [90, 91, 92, 93, 94, 95, 96, 97, 98, 99],
  );
});

test("lowerBound finds the first point at or after t", () => {
  const r = filled([
    [10, 0],
    [20, 0],
    [30, 0],
  ]);
  assert.equal(r.lowerBound(5), 0);
  assert.equal(r.lowerBound(20), 1);
  assert.equal(r.lowerBound(21), 2);
  assert.equal(r.lowerBound(99), 3);
});

test("series returns seconds from `from` on, with the point before", () => {
  const r = filled([
    [1000, 1],
    [2000, 2],
    [3000, 3],
    [4000, 4],
  ]);
  assert.deepEqual(r.series(2500), [
    [2, 3, 4],
    [2, 3, 4],
  ]);
  assert.deepEqual(r.series(), [
    [1, 2, 3, 4],
    [1, 2, 3, 4],
  ]);
  assert.deepEqual(new Ring().series(), [[], []]);
});

test("series as a rate: per second, over the span, null at resets and gaps", () => {
  const r = filled([
    [0, 0],
    [1000, 10],
    [2000, 30],
    [3000, 60],
    [4000, 5], // reset
    [5000, 15],
    [6000, null],
    [7000, 20],
    [8000, 40],
  ]);
  const [, span1] = r.series(-Infinity, 1000);
  assert.deepEqual(span1, [null, 10, 20, 30, null, 10, null, null, 20]);
  const [, span2] = r.series(-Infinity, 2000);
  // Over two seconds where there is room; never across the reset or gap.
  assert.deepEqual(span2, [null, 10, 15, 25, null, 10, null, null, 20]);
});

test("series as a rate looks back before `from`", () => {
  const r = filled([
    [0, 0],
    [1000, 10],
    [2000, 20],
    [3000, 40],
  ]);
  const [xs, ys] = r.series(3000, 2000);
  assert.deepEqual(xs, [2, 3]);
  assert.deepEqual(ys, [10, 15]);
});

test("replace takes a snapshot and keeps older points with a gap", () => {
  const r = filled([
    [1000, 1],
    [2000, 2],
    [3000, 3],
  ]);
  r.replace([
    [2500, 20],
    [3500, 30],
  ]);
  assert.deepEqual(all(r), [
    [1000, 1],
    [2000, 2],
    [2001, null],
    [2500, 20],
    [3500, 30],
  ]);
  // A snapshot that covers everything replaces it all.
  r.replace([
    [500, 5],
    [4000, 40],
  ]);
  assert.deepEqual(all(r), [
    [500, 5],
    [4000, 40],
  ]);
  r.replace([]);
  assert.equal(r.length, 2, "an empty snapshot history keeps what the page has");
});

test("shrinking works from a capacity that is not a power of two", () => {
  const r = new Ring(1000);
  for (let i = 0; i < 1000; i++) r.push(i, i);
  assert.equal(r.capacity, 1000);
  r.trimBefore(990);
  assert.ok(r.capacity >= 64 && r.capacity < 100, `capacity ${r.capacity}`);
  assert.deepEqual(r.series(995)[0].length, 6);
});

test("series breaks where points are further apart than their spacing allows, a snapshot's history as the stream's", () => {
  // Points a second apart, then nothing for 23 s (the server was down), then a second apart again.
  const pts = [];
  for (let t = 0; t <= 5000; t += 1000) pts.push([t, 20 + t / 1000]);
  for (let t = 28_000; t <= 31_000; t += 1000) pts.push([t, 30 + t / 1000]);
  const r = filled(pts);
  const [xs, ys] = r.series();
  const i = ys.indexOf(null);
  // Two nulls, one spacing after the last point and one before the next:
  // a pointer anywhere in the stretch reads no value.
  assert.deepEqual(xs.slice(i - 1, i + 3), [5, 6, 27, 28]);
  assert.deepEqual(ys.slice(i - 1, i + 3), [25, null, null, 58]);
  assert.equal(ys.filter((v) => v === null).length, 2);

  // A counter's rate never spans the stretch either: null after it.
  const c = filled(pts.map(([t, v]) => [t, t]));
  const [, rates] = c.series(-Infinity, 2000);
  assert.deepEqual(rates, [null, 1000, 1000, 1000, 1000, 1000, null, null, null, 1000, 1000, 1000]);

  // Jitter is no gap; nor is a stall of 2.5 s at a 1 s spacing (not 2 s over it).
  const j = filled([[0, 1], [1000, 1], [2300, 1], [3000, 1], [4000, 1], [6500, 1], [7500, 1]]);
  assert.equal(j.series()[1].filter((v) => v === null).length, 0);
  // A null already there is the break; too few points tell no spacing.
  const g = filled([[0, 1], [1000, 2], [2000, 3], [60_000, null], [90_000, 4], [91_000, 5]]);
  assert.deepEqual(g.series()[1], [1, 2, 3, null, 4, 5]);
  assert.deepEqual(filled([[0, 1], [600_000, 2]]).series()[1], [1, 2]);
});

test("series breaks a line drawn from `from` on, at its first stretch in view", () => {
  const pts = [];
  for (let t = 0; t <= 60_000; t += 1000) pts.push([t, 1]);
  pts.push([120_000, 2], [121_000, 2]);
  const [xs, ys] = filled(pts).series(59_500);
  assert.deepEqual(xs, [59, 60, 61, 119, 120, 121]);
  assert.deepEqual(ys, [1, 1, null, null, 2, 2]);
});

test("spacing is remembered until the points change, and follows every change", () => {
  const r = filled([[0, 1], [1000, 1], [2000, 1], [3000, 1]]);
  assert.equal(r.spacing(0), 1000);
  // Asked again of the same points: not computed again.
  let computed = 0;
  const medianSpacing = r.medianSpacing.bind(r);
  r.medianSpacing = (from) => (computed++, medianSpacing(from));
  assert.equal(r.spacing(0), 1000);
  assert.equal(computed, 0);
  // Each change is seen: a push, a value replaced with a gap, a trim, a snapshot, a clear.
  r.push(7000, 1);
  r.push(11000, 1);
  r.push(15000, 1);
  assert.equal(r.spacing(0), 1000 * 4); // steps 1, 1, 1, 4, 4, 4 s: the upper median
  r.push(15000, null);
  assert.equal(r.spacing(0), 1000);
  r.trimBefore(3000);
  assert.equal(r.spacing(0), 4000);
  r.replace([[20000, 1], [20500, 1], [21000, 1]]);
  assert.equal(r.spacing(r.lowerBound(20000)), 500);
  r.clear();
  assert.equal(r.spacing(0), 0);
  assert.equal(computed, 5);
});
