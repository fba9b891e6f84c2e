import { test } from "node:test";
import assert from "node:assert/strict";
import { sourceHealth } from "../js/sources.js";
import { Store } from "../js/store.js";
import { overview } from "../js/summary.js";

const T0 = 1_700_000_000_000;

// The demo's flaky source: polled every second, a lone failed poll now and then.
const flaky = (polls, failures, up) => ({ name: "flaky", type: "simulated", state: "running", up, restarts: 0, polls, failures, last_success: T0 });
const delta = (seq, src) => ({ type: "delta", seq, ts: T0 + seq * 1000, points: {}, windows: {}, sources: [src], added: [], removed: [] });

function shown(store) {
  const src = store.sources.get("flaky");
  const node = store.tree().children.find((c) => c.name === "collectors").children.find((c) => c.name === "flaky");
  return { badge: sourceHealth(src).badge, node: node.state, overview: overview(store, { connected: true, series: 0 }).summary };
}

test("a lone failed poll does not show the source down (badge, tree node, overview); two in a row do", () => {
  const s = new Store();
  s.snapshot({ type: "snapshot", seq: 1, ts: T0, series: [], sources: [flaky(10, 1, true)] });
  assert.equal(shown(s).badge, "running");

  s.delta(delta(2, flaky(11, 2, false)));
  assert.deepEqual(shown(s), { badge: "running", node: "running", overview: "1 source: 1 running" }, "one failure: no flicker");
  s.delta(delta(3, flaky(12, 2, true)));
  assert.equal(shown(s).badge, "running");

  s.delta(delta(4, flaky(13, 3, false)));
  assert.equal(shown(s).badge, "running");
  s.delta(delta(5, flaky(14, 4, false)));
  assert.deepEqual(shown(s), { badge: "down", node: "down", overview: "1 source: 1 down" }, "two in a row: down");
  s.delta(delta(6, flaky(15, 5, false)));
  assert.equal(shown(s).badge, "down");
  s.delta(delta(7, flaky(16, 5, true)));
  assert.equal(shown(s).badge, "running", "a good poll: up again");
});

test("a source first seen failing is shown down, as the server tells it: the page cannot count its run", () => {
  const s = new Store();
  s.snapshot({ type: "snapshot", seq: 1, ts: T0, series: [], sources: [flaky(10, 9, false)] });
  assert.equal(shown(s).badge, "down");
  // A resync keeps the count: the snapshot's source after a lone failure seen live.
  s.delta(delta(2, flaky(11, 9, true)));
  s.snapshot({ type: "snapshot", seq: 3, ts: T0 + 3000, series: [], sources: [flaky(12, 10, false)] });
  assert.equal(shown(s).badge, "running");
});
