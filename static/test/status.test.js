import { test } from "node:test";
import assert from "node:assert/strict";
import { statusText } from "../js/status.js";
import { formatClock, formatSpan } from "../js/format.js";

test("the header says live, reconnecting in Ns, or stale since", () => {
  assert.equal(statusText(null, 0), "connecting…");
  assert.equal(statusText({ state: "live", retryAt: null, staleSince: null }, 0), "live");
  assert.equal(statusText({ state: "reconnecting", retryAt: 3200, staleSince: 100 }, 1000), "reconnecting in 3s");
  assert.equal(statusText({ state: "reconnecting", retryAt: 1000, staleSince: 100 }, 1000), `stale since ${formatClock(100)}`);
  assert.equal(statusText({ state: "reconnecting", retryAt: null, staleSince: null }, 1000), "reconnecting…");
  assert.equal(statusText({ state: "connecting", retryAt: 5000, staleSince: null }, 1000), "connecting… retry in 4s");
  assert.equal(statusText({ state: "connecting", retryAt: null, staleSince: null }, 1000), "connecting…");
});

test("connected but showing a span of the past, the header says history and up to when", () => {
  const now = new Date(2024, 0, 2, 15, 0, 0).getTime();
  const live = { state: "live", retryAt: null, staleSince: null };
  assert.equal(statusText(live, now, 0), "live");
  assert.equal(statusText(live, now, now - 60_000), `history to ${formatClock(now - 60_000)}`);
  assert.equal(statusText(live, now, new Date(2023, 11, 30, 9, 5).getTime()), "history to 2023-12-30 09:05", "another day: its date");
  assert.equal(statusText({ state: "reconnecting", retryAt: 3200, staleSince: 100 }, 1000, 500), "reconnecting in 3s", "the connection first");
});

test("held to a zoom or a custom range, the pill names the span: it is the way back to live, no second control", () => {
  const now = new Date(2024, 0, 2, 15, 0, 0).getTime();
  const live = { state: "live", retryAt: null, staleSince: null };
  const span = [now - 300_000, now - 60_000];
  assert.equal(statusText(live, now, now - 60_000, span), formatSpan(span[0], span[1]));
  assert.equal(statusText(live, now, 0, [now - 300_000, now]), formatSpan(now - 300_000, now), "a zoom up to now is held too");
  assert.equal(statusText({ state: "reconnecting", retryAt: 3200, staleSince: 100 }, 1000, 500, span), "reconnecting in 3s", "the connection first");
});

test("paused, the pill says so and how many updates wait; a lost connection comes first", () => {
  const live = { state: "live", retryAt: null, staleSince: null };
  assert.equal(statusText(live, 1000, 0, null, 12), "paused · 12 waiting");
  assert.equal(statusText(live, 1000, 0, [0, 500], 0), "paused · 0 waiting", "over a zoom too");
  assert.equal(statusText(live, 1000, 0, null, -1), "live", "not paused");
  assert.equal(statusText({ state: "reconnecting", retryAt: 3200, staleSince: 100 }, 1000, 0, null, 12), "reconnecting in 3s");
});
