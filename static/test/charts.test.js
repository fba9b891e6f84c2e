import { test } from "node:test";
import assert from "node:assert/strict";
import { padRange } from "../js/charts.js";

test("padRange adds 8% each side and keeps non-negative series above 0", () => {
  assert.deepEqual(padRange(-10, 10), [-11.6, 11.6]);
  assert.deepEqual(padRange(100, 200), [92, 208]);
  assert.deepEqual(padRange(1, 101), [0, 109]);
});

test("padRange widens flat lines, float noise included", () => {
  assert.deepEqual(padRange(50, 50), [45, 55]);
  assert.deepEqual(padRange(50, 50.00000000000002), [45, 55]);
  assert.deepEqual(padRange(0, 0), [0, 1]);
  assert.deepEqual(padRange(-20, -20), [-22, -18]);
});

test("padRange without data", () => {
  assert.deepEqual(padRange(null, null), [0, 1]);
  assert.deepEqual(padRange(NaN, 3), [0, 1]);
});
