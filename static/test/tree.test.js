import { test } from "node:test";
import assert from "node:assert/strict";
import { pulse } from "../js/tree.js";
import { buildTree, nodeState, treeKeyAction } from "../js/treemodel.js";

const sources = [
  { name: "demo", state: "running", restarts: 1 },
  { name: "flaky", state: "backoff", restarts: 4 },
];

const shape = (n) => ({ name: n.name, state: n.state, restarts: n.restarts, children: n.children.map(shape) });

test("without a server tree: root's three children, running, restarts unknown", () => {
  const t = buildTree(null, sources);
  assert.deepEqual(shape(t), {
    name: "root",
    state: "running",
    restarts: null,
    children: [
      { name: "aggregator", state: "running", restarts: null, children: [] },
      {
        name: "collectors",
        state: "running",
        restarts: null,
        children: [
          { name: "demo", state: "running", restarts: 1, children: [] },
          { name: "flaky", state: "backoff", restarts: 4, children: [] },
        ],
      },
      { name: "dashboard", state: "running", restarts: null, children: [] },
    ],
  });
  assert.equal(t.strategy, "rest_for_one");
  assert.equal(t.children[1].strategy, "one_for_one");
  assert.equal(t.children[1].children[0].source, true);
  assert.equal(t.children[1].children[0].key, "root/collectors/demo");
});

test("the server's tree is used when present, sources under collectors", () => {
  const raw = {
    name: "root",
    strategy: "rest_for_one",
    children: [
      { name: "aggregator", state: "running", restarts: 0 },
      { name: "collectors", strategy: "one_for_one", state: "running", restarts: 2, children: [{ name: "stale-child" }] },
      { name: "dashboard", state: "backoff", restarts: 1 },
    ],
  };
  const t = buildTree(raw, sources);
  assert.equal(t.children[0].restarts, 0);
  assert.equal(t.children[1].restarts, 2);
  assert.deepEqual(
    t.children[1].children.map((c) => c.name),
    ["demo", "flaky"],
  );
  assert.equal(t.children[2].state, "backoff");
  assert.equal(t.state, "running", "a root without state is running");
});

test("odd server trees do not break the view", () => {
  assert.equal(buildTree({}, []).name, "root");
  assert.equal(buildTree("nonsense", []).children.length, 3);
  const t = buildTree({ name: "root", children: [null, { name: "x", restarts: "7" }] }, []);
  assert.deepEqual(
    t.children.map((c) => [c.name, c.restarts]),
    [["x", null]],
  );
});

test("a node's state is found by name anywhere in the tree; a source of that name is not it", () => {
  const raw = (state) => ({
    name: "root",
    state: "running",
    children: [
      { name: "aggregator", state: "running", children: [{ name: "storage", state }] },
      { name: "collectors", state: "running" },
    ],
  });
  const withSource = [{ name: "storage", state: "failed", restarts: 0 }];
  assert.equal(nodeState(buildTree(raw("degraded"), withSource), "storage"), "degraded");
  assert.equal(nodeState(buildTree(raw("running"), withSource), "storage"), "running");
  assert.equal(nodeState(buildTree(null, withSource), "storage"), "", "no storage node: memory-only history");
});

test("pulse starts the highlight, and a second pulse restarts its animations without a layout", () => {
  const anims = [{ currentTime: 900 }, { currentTime: 300 }];
  const classes = new Set();
  const el = {
    classList: { contains: (c) => classes.has(c), add: (c) => classes.add(c) },
    getAnimations: (opts) => (opts && opts.subtree ? anims : anims.slice(0, 1)),
    get offsetWidth() {
      throw new Error("a layout was forced");
    },
  };
  pulse(el);
  assert.ok(classes.has("pulse"));
  assert.deepEqual(
    anims.map((a) => a.currentTime),
    [900, 300],
    "a first pulse only adds the class",
  );
  pulse(el);
  assert.deepEqual(
    anims.map((a) => a.currentTime),
    [0, 0],
    "the node's animations and its children's start again",
  );
});

