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
