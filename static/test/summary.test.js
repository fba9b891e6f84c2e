import { test } from "node:test";
import assert from "node:assert/strict";
import { overview } from "../js/summary.js";

// The stream panel's figures (summary.js overview).

function storeOf(sources) {
  return { sources: new Map(sources.map((s) => [s.name, s])), pointCount: () => 0 };
}

test("sources up counts what the cards and /metrics call up: a running source whose last poll failed is down", () => {
  const store = storeOf([
    { name: "a", state: "running", up: true, polls: 3 },
    { name: "b", state: "running", up: false, polls: 3 },
    { name: "c", state: "running", up: false, polls: 5 },
    { name: "d", state: "backoff" },
    // Not polled yet: new, not down; a server without "up": running.
    { name: "e", state: "running", up: false, polls: 0 },
    { name: "f", state: "running" },
  ]);
  const ov = overview(store, { connected: true, series: 0, messages: 0 });
  assert.equal(ov.sources, "3/6");
  assert.equal(ov.summary, "6 sources: 3 running, 2 down, 1 backoff");
  assert.equal(overview(store, { connected: false, series: 0, messages: 0 }).sources, "?/6");
});
