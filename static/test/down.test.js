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

// flaky's series, and a delta of its poll: the source, and the series' staleness.
const withSeries = (ts) => ({ type: "snapshot", seq: 1, ts, sources: [flaky(10, 1, true)],
  series: [{ id: "lag", source: "flaky", metric: "replication_lag_seconds", labels: {}, kind: "gauge", points: [[ts - 1000, 3], [ts, 4]] }] });
const poll = (seq, src, stale, points = {}) => ({ ...delta(seq, src), points, stale });

test("a lone failed poll breaks the series' line but never marks its card stale; its source shown down does", () => {
  const s = new Store();
  s.snapshot(withSeries(T0 + 1000));
  const st = s.series.get("lag");
  const lone = s.delta(poll(2, flaky(11, 2, false), { lag: T0 + 2000 }));
  assert.equal(st.staleSince, 0, "the card is not told: no flicker");
  assert.ok(lone.points.has("lag"), "its chart is redrawn: the line breaks");
  assert.equal(st.ring.valueAt(st.ring.length - 1), null);
  const back = s.delta(poll(3, flaky(12, 2, true), { lag: 0 }, { lag: [[T0 + 3000, 5]] }));
  assert.equal(st.staleSince, 0);
  assert.equal(back.stale.size, 0, "never shown stale, nothing to undo");

  s.delta(poll(4, flaky(13, 3, false), { lag: T0 + 4000 }));
  assert.equal(st.staleSince, 0);
  const run = s.delta(poll(5, flaky(14, 4, false), {}));
  assert.equal(st.staleSince, T0 + 4000, "two failed polls in a row: the source is down and its series stale, since the first");
  assert.deepEqual([...run.stale], ["lag"]);
});

test("a series stale past STALE_HOLD_MS is marked so, whatever its source says (a series gone from a complete poll)", async () => {
  const { STALE_HOLD_MS } = await import("../js/down.js");
  const s = new Store();
  s.snapshot(withSeries(T0 + 1000));
  s.delta(poll(2, flaky(11, 1, true), { lag: T0 + 2000 }));
  assert.equal(s.series.get("lag").staleSince, 0);
  s.delta({ ...poll(3, flaky(12, 1, true), {}), ts: T0 + 2000 + STALE_HOLD_MS });
  assert.equal(s.series.get("lag").staleSince, T0 + 2000);
});

test("a recovery after failed polls is not a ramp: the first point after them starts a line of its own", () => {
  const s = new Store();
  const web = (polls, failures, up) => ({ ...flaky(polls, failures, up), name: "web", type: "http" });
  s.snapshot({ type: "snapshot", seq: 1, ts: T0, sources: [web(5, 0, true)],
    series: [{ id: "up", source: "web", metric: "http_up", labels: {}, kind: "gauge", points: [[T0 - 1000, 1], [T0, 1]] }] });
  // The probe fails: http_up 0, at polls spaced out by their backoff (1, 2, 4 s).
  s.delta({ ...poll(2, web(6, 1, false), undefined, { up: [[T0 + 1000, 0]] }), ts: T0 + 1000 });
  s.delta({ ...poll(3, web(7, 2, false), undefined, { up: [[T0 + 3000, 0]] }), ts: T0 + 3000 });
  s.delta({ ...poll(4, web(8, 3, false), undefined, { up: [[T0 + 7000, 0]] }), ts: T0 + 7000 });
  // Up again 8 s later.
  s.delta({ ...poll(5, web(9, 3, true), undefined, { up: [[T0 + 15000, 1]] }), ts: T0 + 15000 });
  const [xs, ys] = s.series.get("up").ring.series();
  assert.deepEqual(ys, [1, 1, 0, 0, 0, null, 1], "the failed polls' values kept, a break before the recovery");
  assert.equal(xs[5], (T0 + 14999) / 1000);
});
