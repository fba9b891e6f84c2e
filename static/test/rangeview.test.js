import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { RangePicker } from "../js/rangeview.js";
import { toLocalInput } from "../js/rangechoice.js";

// The range picker's DOM, on the fake DOM of test/fakes/dom.js.

function picker() {
  const doc = installDOM();
  const el = (tag) => doc.createElement(tag);
  const wrap = el("div");
  const els = { group: el("div"), custom: el("button"), form: el("form"), from: el("input"), to: el("input"), error: el("p") };
  wrap.append(els.group, els.custom, els.form);
  els.form.hidden = true;
  const picked = [];
  let accept = true;
  const p = new RangePicker(els, {
    onRange: (name) => picked.push(name),
    onCustom: (from, to) => (picked.push([from, to]), accept && to > from),
    now: () => new Date(2026, 0, 2, 12, 0).getTime(),
  });
  return { p, els, picked, doc, wrap, refuse: () => (accept = false) };
}

test("the presets are a radio group: one tab stop, arrows pick the next", () => {
  const { p, els, picked, doc } = picker();
  const buttons = els.group.children;
  assert.deepEqual(
    buttons.map((b) => [b.textContent, b.getAttribute("role"), b.dataset.range]),
    ["1h", "6h", "24h", "7d", "30d"].map((n) => [n, "radio", n]),
  );
  assert.deepEqual(buttons.map((b) => b.tabIndex), [0, -1, -1, -1, -1], "none picked: the first is the tab stop");
  buttons[2].click();
  assert.deepEqual(picked, ["24h"]);
  p.show({ name: "24h" });
  assert.deepEqual(buttons.map((b) => b.getAttribute("aria-checked")), ["false", "false", "true", "false", "false"]);
  assert.deepEqual(buttons.map((b) => b.tabIndex), [-1, -1, 0, -1, -1]);
  buttons[2].dispatch("keydown", { key: "ArrowRight" });
  assert.deepEqual(picked, ["24h", "7d"]);
  assert.equal(doc.activeElement, buttons[3]);
  buttons[0].dispatch("keydown", { key: "ArrowLeft" });
  assert.equal(picked.at(-1), "30d", "around the end");
  buttons[0].dispatch("keydown", { key: "a" });
  assert.equal(picked.length, 3);
  buttons[1].dispatch("keydown", { key: "End" });
  assert.equal(picked.at(-1), "30d", "End: the last");
  assert.equal(doc.activeElement, buttons[4]);
  buttons[3].dispatch("keydown", { key: "Home" });
  assert.equal(picked.at(-1), "1h", "Home: the first");
  assert.equal(doc.activeElement, buttons[0]);
});

test("the custom form opens on the last day, applies a span, says why it refuses one, and closes on Escape", () => {
  const { p, els, picked, doc, wrap, refuse } = picker();
  els.custom.click();
  assert.equal(els.form.hidden, false);
  assert.equal(els.custom.getAttribute("aria-expanded"), "true");
  assert.equal(els.from.value, "2026-01-01T12:00");
  assert.equal(els.to.value, "2026-01-02T12:00");
  assert.equal(doc.activeElement, els.from);

  els.to.value = "2026-01-01T11:00";
  els.form.dispatch("submit");
  assert.equal(els.error.hidden, false);
  assert.match(els.error.textContent, /start and an end after it/);
  assert.equal(els.form.hidden, false, "kept open to fix it");

  els.to.value = "2026-01-01T18:30";
  els.form.dispatch("submit");
  const span = picked.at(-1);
  assert.deepEqual(span.map(toLocalInput), ["2026-01-01T12:00", "2026-01-01T18:30"]);
  assert.equal(els.form.hidden, true);
  assert.equal(els.error.hidden, true);
  assert.equal(doc.activeElement, els.custom);

  p.show({ name: "custom", from: span[0], to: span[1] });
  assert.equal(els.custom.classList.contains("is-active"), true);
  assert.match(els.custom.title, /2026-01-01 12:00 to 2026-01-01 18:30/);
  assert.equal(wrap.dataset.range, "custom");
  assert.ok(els.group.children.every((b) => b.getAttribute("aria-checked") === "false"));
  els.custom.click();
  assert.equal(els.to.value, "2026-01-01T18:30", "reopened on the span shown");
  let stopped = false;
  els.form.dispatch("keydown", { key: "Escape", stopPropagation: () => (stopped = true) });
  assert.equal(els.form.hidden, true);
  assert.equal(stopped, true, "the page's Escape (back to live) is not also run");

  refuse();
  els.custom.click();
  els.from.value = "";
  els.form.dispatch("submit");
  assert.equal(els.error.hidden, false, "an empty input");
});
