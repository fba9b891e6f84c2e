import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { h, setText } from "../js/dom.js";

installDOM();

test("setText changes the data of an element's one text node, keeping the node", () => {
  const el = h("span", "x", "12 ms");
  const node = el.firstChild;
  setText(el, "13 ms");
  assert.equal(el.textContent, "13 ms");
  assert.equal(el.firstChild, node, "the same text node");
  assert.equal(el.childNodes.length, 1);
});

test("setText of no text leaves no node, and writes a node again afterwards", () => {
  const el = h("th", "x", "cpu");
  setText(el, "");
  assert.equal(el.childNodes.length, 0, "empty, for :empty");
  setText(el, "cpu · mode");
  assert.equal(el.textContent, "cpu · mode");
  assert.equal(el.childNodes.length, 1);
});

test("setText replaces mixed or element children with the text", () => {
  const el = h("p", "x", "a", h("b", null, "b"));
  setText(el, "c");
  assert.equal(el.textContent, "c");
  assert.equal(el.children.length, 0);
  const two = h("p", "x", "a", "b");
  setText(two, "ab");
  assert.equal(two.childNodes.length, 2, "the same text: nothing written");
  setText(two, "c");
  assert.equal(two.childNodes.length, 1);
});

test("wholeHeight: a list ends under the last item that fits whole in its max-height, or at its content", async () => {
  const { wholeHeight } = await import("../js/wholeitems.js");
  assert.equal(wholeHeight([60, 120, 200, 260], 240), 200, "the third ends at 200, the fourth would be cut");
  assert.equal(wholeHeight([60, 120, 240, 300], 240), 240, "one ending on the cap fits");
  assert.equal(wholeHeight([60, 120], 240), "", "all fit: the content's height");
  assert.equal(wholeHeight([300, 400], 240), 240, "not even the first fits: the cap");
  assert.equal(wholeHeight([], 240), "");
  assert.equal(wholeHeight([300], NaN), "", "no max-height: nothing to do");
});
