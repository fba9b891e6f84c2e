import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../js/ring.js";
import { counterSpan, ringGap } from "../js/counterspan.js";

function ring(pts) {
  const r = new Ring();
  for (const [t, v] of pts) r.push(t, v);
  return r;
}

test("counterSpan leaves a stretch without data out of both the time and the increase", () => {
  // 10/s for 3 s, nothing for 20 s (no null: the points are simply apart), 10/s for 2 s.
  const r = ring([[0, 0], [1000, 10], [2000, 20], [3000, 30], [23_000, 40], [24_000, 50], [25_000, 60]]);
  const cs = counterSpan(r, 0, 25_000, ringGap(r, 0));
  assert.deepEqual([cs.increase, cs.coveredMs, cs.rate], [50, 5000, 10]);
  assert.deepEqual([cs.first, cs.lastAt, cs.last, cs.resetAt], [0, 25_000, 60, 0]);
});

test("counterSpan counts a reset within a stretch as Prometheus does, and says when the count started again", () => {
  const r = ring([[0, 100], [1000, 110], [2000, 5], [3000, 15]]);
  const cs = counterSpan(r, 0, 3000, ringGap(r, 0));
  assert.deepEqual([cs.increase, cs.rate, cs.resetAt], [25, 25 / 3, 2000]);
  // A null point breaks the stretch: the value after it starts anew.
  const g = ring([[0, 100], [1000, 110], [1001, null], [2000, 5], [3000, 15]]);
  const gs = counterSpan(g, 0, 3000, ringGap(g, 0));
  assert.deepEqual([gs.increase, gs.coveredMs, gs.resetAt], [20, 2000, 2000]);
});

test("counterSpan with too little data has no rate", () => {
  assert.equal(counterSpan(null, 0, 1, 1).rate, null);
  const one = ring([[0, 5]]);
  const cs = counterSpan(one, 0, 10, ringGap(one, 0));
  assert.deepEqual([cs.increase, cs.rate, cs.last], [null, null, 5]);
  const r = ring([[0, 1], [5000, 2], [9000, 3]]);
  assert.equal(counterSpan(r, 6000, 8000, 1e9).first, 0, "no point in the span");
});