test("the tree's keys follow the WAI-ARIA tree pattern: Right opens or goes in, Left closes or goes up", () => {
  // root (open) > aggregator, collectors (open) > demo, spiky; dashboard
  const open = [
    { parent: -1, expandable: true, expanded: true, source: false },
    { parent: 0, expandable: false, expanded: false, source: false },
    { parent: 0, expandable: true, expanded: true, source: false },
    { parent: 2, expandable: false, expanded: false, source: true },
    { parent: 2, expandable: false, expanded: false, source: true },
    { parent: 0, expandable: false, expanded: false, source: false },
  ];
  assert.deepEqual(treeKeyAction(open, 2, "ArrowRight"), { focus: 3 }, "an open node: to its first child");
  assert.deepEqual(treeKeyAction(open, 3, "ArrowRight"), { focus: 3 }, "a leaf: stays");
  assert.deepEqual(treeKeyAction(open, 2, "ArrowLeft"), { expand: 2, expanded: false }, "an open node closes");
  assert.deepEqual(treeKeyAction(open, 4, "ArrowLeft"), { focus: 2 }, "a leaf: to its parent");
  assert.deepEqual(treeKeyAction(open, 0, "ArrowLeft"), { expand: 0, expanded: false });
  assert.deepEqual(treeKeyAction(open, 1, "ArrowDown"), { focus: 2 });
  assert.deepEqual(treeKeyAction(open, 5, "ArrowDown"), { focus: 5 });
  assert.deepEqual(treeKeyAction(open, 1, "ArrowUp"), { focus: 0 });
  assert.deepEqual(treeKeyAction(open, 3, "Home"), { focus: 0 });
  assert.deepEqual(treeKeyAction(open, 0, "End"), { focus: 5 });
  assert.deepEqual(treeKeyAction(open, 3, "Enter"), { activate: 3 }, "a source shows its charts");
  assert.deepEqual(treeKeyAction(open, 2, " "), { expand: 2, expanded: false }, "a parent opens and closes");
  assert.equal(treeKeyAction(open, 2, "a"), null);
  // collectors closed: root, aggregator, collectors, dashboard shown
  const closed = [open[0], open[1], { ...open[2], expanded: false }, { ...open[5] }];
  assert.deepEqual(treeKeyAction(closed, 2, "ArrowRight"), { expand: 2, expanded: true }, "a closed node opens");
  assert.deepEqual(treeKeyAction(closed, 2, "ArrowLeft"), { focus: 0 }, "a closed node: to its parent");
  assert.deepEqual(treeKeyAction(closed, 2, "Enter"), { expand: 2, expanded: true });
});

test("a running source whose last poll failed is down on its node, as its card's badge says", () => {
  const node = (s) => buildTree(null, [s]).children.find((c) => c.name === "collectors").children[0].state;
  assert.equal(node({ name: "site", state: "running", restarts: 0, up: false, polls: 3 }), "down");
  assert.equal(node({ name: "site", state: "running", restarts: 0, up: false, polls: 0 }), "running", "not polled yet");
  assert.equal(node({ name: "site", state: "running", restarts: 0, up: true, polls: 3 }), "running");
  assert.equal(node({ name: "site", state: "backoff", restarts: 1, up: false, polls: 3 }), "backoff");
});

test("the tree lists the sources the filter shows; the other nodes stay, and a new source is filtered too", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { TreeView } = await import("../js/tree.js");
  const view = new TreeView(document.createElement("div"));
  view.update(buildTree(null, sources));
  const li = (name) => [...view.nodes.values()].find((n) => n.el.dataset.source === name || n.el.dataset.key === name).li;
  view.filterSources(new Set(["demo"]));
  assert.equal(li("demo").hidden, false);
  assert.equal(li("flaky").hidden, true);
  assert.equal(li("root/collectors").hidden, false, "the supervisors stay");
  view.update(buildTree(null, [...sources, { name: "host", state: "running", restarts: 0 }]));
  assert.equal(li("host").hidden, true, "a source that comes while filtered");
  assert.equal(li("flaky").hidden, true, "an update keeps the filter");
  view.filterSources(null);
  assert.deepEqual(["demo", "flaky", "host"].map((n) => li(n).hidden), [false, false, false]);
});
