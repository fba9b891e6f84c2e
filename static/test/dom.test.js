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

test("wholeHeight: a list ends under the last line that fits whole in its max-height, or at its content", async () => {
  const { wholeHeight } = await import("../js/wholelines.js");
  // Three items of two lines each, 80 px apart; a cap of 200 falls in the third's second line (180–200 fits, 200 is on it).
  const items = [[0, 80], [80, 160], [160, 240]];
  const lines = [[6, 40], [40, 74], [86, 120], [120, 154], [166, 200], [200, 234]];
  assert.equal(wholeHeight(items, lines, 240, 200), 200, "a cut on a line's bottom");
  assert.equal(wholeHeight(items, lines, 240, 190), 160, "inside a line: under the line above, here an item's end");
  assert.equal(wholeHeight(items, lines, 240, 130), 120, "between two lines of an item");
  assert.equal(wholeHeight(items, lines, 240, 300), "", "all fit: the content's height");
  // Two columns (an event's time beside its text): a cut must fall between lines of both.
  assert.equal(wholeHeight([[0, 60]], [[0, 20], [0, 30], [30, 60]], 60, 45), 30, "20 is inside the text's first line, 30 is clear of both");
  assert.equal(wholeHeight([[0, 300]], [], 300, 240), 240, "no line to cut at: the cap");
  assert.equal(wholeHeight([[0, 300]], [], 300, NaN), "", "no max-height: nothing to do");
});
