import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, checkSequence } from "../js/protocol.js";

test("a snapshot always applies, whatever came before", () => {
  assert.equal(checkSequence(null, { type: "snapshot", seq: 5 }), "apply");
  assert.equal(checkSequence(100, { type: "snapshot", seq: 3 }), "apply"); // a restarted server
});

test("the delta after the last one applies", () => {
  assert.equal(checkSequence(7, { type: "delta", seq: 8 }), "apply");
  // A merge of 8..12 for a slow client says from 8.
  assert.equal(checkSequence(7, { type: "delta", seq: 12, from: 8 }), "apply");
});

test("a delta after a loss is a gap", () => {
  assert.equal(checkSequence(7, { type: "delta", seq: 9 }), "gap");
  assert.equal(checkSequence(7, { type: "delta", seq: 12, from: 9 }), "gap");
  assert.equal(checkSequence(7, { type: "delta", seq: 12, from: 7 }), "gap"); // overlaps: not ours to merge
  assert.equal(checkSequence(null, { type: "delta", seq: 1 }), "gap"); // no snapshot yet
  assert.equal(checkSequence(7, { type: "delta" }), "gap");
});

test("a delta already applied is skipped", () => {
  assert.equal(checkSequence(7, { type: "delta", seq: 7 }), "skip");
  assert.equal(checkSequence(7, { type: "delta", seq: 3 }), "skip");
});

test("messages without a sequence apply", () => {
  assert.equal(checkSequence(null, { type: "hello" }), "apply");
  assert.equal(checkSequence(3, { type: "other" }), "apply");
});

test("backoff doubles from base, is capped, and jitters in its upper half", () => {
  const lo = { base: 500, cap: 10000, random: () => 0 };
  const hi = { base: 500, cap: 10000, random: () => 1 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, hi)),
    [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000],
  );
  assert.deepEqual(
    [0, 1, 2, 5].map((n) => backoffDelay(n, lo)),
    [250, 500, 1000, 5000],
  );
  const mid = backoffDelay(2, { base: 500, cap: 10000, random: () => 0.5 });
  assert.equal(mid, 1500);
  assert.equal(backoffDelay(-3, hi), 500);
});

test("backoff with Math.random stays within its bounds", () => {
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3);
    assert.ok(d >= 2000 && d <= 4000, String(d));
  }
});
