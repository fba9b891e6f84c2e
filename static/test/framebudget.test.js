import { test } from "node:test";
import assert from "node:assert/strict";
import { frameBudget, POINT_MS } from "../js/framebudget.js";

test("a frame's due counts its time, and the points its charts drew at POINT_MS each", () => {
  let now = 100;
  const due = frameBudget(() => now, 30);
  assert.equal(due(), false);
  now = 120;
  assert.equal(due(), false);
  // A chart of ten lines of 900 points: its rasterising, after the script, spends the rest.
  due.drew(9000);
  assert.equal(9000 * POINT_MS > 10, true);
  assert.equal(due(), true);
});

test("a frame of small charts keeps its time for the script", () => {
  let now = 0;
  const due = frameBudget(() => now, 30);
  for (let i = 0; i < 5; i++) due.drew(600); // the 1m window: ten lines of 60 points
  now = 18;
  assert.equal(due(), false);
  now = 31;
  assert.equal(due(), true);
});
