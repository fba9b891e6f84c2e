import { test } from "node:test";
import assert from "node:assert/strict";
import { formatClock } from "../js/format.js";
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

test("the summary line names the source that crashed last, and when: a folded tree still answers it", () => {
  const t = Date.UTC(2026, 10, 30, 6, 21, 29);
  const store = storeOf([
    { name: "demo", state: "running", up: true, polls: 3 },
    // Restarted before the page opened: what the source tells.
    { name: "spiky", state: "running", up: true, polls: 3, last_restart_at: t - 60_000 },
    { name: "flaky", state: "running", up: true, polls: 3, last_restart_at: t + 1000 },
  ]);
  const crashes = new Map([["flaky", t]]);
  const o = { connected: true, series: 0, messages: 0, crashAt: (n) => crashes.get(n) || 0, now: t + 8000 };
  assert.equal(overview(store, o).summary, `3 sources: 3 running · last crash flaky ${formatClock(t)} (8s ago)`);
  crashes.clear();
  assert.equal(overview(store, o).summary, `3 sources: 3 running · last restart flaky ${formatClock(t + 1000)} (7s ago)`, "the timeline holds no crash: the latest restart");
  assert.equal(overview(store, { ...o, connected: false }).summary, `3 sources: state unknown (disconnected) · last restart flaky ${formatClock(t + 1000)}`, "no \"ago\" while disconnected");
  assert.equal(overview(storeOf([{ name: "demo", state: "running" }]), o).summary, "1 source: 1 running", "none crashed");
});

test("under a filter the summary line counts the sources it shows, out of all, and says when none matches", () => {
  const store = storeOf([
    { name: "a", state: "running", up: true, polls: 3 },
    { name: "b", state: "running", up: false, polls: 3 },
    { name: "c", state: "backoff" },
  ]);
  const o = { connected: true, series: 0, messages: 0 };
  assert.equal(overview(store, { ...o, shown: new Set(["b"]), filter: "b" }).summary, "1 of 3 sources: 1 down");
  assert.equal(overview(store, { ...o, shown: new Set(["a", "c"]), filter: "x" }).summary, "2 of 3 sources: 1 running, 1 backoff");
  assert.equal(overview(store, { ...o, shown: new Set(), filter: "zzz" }).summary, "No source or metric matches “zzz”.");
  assert.equal(overview(store, { ...o, shown: new Set(), filter: "zzz" }).sources, "1/3", "the stream panel's figures stay the server's");
  assert.equal(overview(store, { ...o, shown: new Set(["a"]), connected: false }).summary, "1 of 3 sources: state unknown (disconnected)");
  assert.equal(overview(store, { ...o, shown: null }).summary, "3 sources: 1 running, 1 down, 1 backoff", "no filter: all");
});
