import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { formatClock } from "../js/format.js";

installDOM();
const { TreeView } = await import("../js/tree.js");
const { buildTree } = await import("../js/treemodel.js");

const T0 = 1_700_000_000_000;
const sources = (state = "running", restarts = 1) => [{ name: "flaky", state, restarts, up: true, polls: 5, failures: 0 }];

function view() {
  const container = document.createElement("div");
  const t = new TreeView(container);
  const node = (name) => t.nodes.get(`root/collectors/${name}`);
  return { t, node };
}

test("a node's last crash follows the latest crash the page knows at each tick, not the one of its last tree update", () => {
  const { t, node } = view();
  const crashes = new Map([["flaky", T0]]);
  t.update(buildTree(null, sources()), (name) => crashes.get(name) || 0);
  t.tick(T0 + 2000);
  assert.equal(node("flaky").crash.textContent, `last crash ${formatClock(T0)} (2s ago)`);
  // A crash reaches the timeline after the last tree update (the one that parked it): no tree change follows.
  crashes.set("flaky", T0 + 5000);
  t.tick(T0 + 7000);
  assert.equal(node("flaky").crash.textContent, `last crash ${formatClock(T0 + 5000)} (2s ago)`, "as the card header says");
  assert.match(node("flaky").el.title, new RegExp(`last crash ${formatClock(T0 + 5000)}`), "its title too");
});

test("the first drawing pulses nothing, nor does coming to know the states (the snapshot, a reconnect); a change does", () => {
  const { t, node } = view();
  const unknown = (n) => ({ ...n, state: "unknown", stale: true, children: n.children.map(unknown) });
  const pulsing = () => [...t.nodes.values()].filter((n) => n.el.classList.contains("pulse")).map((n) => n.el.dataset.key);
  t.update(unknown(buildTree(null, sources())));
  t.update(buildTree(null, sources()));
  assert.deepEqual(pulsing(), [], "unknown, then running: no change");
  t.update(unknown(buildTree(null, sources())));
  t.update(buildTree(null, sources()));
  assert.deepEqual(pulsing(), [], "a reconnect to the same states: none either");
  t.update(buildTree(null, sources("backoff", 2)));
  assert.deepEqual(pulsing(), ["root/collectors/flaky"], "a crash: its node");
  t.settle(); // its pulse over
  t.update(unknown(buildTree(null, sources("backoff", 2))));
  t.update(buildTree(null, sources("running", 3)));
  assert.ok(node("flaky").el.classList.contains("pulse"), "a restart during an outage is a change from the last known");
});

test("a tree shown again (the folded tree's Show) replays no pulse", () => {
  const { t, node } = view();
  t.update(buildTree(null, sources()));
  t.update(buildTree(null, sources("backoff", 2)));
  assert.ok(node("flaky").el.classList.contains("pulse"));
  t.settle();
  assert.ok(!node("flaky").el.classList.contains("pulse"));
});
