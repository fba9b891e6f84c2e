import { test } from "node:test";
import assert from "node:assert/strict";
import { BACKOFF_HOLD_MS, StateHold } from "../js/hold.js";
import { T0, harness, live, running } from "./fakes/page.js";

// A backoff held in view (hold.js) and the page that shows it.

test("a backoff stays shown for BACKOFF_HOLD_MS, then what the stream says", () => {
  const hold = new StateHold();
  assert.equal(hold.shown("s", "running", 0), "running");
  assert.equal(hold.shown("s", "backoff", 1000), "backoff");
  assert.equal(hold.shown("s", "running", 1110), "restarted", "a tenth of a second later: still shown, as past: restarted");
  assert.deepEqual(hold.holding(), ["s"]);
  assert.equal(hold.shown("s", "running", 1000 + BACKOFF_HOLD_MS), "running");
  assert.deepEqual(hold.holding(), []);
  // A long backoff has been seen: no hold after it.
  hold.shown("s", "backoff", 10_000);
  assert.equal(hold.shown("s", "running", 10_000 + BACKOFF_HOLD_MS + 1), "running");
  // Parked after the backoff: shown at once.
  hold.shown("s", "backoff", 20_000);
  assert.equal(hold.shown("s", "failed", 20_100), "failed");
  // A second crash after the first's backoff ended is held from its own start.
  hold.shown("s", "backoff", 30_000);
  hold.shown("s", "running", 30_100);
  hold.shown("s", "backoff", 31_900);
  assert.equal(hold.shown("s", "running", 32_000 + BACKOFF_HOLD_MS - 200), "restarted");
});

test("a crash's backoff of a tenth of a second is seen in the group's badge and the tree for two seconds", () => {
  const h = harness();
  const ws = live(h);
  const g = h.groups.get("demo");
  const treeState = () => h.tree.children.find((c) => c.name === "collectors").children.find((c) => c.name === "demo").state;
  const health = () => h.healths.get("demo").updates.at(-1);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 20, sources: [{ ...running("demo"), state: "backoff", restarts: 1 }],
    events: [{ kind: "supervision", ts: T0 + 20, source: "demo", event: "crashed", error: "boom", restarts: 1 }] });
  h.frame();
  assert.equal(g.updates.at(-1).src.state, "backoff");
  assert.equal(health().held, undefined, "a backoff going on is no held one");
  h.clock.advance(111);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 131, sources: [{ ...running("demo"), restarts: 1 }] });
  h.frame();
  assert.equal(g.updates.at(-1).src.state, "restarted", "held in the badge, which says the backoff is past as the line beside it does");
  assert.equal(health().held, T0 + 20, "the line under it is told the backoff is past, and since which crash");
  assert.equal(treeState(), "restarted", "and on the tree node");
  assert.equal(h.controller.store.sources.get("demo").state, "running", "the store has the truth");
  h.clock.advance(1000);
  h.intervals[0].fn();
  h.frame();
  assert.equal(g.updates.at(-1).src.state, "restarted", "a second later");
  h.clock.advance(1000);
  h.intervals[0].fn();
  h.frame();
  assert.equal(g.updates.at(-1).src.state, "running", "two seconds after the crash: running");
  assert.equal(health().held, undefined, "nothing held: the line is the stream's");
  assert.equal(treeState(), "running");
});
