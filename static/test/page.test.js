import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";

// The page's fixed parts (page.js) on the fake DOM: the jump list.

const doc = installDOM();
const { PageView, TREE_FOLD } = await import("../js/page.js");

function view() {
  for (const id of ["conn", "tree-toggle", "tree-summary", "groups", "jump", "filter", "filter-clear", "filter-error"]) doc.register(id, document.createElement("div"));
  const treePanel = document.createElement("section");
  const treeTitle = document.createElement("h2");
  treePanel.appendChild(treeTitle);
  doc.register("tree-title", treeTitle);
  const jumped = [];
  const page = new PageView(doc, { onWindow() {}, onJump: (name) => jumped.push(name) });
  const groups = ["demo", "host", "spiky"].map((name) => {
    const el = document.createElement("section");
    el.id = `source-${name}`;
    el.dataset.source = name;
    return el;
  });
  page.orderGroups(groups);
  return { page, groups, jumped, links: () => doc.getElementById("jump").children };
}

test("the jump list lists the sources the filter shows, and a jump reveals the source", () => {
  const { page, groups, jumped, links } = view();
  assert.deepEqual(links().map((a) => [a.textContent, a.hidden]), [["demo", false], ["host", false], ["spiky", false]]);
  groups[1].hidden = true; // filtered out (summary.js filterGroups)
  page.syncJump();
  assert.deepEqual(links().map((a) => a.hidden), [false, true, false]);
  page.orderGroups([groups[2], groups[0], groups[1]]);
  assert.deepEqual(links().map((a) => [a.textContent, a.hidden]), [["spiky", false], ["demo", false], ["host", true]], "a new order keeps the filter");
  let prevented = false;
  links()[0].dispatch("click", { preventDefault: () => (prevented = true) });
  assert.deepEqual(jumped, ["spiky"]);
  assert.equal(prevented, true, "not the browser's jump to the anchor");
});

test("an invalid filter marks the box and says why", () => {
  const { page } = view();
  page.showFilterError("a { is not closed", "a { is not closed; x");
  assert.equal(doc.getElementById("filter").getAttribute("aria-invalid"), "true");
  assert.equal(doc.getElementById("filter-error").textContent, "Not applied: a { is not closed");
  assert.equal(doc.getElementById("filter-error").hidden, false);
  page.showFilterError("");
  assert.equal(doc.getElementById("filter").getAttribute("aria-invalid"), null);
  assert.equal(doc.getElementById("filter-error").hidden, true);
});

test("a tree of more than a dozen sources folds to its summary line on any screen; a shorter one shows whole", () => {
  const { page } = view();
  page.showTreeSummary("12 sources: 12 running", TREE_FOLD);
  assert.equal(page.els.treePanel.classList.contains("is-folding"), false);
  assert.equal(doc.getElementById("tree-summary").textContent, "12 sources: 12 running");
  page.showTreeSummary("13 sources: 13 running", TREE_FOLD + 1);
  assert.equal(page.els.treePanel.classList.contains("is-folding"), true);
  page.showTreeSummary("3 sources: 3 running", 3);
  assert.equal(page.els.treePanel.classList.contains("is-folding"), false, "unfolds when sources go");
});

test("no window is checked while a zoom is shown; the arrow keys still choose one, which ends the zoom", () => {
  doc.register("windows", document.createElement("div"));
  doc.register("conn", document.createElement("button"));
  const chosen = [];
  const { page } = view();
  page.onWindow = (name) => chosen.push(name);
  page.showWindows(["1m", "5m", "15m"], "1m");
  const buttons = () => doc.getElementById("windows").children;
  const checked = () => buttons().map((b) => b.getAttribute("aria-checked"));
  assert.deepEqual(checked(), ["true", "false", "false"]);
  page.showZoom([1000, 61_000]);
  assert.deepEqual(checked(), ["false", "false", "false"], "the charts do not show a window");
  assert.deepEqual(buttons().map((b) => b.tabIndex), [0, -1, -1], "the first stays a tab stop");
  page.checkWindow("5m"); // chosen under the zoom (the controller ends it first: choices.js)
  assert.deepEqual(checked(), ["false", "false", "false"]);
  let prevented = false;
  buttons()[0].dispatch("keydown", { key: "ArrowRight", preventDefault: () => (prevented = true) });
  assert.deepEqual(chosen, ["5m"]);
  assert.equal(prevented, true);
  page.showZoom(null);
  assert.deepEqual(checked(), ["false", "true", "false"], "back live, the window chosen is checked");
});

test("the pause button is written only when paused or resumed, not at every tick of a paused page", () => {
  const { page } = view();
  const btn = document.createElement("button");
  const label = document.createElement("span");
  label.className = "btn-label";
  btn.appendChild(label);
  btn.querySelector = (sel) => (sel === ".btn-label" ? label : null);
  page.els.pause = btn;
  let writes = 0;
  const set = btn.setAttribute.bind(btn);
  btn.setAttribute = (k, v) => (writes++, set(k, v));
  page.showPaused(true);
  assert.equal(btn.getAttribute("aria-pressed"), "true");
  assert.equal(label.textContent, "Resume");
  assert.equal(doc.body.classList.contains("is-paused"), true);
  for (let i = 0; i < 5; i++) page.showPaused(true);
  assert.equal(writes, 1, "the same state: no attribute written again");
  page.showPaused(false);
  assert.equal(btn.getAttribute("aria-pressed"), "false");
  assert.equal(label.textContent, "Pause");
  assert.equal(writes, 2);
});

test("the filter's clear button shows whenever the box holds text: typed, or restored from the address; it clears and says so", () => {
  const typed = [];
  for (const id of ["conn", "tree-toggle", "tree-summary", "groups", "jump", "filter", "filter-clear", "filter-error"]) doc.register(id, document.createElement("div"));
  const treePanel = document.createElement("section");
  const treeTitle = document.createElement("h2");
  treePanel.appendChild(treeTitle);
  doc.register("tree-title", treeTitle);
  const page = new PageView(doc, { onWindow() {}, onFilter: (text) => typed.push(text) });
  const box = doc.getElementById("filter");
  const clear = doc.getElementById("filter-clear");
  assert.equal(clear.hidden, true, "an empty box has none");
  page.showFilter("cpu=1");
  assert.equal(clear.hidden, false, "a filter restored from the address has one");
  assert.deepEqual(typed, [], "the page's own text is not an edit");
  clear.click();
  assert.equal(box.value, "");
  assert.equal(clear.hidden, true);
  assert.deepEqual(typed, [""], "the clear is an edit: the filter is lifted");
  assert.equal(document.activeElement, box, "the reader types on where the filter was");
  box.value = "demo";
  box.dispatch("input");
  assert.equal(clear.hidden, false, "a typed filter has one");
  assert.deepEqual(typed, ["", "demo"]);
});
