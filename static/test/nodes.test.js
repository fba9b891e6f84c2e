import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { NodeSections, groupByNode, nodeOfSource, nodeStatus } from "../js/nodes.js";
import { buildTree, clusterNodes, nodeState } from "../js/treemodel.js";

installDOM();

const T0 = 1_700_000_000_000;

// A's tree in a cluster of three: b up, c down since T0.
const clusterTree = {
  name: "root",
  strategy: "rest_for_one",
  state: "running",
  restarts: 0,
  node: "a",
  children: [
    { name: "collectors", strategy: "one_for_one", state: "running", restarts: 0 },
    { name: "storage", state: "running", restarts: 0 },
  ],
  nodes: [
    { name: "root", state: "running", restarts: 0, node: "b", children: [{ name: "collectors", state: "running", restarts: 1 }, { name: "storage", state: "degraded" }] },
    { name: "root", state: "down", restarts: 0, node: "c", last_seen: T0, children: [{ name: "collectors", state: "running", restarts: 0 }] },
  ],
};

const sources = [
  { name: "demo", state: "running", restarts: 0, node: "a" },
  { name: "b/demo", state: "running", restarts: 2, node: "b" },
  { name: "c/demo", state: "down", restarts: 0, node: "c" },
];

test("clusterNodes: this node first, then its peers; none without a cluster or peers", () => {
  assert.deepEqual(clusterNodes(clusterTree), [
    { name: "a", state: "running", lastSeen: 0 },
    { name: "b", state: "running", lastSeen: 0 },
    { name: "c", state: "down", lastSeen: T0 },
  ]);
  assert.deepEqual(clusterNodes({ name: "root", children: [] }), [], "a single node");
  assert.deepEqual(clusterNodes({ name: "root", node: "a", children: [] }), [], "a cluster of one");
  assert.deepEqual(clusterNodes(null), []);
  assert.deepEqual(clusterNodes({ name: "root", node: "a", nodes: [null, { name: "root" }] }), [], "peers without a node are no nodes");
});

test("a cluster's tree: one node per cluster node, each with its own sources; a down node's children unknown", () => {
  const t = buildTree(clusterTree, sources);
  assert.equal(t.key, "cluster");
  assert.deepEqual(
    t.children.map((n) => [n.key, n.name, n.state]),
    [
      ["cluster/@a", "a", "running"],
      ["cluster/@b", "b", "running"],
      ["cluster/@c", "c", "down"],
    ],
  );
  const collectors = (n) => n.children.find((c) => c.name === "collectors");
  assert.deepEqual(collectors(t.children[0]).children.map((s) => [s.key, s.name]), [["cluster/@a/collectors/demo", "demo"]]);
  assert.deepEqual(collectors(t.children[1]).children.map((s) => s.name), ["b/demo"]);
  assert.equal(collectors(t.children[1]).restarts, 1);
  const c = t.children[2];
  assert.equal(collectors(c).state, "unknown", "a node down says nothing of its children now");
  assert.equal(collectors(c).children[0].state, "down", "but its sources say down");
  assert.equal(nodeState(t, "storage"), "running", "the stored history's state is this node's, not b's");
});

test("a single node's tree is as before", () => {
  const raw = { name: "root", strategy: "rest_for_one", children: [{ name: "collectors" }] };
  const t = buildTree(raw, [{ name: "demo", state: "running" }]);
  assert.equal(t.key, "root");
  assert.deepEqual(t.children[0].children.map((s) => s.key), ["root/collectors/demo"]);
});

test("groupByNode: by the source's node, else its name's prefix, else this node", () => {
  const srcs = new Map(sources.map((s) => [s.name, s]));
  const nodes = clusterNodes(clusterTree);
  const parts = groupByNode(["demo", "b/demo", "c/demo", "c/gone", "x/unlisted", "local-gone"], srcs, nodes);
  assert.deepEqual(
    parts.map((p) => [p.node.name, p.names]),
    [
      ["a", ["demo", "x/unlisted", "local-gone"]],
      ["b", ["b/demo"]],
      ["c", ["c/demo", "c/gone"]],
    ],
  );
  assert.equal(nodeOfSource("b/x", { node: "z" }, "a"), "z");
});

test("nodeStatus: up, or down with when it was last seen", () => {
  assert.deepEqual(nodeStatus({ state: "running", lastSeen: 0 }), { state: "up", text: "up", seen: "" });
  const down = nodeStatus({ state: "down", lastSeen: T0 });
  assert.equal(down.state, "down");
  assert.match(down.seen, /^last seen \d\d:\d\d:\d\d$/);
  assert.equal(nodeStatus({ state: "down", lastSeen: 0 }).seen, "");
});

test("NodeSections: a section per node in order, its groups inside; flat again with one node", () => {
  const box = document.createElement("div");
  const els = ["demo", "b/demo", "c/demo"].map((name) => {
    const el = document.createElement("section");
    el.dataset.source = name;
    return el;
  });
  const ns = new NodeSections(box);
  const nodes = clusterNodes(clusterTree);
  ns.show([
    { node: nodes[0], els: [els[0]] },
    { node: nodes[1], els: [els[1]] },
    { node: nodes[2], els: [els[2]] },
  ]);
  assert.deepEqual(
    box.children.map((s) => [s.dataset.node, s.dataset.state]),
    [
      ["a", "up"],
      ["b", "up"],
      ["c", "down"],
    ],
  );
  const c = box.children[2];
  assert.equal(c.children[1].children[0], els[2], "c's group in c's section");
  assert.equal(c.children[0].children[1].textContent, "down");
  assert.match(c.children[0].children[2].textContent, /^last seen/);

  // c is back, b gone from the tree: b's section goes.
  ns.show([
    { node: nodes[0], els: [els[0], els[1]] },
    { node: { name: "c", state: "running", lastSeen: 0 }, els: [els[2]] },
  ]);
  assert.deepEqual(
    box.children.map((s) => [s.dataset.node, s.dataset.state]),
    [
      ["a", "up"],
      ["c", "up"],
    ],
  );
  assert.equal(box.children[1].children[0].children[2].hidden, true, "no last seen while up");

  ns.flat(els);
  assert.deepEqual(box.children, els, "one node: the groups straight in the box");
  assert.equal(ns.sections.size, 0);
});
