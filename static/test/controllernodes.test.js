import { test } from "node:test";
import assert from "node:assert/strict";
import { T0, harness, hello, series } from "./fakes/page.js";

// The page and a cluster: sources grouped by node when the server knows
// more than one, a node down told at once.

const src = (name, node, state = "running") => ({ name, state, restarts: 0, node });
const tree = (cState) => ({
  name: "root",
  state: "running",
  restarts: 0,
  node: "a",
  children: [{ name: "collectors", state: "running", restarts: 0 }],
  nodes: [
    { name: "root", state: "running", restarts: 0, node: "b" },
    { name: "root", state: cState, restarts: 0, node: "c", ...(cState === "down" ? { last_seen: T0 } : {}) },
  ],
});

test("a cluster's sources go under their nodes; a node down is told to the page at once", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv({
    type: "snapshot",
    seq: 4,
    ts: T0,
    sources: [src("demo", "a"), src("b/demo", "b"), src("c/demo", "c")],
    tree: tree("running"),
    series: [series("x"), series("y", { source: "b/demo" }), series("z", { source: "c/demo" })],
  });
  h.frame();
  const el = (name) => h.groups.get(name).el;
  assert.deepEqual(
    h.page.parts.map((p) => [p.node.name, p.node.state, p.els]),
    [
      ["a", "running", [el("demo")]],
      ["b", "running", [el("b/demo")]],
      ["c", "running", [el("c/demo")]],
    ],
  );
  assert.deepEqual(h.page.order, [el("demo"), el("b/demo"), el("c/demo")], "the jump list in node order");

  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: {}, windows: {}, added: [], removed: [], sources: [src("c/demo", "c", "down")], tree: tree("down") });
  assert.equal(h.page.parts[2].node.state, "down", "before the next frame");
  assert.equal(h.page.parts[2].node.lastSeen, T0);
});

test("a single node's page is not grouped", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv({ type: "snapshot", seq: 4, ts: T0, sources: [{ name: "demo", state: "running", restarts: 0 }], tree: { name: "root", children: [] }, series: [series("x")] });
  h.frame();
  assert.equal(h.page.parts, undefined);
  assert.deepEqual(h.page.order, [h.groups.get("demo").el]);
});
