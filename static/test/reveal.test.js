import { test } from "node:test";
import assert from "node:assert/strict";
import { SETTLE_MAX_FRAMES, SETTLE_STABLE_FRAMES, settleScroll } from "../js/reveal.js";

// Revealing a source on a page whose cards take their real size only once
// they come into view (content-visibility: auto): reveal.js.

// A page of 46 sources, each 600 px tall as a placeholder and 700 px once
// its cards have been laid out, which happens at the frame after they
// come within a screen of the viewport. want: where the target's top
// belongs (under the sticky bars), px from the viewport's top.
function page({ target = 20, height = 900, want = 100, sources = 46 } = {}) {
  const p = {
    scrollY: 0,
    laid: new Set(),
    queue: [],
    frames: 0,
    top: (i) => {
      let y = 0;
      for (let j = 0; j < i; j++) y += p.laid.has(j) ? 700 : 600;
      return y;
    },
    max: () => p.top(sources) - height,
    offset: () => p.top(target) - p.scrollY - want,
    scrollBy: (dy) => {
      p.scrollY = Math.max(0, Math.min(p.max(), p.scrollY + dy));
    },
    frame: (fn) => p.queue.push(fn),
    // The rendering update: what is near the viewport is laid out, then the frame callbacks run.
    run() {
      while (p.queue.length) {
        p.frames++;
        for (let j = 0; j < sources; j++) {
          const y = p.top(j);
          if (y < p.scrollY + 2 * height && y + 700 > p.scrollY - height) p.laid.add(j);
        }
        const fns = p.queue.splice(0);
        for (const fn of fns) fn();
      }
    },
  };
  return p;
}

test("a revealed source ends under the bars although the cards above it grow as they come into view", () => {
  // What one scroll did: the target moves once the cards near it are laid out.
  const once = page();
  once.scrollBy(once.offset());
  once.frame(() => {});
  once.run();
  assert.ok(Math.abs(once.offset()) > 100, `one scroll is off by ${once.offset()} px`);

  for (const target of [20, 30, 1, 2]) {
    const p = page({ target });
    let done = 0;
    settleScroll({ offset: p.offset, scrollBy: p.scrollBy, frame: p.frame, done: () => done++ });
    p.run();
    assert.ok(Math.abs(p.offset()) < 1, `source ${target}: ${p.offset()} px off`);
    assert.equal(done, 1);
    assert.ok(p.frames < SETTLE_MAX_FRAMES, `settled in ${p.frames} frames`);
  }
});

test("the first and last sources, which the page cannot scroll to their place, are settled where the page ends", () => {
  for (const [target, end] of [[45, (p) => p.max()], [0, () => 0]]) {
    const p = page({ target });
    let done = 0;
    settleScroll({ offset: p.offset, scrollBy: p.scrollBy, frame: p.frame, done: () => done++ });
    p.run();
    assert.equal(p.scrollY, end(p), `source ${target}`);
    assert.equal(done, 1);
    assert.ok(p.frames < SETTLE_STABLE_FRAMES + 16, `source ${target}: gave up after ${p.frames} frames`);
  }
});

test("the reader's scroll ends a reveal still settling", () => {
  const p = page();
  let done = 0;
  const cancel = settleScroll({ offset: p.offset, scrollBy: p.scrollBy, frame: p.frame, done: () => done++ });
  cancel();
  cancel();
  const y = p.scrollY;
  p.scrollY += 500; // the reader's own
  p.run();
  assert.equal(p.scrollY, y + 500, "not pulled back");
  assert.equal(done, 1);
});
