import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";

installDOM();
const { WayBack } = await import("../js/wayback.js");
const { StatusView } = await import("../js/status.js");

// The skip link and the phone's button back up (wayback.js).

function page() {
  const el = (tag) => {
    const e = document.createElement(tag);
    e.focused = 0;
    e.focus = () => e.focused++;
    e.scrolled = 0;
    e.scrollIntoView = () => e.scrolled++;
    return e;
  };
  const els = { skip: el("a"), target: el("div"), top: el("button"), header: el("header") };
  els.top.hidden = true;
  const win = { scrolls: [], observed: [], scrollTo: (o) => win.scrolls.push(o) };
  win.IntersectionObserver = class {
    constructor(fn) {
      win.seen = (isIntersecting) => fn([{ isIntersecting }]);
    }
    observe(target) {
      win.observed.push(target);
    }
  };
  return { els, win, way: new WayBack(els, win) };
}

test("the skip link goes to the charts and gives them the focus, the address untouched", () => {
  const { els } = page();
  let prevented = false;
  els.skip.dispatch("click", { preventDefault: () => (prevented = true) });
  assert.equal(prevented, true, "no fragment in the address, no history entry");
  assert.equal(els.target.scrolled, 1);
  assert.equal(els.target.focused, 1);
});

test("the button back up shows while the header is out of sight, and goes back to it", () => {
  const { els, win } = page();
  assert.deepEqual(win.observed, [els.header]);
  assert.equal(els.top.hidden, true);
  win.seen(false); // scrolled into the charts
  assert.equal(els.top.hidden, false);
  els.top.click();
  assert.deepEqual(win.scrolls, [{ top: 0 }]);
  assert.equal(els.header.focused, 1, "the focus with the header's controls");
  win.seen(true);
  assert.equal(els.top.hidden, true);
});

test("the button back up says the stream's state as the pill does", () => {
  const el = (tag) => document.createElement(tag);
  const els = { pill: el("button"), text: el("span"), banner: el("div"), bannerText: el("span"), mini: el("button"), miniText: el("span") };
  const view = new StatusView(els);
  view.show({ state: "live", retryAt: null, staleSince: null });
  assert.equal(els.miniText.textContent, "live");
  assert.equal(els.mini.dataset.state, "live");
  view.showPaused(true, 12);
  assert.equal(els.miniText.textContent, "paused · 12 waiting");
  assert.equal(els.mini.dataset.state, "paused");
  assert.equal(els.text.title, "paused · 12 waiting", "the pill's text whole in its title");
  view.show({ state: "reconnecting", retryAt: null, staleSince: null });
  assert.equal(els.mini.dataset.state, "reconnecting");
  assert.equal(els.miniText.textContent, "reconnecting…");
});
