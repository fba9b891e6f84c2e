import { test } from "node:test";
import assert from "node:assert/strict";
import { ChartManager } from "../js/charts.js";

// The chart manager's bookkeeping of what is in sight, with the browser's
// observers and uPlot replaced by fakes that record what they are asked.

const observers = { io: null, ro: null };
globalThis.IntersectionObserver = class {
  constructor(cb) {
    this.cb = cb;
    this.watched = new Set();
    observers.io = this;
  }
  observe(el) {
    this.watched.add(el);
  }
  unobserve(el) {
    this.watched.delete(el);
  }
  show(el, on) {
    this.cb([{ target: el, isIntersecting: on }]);
  }
};
globalThis.ResizeObserver = class {
  constructor(cb) {
    this.cb = cb;
    observers.ro = this;
  }
  observe() {}
  unobserve() {}
  size(el, width) {
    this.cb([{ target: el, contentRect: { width } }]);
  }
};
globalThis.document = { documentElement: {} };
globalThis.getComputedStyle = () => ({ getPropertyValue: () => "" });
const plots = [];
globalThis.uPlot = class {
  constructor(opts, data, el) {
    this.el = el;
    this.data = data;
    this.sets = 0;
    plots.push(this);
  }
  setData(d) {
    this.data = d;
    this.sets++;
  }
  setSize() {}
  destroy() {}
};

function manager() {
  const shown = [];
  let frames = 0;
  const m = new ChartManager({ requestFrame: () => frames++, onShown: (id) => shown.push(id) });
  const el = { dataset: {} };
  m.add("a", { el, unit: {}, color: 0, data: () => [[1, 2], [3, null]], range: () => [1000, 2000] });
  return { m, el, shown, frames: () => frames };
}

test("a chart is drawn only in view, sized and not collapsed", () => {
  const { m, el } = manager();
  assert.equal(m.isShown("a"), false);
  assert.equal(m.draw(), 0, "not seen yet: not even created");
  observers.io.show(el, true);
  assert.equal(m.draw(), 0, "no width yet");
  observers.ro.size(el, 300);
  assert.equal(m.draw(), 1);
  assert.equal(el.dataset.points, "1");
  assert.equal(m.draw(), 0, "nothing new");
  m.markAllDirty();
  m.setHidden("a", true);
  assert.equal(m.isShown("a"), false);
  assert.equal(m.draw(), 0, "collapsed");
  m.setHidden("a", false);
  assert.equal(m.draw(), 1);
  m.markDirty("a");
  observers.io.show(el, false);
  assert.equal(m.draw(), 0, "out of view");
  m.remove("a");
  assert.equal(observers.io.watched.has(el), false);
  assert.equal(m.isShown("a"), false);
});

test("onShown is told when a chart comes into view or out of a collapsed group", () => {
  const { m, el, shown } = manager();
  observers.io.show(el, true);
  assert.deepEqual(shown, ["a"]);
  observers.io.show(el, true); // still in view: not again
  assert.deepEqual(shown, ["a"]);
  m.setHidden("a", true);
  observers.io.show(el, false);
  observers.io.show(el, true); // in view but collapsed
  assert.deepEqual(shown, ["a"]);
  m.setHidden("a", false);
  assert.deepEqual(shown, ["a", "a"]);
  m.setHidden("a", false); // no change
  observers.io.show(el, false);
  m.setHidden("a", true);
  m.setHidden("a", false); // expanded out of view: not shown
  assert.deepEqual(shown, ["a", "a"]);
  m.setHidden("nope", false);
});
