import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeTimes, readColumns, restartBreak } from "../js/columns.js";
import { Ring } from "../js/ring.js";
import { Store } from "../js/store.js";

test("decodeTimes reads steps and runs of the last step", () => {
  assert.deepEqual([...decodeTimes([0, 10, -2, 15, -2, 1, 4, 0], 10)], [0, 10, 20, 30, 45, 60, 75, 76, 80, 80]);
  assert.deepEqual([...decodeTimes([1_700_000_000_000, 1000, -898], 900)].slice(-2), [1_700_000_898_000, 1_700_000_899_000]);
  assert.deepEqual([...decodeTimes([5], 1)], [5]);
  assert.deepEqual([...decodeTimes([], 0)], []);
});

test("decodeTimes refuses times that do not match the values", () => {
  assert.equal(decodeTimes([0, 10], 3), null, "too few");
  assert.equal(decodeTimes([0, 10, -5], 3), null, "too many");
  assert.equal(decodeTimes([0, -2], 3), null, "a run before any step");
  assert.equal(decodeTimes([0, 1.5], 2), null, "not an integer");
  assert.equal(decodeTimes([0, "1"], 2), null, "not a number");
  assert.equal(decodeTimes([], 1), null);
  assert.equal(decodeTimes(null, 0), null);
  assert.equal(decodeTimes(["x"], 1), null);
  // A huge run is refused before it is expanded.
  assert.equal(decodeTimes([0, 1, -1e12], 3), null);
});

test("readColumns: none, the columns, or empty ones when malformed", () => {
  assert.equal(readColumns({ points: [[1, 2]] }), null);
  const c = readColumns({ times: [1000, 1000], values: [1, null] });
  assert.deepEqual([...c.times], [1000, 2000]);
  assert.deepEqual(c.values, [1, null]);
  const bad = readColumns({ times: [1000], values: [1, 2] });
  assert.equal(bad.times.length, 0);
  assert.deepEqual(bad.values, []);
  assert.equal(readColumns({ times: [1000], values: "x" }).times.length, 0);
});

test("restartBreak finds where the server restarted, once", () => {
  const cols = { times: Float64Array.from([4000, 5000, 10_500]), values: [1, 2, 3] };
  assert.equal(restartBreak(cols, 10_000), 2);
  assert.equal(restartBreak({ times: [4000, 5000, 5001, 10_500], values: [1, 2, null, 3] }, 10_000), -1, "a gap there already");
  assert.equal(restartBreak(cols, 0), -1, "start unknown");
  assert.equal(restartBreak(cols, 1000), -1, "all newer");
  assert.equal(restartBreak(cols, 20_000), -1, "all older");
});

test("Ring.replaceColumns is replace for columns", () => {
  const rows = new Ring();
  const cols = new Ring();
  for (const r of [rows, cols]) for (const t of [1000, 2000, 3000]) r.push(t, t / 1000);
  rows.replace([
    [2500, 20],
    [3500, null],
    [3500, 35],
  ]);
  cols.replaceColumns(Float64Array.from([2500, 3500, 3500]), [20, null, 35]);
  const all = (r) => Array.from({ length: r.length }, (_, i) => [r.timeAt(i), r.valueAt(i)]);
  assert.deepEqual(all(cols), all(rows));
  assert.deepEqual(all(cols), [
    [1000, 1],
    [2000, 2],
    [2001, null],
    [2500, 20],
    [3500, 35],
  ]);
  const broken = new Ring();
  broken.replaceColumns(Float64Array.from([1000, 2000, 9000]), [1, 2, 9], 2);
  assert.deepEqual(all(broken), [
    [1000, 1],
    [2000, 2],
    [2001, null],
    [9000, 9],
  ]);
  const big = new Ring(100);
  big.replaceColumns(Float64Array.from({ length: 150 }, (_, i) => i), Array.from({ length: 150 }, (_, i) => i));
  assert.equal(big.length, 100, "capped");
  assert.equal(big.timeAt(0), 50);
});

test("a snapshot in columns is held as the same points", () => {
  const win = { "1m": { count: 1, min: 1, max: 1, mean: 1, last: 1, rate: null, p50: 1, p90: 1, p99: 1 } };
  const meta = { source: "demo", metric: "m", labels: {}, kind: "gauge", last: [11_000, 4], windows: win };
  const rows = new Store();
  const cols = new Store();
  for (const s of [rows, cols]) s.hello({ type: "hello", version: "1", windows: ["1m"], history_seconds: 60, started: 10_000 });
  rows.snapshot({ type: "snapshot", seq: 1, ts: 12_000, sources: [], series: [{ id: "a", ...meta, points: [[4000, 1], [5000, 2], [10_500, 3], [11_000, 4]] }, { id: "b", ...meta, points: [] }] });
  const ch = cols.snapshot({
    type: "snapshot",
    seq: 1,
    ts: 12_000,
    sources: [],
    series: [
      { id: "a", ...meta, times: [4000, 1000, 5500, 500], values: [1, 2, 3, 4] },
      { id: "b", ...meta, times: [], values: [] },
    ],
  });
  assert.deepEqual(ch.added, ["a", "b"]);
  const all = (s, id) => {
    const r = s.series.get(id).ring;
    return Array.from({ length: r.length }, (_, i) => [r.timeAt(i), r.valueAt(i)]);
  };
  assert.deepEqual(all(cols, "a"), all(rows, "a"));
  assert.deepEqual(all(cols, "a")[2], [5001, null], "the restart's gap");
  assert.equal(cols.series.get("a").since, 4000);
  assert.equal(cols.series.get("b").since, 12_000, "none yet: from now");
});
