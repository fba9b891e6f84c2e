import { test } from "node:test";
import assert from "node:assert/strict";
import { series, fam, MemoryStorage, T0, harness, hello, live, running, snapshot, updatesOf } from "./fakes/page.js";
import { CONFIRM_MS, FILTER_DEBOUNCE_MS, PAUSED_COUNT_EVERY_S } from "../js/controller.js";
import { formatAgo, formatClock } from "../js/format.js";

// The page controller and the reader's choices: pause, filter, window,
// collapsed groups, the admin token and crashes. Fakes: test/fakes/page.js.

test("pause stops every change of the page but the connection pill and the count of what waits; resuming catches up at once", () => {
  const h = harness();
  const ws = live(h);
  const draws = h.charts.draws;
  h.controller.togglePause();
  assert.equal(h.page.paused, true);
  h.frame(); // the pause's own
  const demo = h.groups.get("demo");
  const [groupUpdates, agoTicks, trees, treeTicks, alertTicks, timeline, alerts] = [demo.updates.length, demo.agoTicks, h.trees, h.treeTicks, h.alertTicks, h.timeline, h.alerts];
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { a: [[T0, 2]] }, sources: [{ ...running("demo"), state: "backoff", restarts: 1 }],
    events: [{ kind: "supervision", ts: T0 + 1000, source: "demo", event: "crashed", error: "boom", restarts: 1 }] });
  const [allDirty, aged] = [h.charts.allDirty, h.charts.aged];
  h.intervals[0].fn(); // a second passes
  assert.deepEqual([h.charts.allDirty, h.charts.aged], [allDirty, aged], "the time axis stands still");
  assert.equal(h.frame(), 0, "the stream asks for no frame: a frame would show nothing of it");
  ws.recv({ type: "delta", seq: 6, ts: T0 + 1100, added: [series("c")] });
  assert.equal(h.frame(), 1, "a series come meets the reader's filter at once");
  assert.equal(updatesOf(h, "a"), 1);
  assert.equal(h.charts.draws, draws);
  assert.equal(demo.updates.length, groupUpdates, "the source's panel waits");
  assert.equal(demo.agoTicks, agoTicks, "its \"last success\" does not age");
  assert.deepEqual([h.trees, h.treeTicks, h.alertTicks], [trees, treeTicks, alertTicks], "nor the tree, nor the alerts");
  assert.equal(h.timeline, timeline, "the timeline waits");
  assert.equal(h.alerts, alerts);
  assert.equal(h.waiting, 1, "the pill counts what waits");
  assert.equal(h.controller.store.series.get("a").ring.length, 2, "data keeps coming");
  for (let i = 2; i <= PAUSED_COUNT_EVERY_S; i++) {
    ws.recv({ type: "delta", seq: 5 + i, ts: T0 + 1100 + i, points: { a: [[T0 + i, i]] } });
    h.intervals[0].fn();
  }
  assert.equal(h.waiting, 1, "the count is not written every second");
  ws.recv({ type: "delta", seq: 5 + PAUSED_COUNT_EVERY_S + 1, ts: T0 + 1200, points: { a: [[T0 + 100, 1]] } });
  h.intervals[0].fn();
  assert.equal(h.waiting, PAUSED_COUNT_EVERY_S + 2, "but every few seconds");

  h.controller.togglePause();
  assert.equal(h.page.paused, false);
  assert.equal(h.charts.allDirty, allDirty + 1);
  h.frame();
  assert.equal(updatesOf(h, "a"), 2);
  assert.equal(updatesOf(h, "b"), 2, "every card is redrawn");
  assert.equal(h.charts.draws, draws + 1);
  assert.equal(demo.updates.at(-1).src.state, "backoff", "the panel catches up in the same frame");
  assert.ok(h.trees > trees);
  assert.deepEqual(h.timeline.events.map((e) => e.kind), ["crash"]);
});

test("pause writes the relative times once, as of its time, and never again until resumed", () => {
  const h = harness();
  live(h);
  const demo = h.groups.get("demo");
  const hs = h.healths.get("demo");
  const before = [demo.agoTicks, h.treeTicks || 0, hs.ticks, h.alertTicks];
  h.controller.togglePause();
  const at = h.controller.clock();
  assert.deepEqual([demo.agoTicks, h.treeTicks, hs.ticks, h.alertTicks], before.map((n) => n + 1), "the panels, the tree, the health notes and the alerts, once");
  assert.equal(formatAgo(at - 16_000, at + 60_000), `16s ago, as of ${formatClock(at)}`, "what they wrote stays true while the page stands still");
  for (let i = 0; i < 5; i++) h.intervals[0].fn();
  h.frame();
  assert.deepEqual([demo.agoTicks, h.treeTicks, hs.ticks, h.alertTicks], before.map((n) => n + 1), "no write a second while paused");
  h.controller.togglePause();
  assert.equal(formatAgo(at - 16_000, at), "16s ago", "resumed: from now again");
  h.frame();
  h.intervals[0].fn();
  assert.deepEqual([demo.agoTicks, h.treeTicks, hs.ticks, h.alertTicks], before.map((n) => n + 1), "in the tick's frame, not before");
  h.frame();
  assert.deepEqual([demo.agoTicks, h.treeTicks, hs.ticks, h.alertTicks], before.map((n) => n + 2), "and every second");
});

test("pause holds the tree, the alerts panel and the timeline through alerts and a server's restart", () => {
  const h = harness();
  let ws = live(h);
  h.controller.togglePause();
  const demo = h.groups.get("demo");
  const before = { treeTicks: h.treeTicks, alertTicks: h.alertTicks, alerts: h.alerts, timeline: h.timeline };
  const al = { id: "al1", name: "HighA", state: "firing", severity: "warning", labels: { alertname: "HighA" }, annotations: {}, value: 9, series: "a", source: "demo", active_at: T0, fired_at: T0 + 500 };
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, alerts: [al], sources: [{ ...running("demo"), state: "backoff", restarts: 1 }],
    events: [{ kind: "alert", ts: T0 + 500, id: "al1", name: "HighA", event: "firing", severity: "warning", source: "demo", series: "a", from: "normal" }] });
  h.frame();
  assert.equal(demo.updates.at(-1).src.state, "running", "the panel waits");
  const trees = h.trees;
  ws.drop(); // the server went away
  h.intervals[0].fn();
  h.frame();
  // Paused or not, nothing is said to be running while away (issue 12, point 5).
  assert.equal(demo.updates.at(-1).src.state, "unknown");
  assert.equal(demo.updates.at(-1).src.stale, true, "its \"last success\" shown stale");
  assert.equal(h.healths.get("demo").updates.at(-1).stale, true);
  assert.equal(h.tree.state, "unknown");
  assert.equal(h.trees, trees + 1);
  assert.equal(h.alertsStale, true, "the alerts panel marked stale");
  assert.equal(h.page.overview.sources, "?/1");
  h.clock.advance(500);
  ws = h.ws();
  ws.open();
  ws.recv({ ...hello, instance: "b", started: T0 + 60_000 });
  ws.recv(snapshot(1, [series("a")]));
  h.intervals[0].fn();
  h.frame();
  assert.equal(demo.updates.at(-1).src.state, "running", "back: as it is, once");
  assert.equal(h.tree.state, "running");
  assert.equal(h.alertsStale, false);
  const now = { treeTicks: h.treeTicks, alertTicks: h.alertTicks, alerts: h.alerts, timeline: h.timeline };
  assert.deepEqual(now, before, "the tree's clock, the alerts and the timeline did not move");
  assert.equal(h.controller.timeline.events.length > 0, true, "what happened is kept for the resume");

  h.controller.togglePause();
  h.frame();
  assert.notEqual(h.alerts, before.alerts);
  const kinds = h.timeline.events.map((e) => e.kind);
  for (const k of ["server-restart", "alert-firing", "connection-lost", "connection-resumed"]) assert.ok(kinds.includes(k), `the timeline catches up: ${k}`);
});

test("paused, a delta's state change waits, but a lost connection shows it unknown at once", () => {
  const h = harness();
  const ws = live(h);
  h.controller.togglePause();
  const demo = h.groups.get("demo");
  const n = demo.updates.length;
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, sources: [{ ...running("demo"), state: "backoff" }] });
  h.frame();
  assert.equal(demo.updates.length, n, "no write per delta while paused");
  ws.drop();
  h.frame();
  assert.equal(demo.updates.length, n + 1, "one write for the lost connection");
  assert.equal(demo.updates.at(-1).src.state, "unknown");
  h.intervals[0].fn();
  h.frame();
  assert.equal(demo.updates.length, n + 1, "nothing more while away and paused");
});

test("the filter hides what does not match and says when nothing does", () => {
  const h = harness();
  const ws = live(h);
  ws.recv({ type: "delta", seq: 5, ts: T0, sources: [running("idle")] });
  h.frame();
  h.controller.setFilter("m_a");
  h.frame();
  assert.equal(h.cards.get("a").el.hidden, false);
  assert.equal(h.cards.get("b").el.hidden, true);
  assert.equal(h.groups.get("demo").el.hidden, false);
  assert.equal(h.groups.get("idle").el.hidden, true);
  assert.equal(h.page.empty.hidden, true);
  assert.ok(h.page.jumpSynced > 0, "the jump list follows the groups shown");
  assert.deepEqual(h.treeFilter, ["demo"], "and so does the tree");

  h.controller.setFilter("idle");
  h.frame();
  assert.equal(h.groups.get("idle").el.hidden, false, "a source matches by its name");
  assert.equal(h.groups.get("demo").el.hidden, true);
  assert.deepEqual(h.treeFilter, ["idle"]);

  h.controller.setFilter("zzz");
  h.frame();
  assert.deepEqual(h.page.empty, { hidden: false, text: "No source or metric matches “zzz”." });
  assert.deepEqual(h.treeFilter, [], "nothing matches: no source listed");
  h.controller.setFilter("");
  h.frame();
  assert.ok([...h.cards.values()].every((c) => !c.el.hidden));
  assert.equal(h.page.empty.hidden, true);
  assert.equal(h.treeFilter, null, "no filter: every source");
});

test("the chosen window is the address's, applied to cards and charts, and falls back to the server's first", () => {
  const h = harness({ href: "http://h/?window=5m" });
  const ws = live(h);
  assert.equal(h.page.windows.selected, "5m", "the address's choice");
  assert.equal(h.cards.get("a").updates[0].windowName, "5m");

  // Old enough data: the chart shows the whole window.
  ws.recv({ type: "delta", seq: 5, ts: T0 + 600_000, points: { a: [[T0 + 600_000, 1]] } });
  h.controller.selectWindow("1m");
  assert.equal(h.page.checked, "1m");
  assert.equal(h.replaced.at(-1), "/", "the server's first window is the default");
  h.frame();
  assert.deepEqual(h.cards.get("b").updates.at(-1), { windowName: "1m", spanMs: 60_000, points: 1 });
  assert.deepEqual(h.charts.entries.get(fam("a")).range(), [T0 + 540_000, T0 + 600_000]);

  const again = harness({ href: "http://h/?window=5m" });
  again.controller.start();
  again.ws().open();
  again.ws().recv({ ...hello, windows: ["10s", "1h"] });
  assert.equal(again.page.windows.selected, "10s", "a window the server no longer has");
  assert.equal(again.replaced.at(-1), "/", "and out of the address");
});

test("an earlier visit's view in storage does not leak into a bare address; only the theme is kept", () => {
  // What an earlier version kept of the view: window, collapsed sources, hidden zeros.
  const saved = JSON.stringify({ window: "5m", collapsed: { demo: true }, hideZero: true, theme: "dark" });
  const local = new MemoryStorage({ "pulseboard.ui": saved });
  const h = harness({ local });
  live(h);
  assert.equal(h.page.windows.selected, "1m");
  assert.equal(h.groups.get("demo").collapsed, false);
  assert.equal(h.page.hideZero, false);
  assert.deepEqual(h.replaced, [], "a bare address stays bare");
  assert.deepEqual(h.controller.prefs.values, { theme: "dark" });

  h.controller.selectWindow("5m");
  h.groups.get("demo").setCollapsed(true, true);
  h.controller.setHideZero(true);
  assert.equal(h.replaced.at(-1), "/?window=5m&collapsed=demo&zeros=hide", "this visit's choices: in the address");
  assert.deepEqual(JSON.parse(local.getItem("pulseboard.ui")), { theme: "dark" }, "and not in storage");
});

test("garbage in the saved preferences, or storage that refuses, is ignored", () => {
  for (const saved of ["{", "5", "null", "[]"]) {
    const local = new MemoryStorage({ "pulseboard.ui": saved });
    const h = harness({ local });
    live(h);
    assert.equal(h.page.windows.selected, "1m", saved);
    assert.deepEqual(h.controller.prefs.values, {}, saved);
    h.controller.prefs.set("theme", "dark");
    assert.deepEqual(JSON.parse(local.getItem("pulseboard.ui")), { theme: "dark" }, saved);
  }
  const refusing = new MemoryStorage();
  refusing.getItem = refusing.setItem = () => {
    throw new Error("QuotaExceededError");
  };
  const h = harness({ local: refusing });
  live(h);
  h.controller.selectWindow("5m");
  h.controller.prefs.set("theme", "dark");
  h.frame();
  assert.equal(h.cards.get("a").updates.at(-1).windowName, "5m", "the choice holds for the visit");
});

test("?admin= moves into the tab's storage and out of the address", () => {
  const session = new MemoryStorage();
  const h = harness({ href: "http://127.0.0.1:8080/?admin=s3cret&view=1#top", session });
  live(h);
  assert.deepEqual(h.replaced, ["/?view=1#top"], "the token out; the view is the default");
  assert.equal(session.getItem("pulseboard.admin"), "s3cret");
  assert.equal(h.page.admin, true);
  assert.equal(h.groups.get("demo").admin, true, "groups made later get the crash button");

  // A reload of the page finds it in the tab, not in the address.
  const again = harness({ session });
  again.controller.start();
  assert.deepEqual(again.replaced, []);
  assert.equal(again.controller.adminToken, "s3cret");
});

test("crash sends the token; a refused token is forgotten", async () => {
  let answer = { ok: true, status: 200, message: "" };
  const calls = [];
  const h = harness({ href: "http://h/?admin=s3cret", crash: async (name, token) => (calls.push([name, token]), answer) });
  live(h);
  const button = { disabled: false, textContent: "Crash demo", dataset: {} };
  await h.groups.get("demo").opts.onCrash("demo", button);
  assert.deepEqual(calls, [], "the first press of the session asks to confirm");
  assert.deepEqual(button, { disabled: false, textContent: "Really crash demo?", dataset: { confirm: "1" } });
  const pending = h.groups.get("demo").opts.onCrash("demo", button);
  assert.equal(button.disabled, true);
  assert.equal(button.textContent, "Crashing…");
  await pending;
  assert.deepEqual(calls, [["demo", "s3cret"]]);
  assert.deepEqual(button, { disabled: false, textContent: "Crash demo", dataset: {} });
  assert.deepEqual(h.toasts.at(-1), { text: "Crashed demo: watch the supervisor restart it.", kind: "ok" });

  answer = { ok: false, status: 500, message: "no such source" };
  await h.controller.crash("demo", button);
  assert.deepEqual(h.toasts.at(-1), { text: "Could not crash demo: no such source", kind: "error" }, "confirmed once a session: no second ask");
  assert.equal(h.controller.adminToken, "s3cret");

  answer = { ok: false, status: 401, message: "unauthorized" };
  await h.controller.crash("demo", button);
  assert.equal(h.toasts.at(-1).kind, "error");
  assert.equal(h.controller.adminToken, "");
  assert.equal(h.session.getItem("pulseboard.admin"), null);
  assert.equal(h.groups.get("demo").admin, false);
  assert.equal(h.page.admin, false);
  assert.equal(h.asked.length, 1, "asked for a token again");

  await h.controller.crash("demo", button);
  assert.equal(calls.length, 3, "no token, no request");
});

test("collapsing a group goes into the address and hides its charts; the tree reveals it", () => {
  const h = harness();
  live(h);
  const g = h.groups.get("demo");
  g.setCollapsed(true, true);
  assert.equal(h.replaced.at(-1), "/?collapsed=demo");
  assert.equal(h.charts.entries.get(fam("a")).hidden, true);

  const again = harness({ href: `http://h${h.replaced.at(-1)}` });
  live(again);
  assert.equal(again.groups.get("demo").collapsed, true);
  assert.equal(again.charts.entries.get(fam("b")).hidden, true);
  again.controller.revealSource("demo");
  assert.equal(again.groups.get("demo").collapsed, false);
  assert.equal(again.groups.get("demo").el.scrolled, 1);
  assert.equal(again.charts.entries.get(fam("b")).hidden, false);
  again.controller.revealSource("nope"); // not a source: nothing
});

test("a card out of sight keeps its text current at the clock's tick; only its chart waits to show", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv(snapshot(4, [series("a")]));
  h.frame();
  ws.recv({ type: "delta", seq: 5, ts: T0, added: [series("b")] });
  h.charts.entries.get(fam("b")).offscreen = true; // never on screen: the page opened elsewhere
  h.frame();
  assert.equal(updatesOf(h, "b"), 1, "written from its first data on");
  ws.recv({ type: "delta", seq: 6, ts: T0 + 1000, points: { b: [[T0 + 1000, 1]] } });
  ws.recv({ type: "delta", seq: 7, ts: T0 + 1500, points: { b: [[T0 + 1500, 2]] } });
  h.frame();
  assert.equal(updatesOf(h, "b"), 1, "not per delta");
  h.tick();
  h.frame();
  assert.equal(updatesOf(h, "b"), 2, "at the tick, in sight or not");
  assert.equal(h.cards.get("b").updates.at(-1).points, 3, "with what came since");
  assert.ok(h.charts.dirty.has(fam("b")), "its chart is marked, drawn when it shows (charts.js)");
  h.controller.selectWindow("5m");
  h.frame();
  assert.equal(h.cards.get("b").updates.at(-1).windowName, "5m", "a new window at once");

  // A collapsed group's cards are out of sight too, and kept current the same way.
  h.groups.get("demo").setCollapsed(true, true);
  ws.recv({ type: "delta", seq: 8, ts: T0 + 2000, points: { a: [[T0 + 2000, 3]] } });
  const before = updatesOf(h, "a");
  h.tick();
  h.frame();
  assert.equal(updatesOf(h, "a"), before + 1);
});

test("Hide zeros counts from the data, in sight or not: right at load, and unchanged by scrolling", () => {
  const h = harness({ href: "http://h/?zeros=hide" });
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  const zero = { "1m": { count: 3, min: 0, max: 0, mean: 0 } };
  const tiny = { "1m": { count: 3, min: 1e-7, max: 3e-7, mean: 2e-7 } };
  ws.recv(snapshot(4, [{ ...series("a"), windows: tiny }, { ...series("b"), windows: zero }, { ...series("c"), windows: zero }]));
  for (const id of ["b", "c"]) h.charts.entries.get(fam(id)).offscreen = true; // below the fold
  h.frame();
  assert.equal(h.page.filterCount, "1 of 3 series, 2 all-zero hidden", "before any scrolling");
  for (const id of ["b", "c"]) {
    h.charts.entries.get(fam(id)).offscreen = false; // scrolled to
    h.charts.opts.onShown?.(fam(id));
  }
  h.frame();
  assert.equal(h.page.filterCount, "1 of 3 series, 2 all-zero hidden", "nothing moves as they come into view");
  // A line that stops being zero is counted at the tick that brings it, out of sight too.
  h.charts.entries.get(fam("c")).offscreen = true;
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, windows: { c: tiny } });
  h.tick();
  h.frame();
  assert.equal(h.page.filterCount, "2 of 3 series, 1 all-zero hidden");
});

test("a hidden tab draws nothing, keeps the data, and catches up when shown", () => {
  const h = harness();
  const ws = live(h);
  const draws = h.charts.draws;
  const statusTicks = h.statusTicks;
  h.controller.setTabHidden(true);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { a: [[T0, 2]] }, sources: [{ ...running("demo"), polls: 3 }] });
  h.intervals[0].fn(); // a second passes
  const updates = h.groups.get("demo").updates.length;
  h.frame(); // a browser may still run a queued frame
  assert.equal(h.charts.draws, draws);
  assert.equal(updatesOf(h, "a"), 1);
  assert.equal(h.groups.get("demo").updates.length, updates, "no panel either");
  assert.equal(h.statusTicks, statusTicks, "no clock work");
  assert.equal(h.controller.store.series.get("a").ring.length, 2, "data keeps coming");

  const allDirty = h.charts.allDirty;
  h.controller.setTabHidden(false);
  assert.equal(h.charts.allDirty, allDirty + 1);
  assert.equal(h.frame(), 1, "one frame catches up");
  assert.equal(updatesOf(h, "a"), 2);
  assert.equal(h.charts.draws, draws + 1);
  assert.equal(h.groups.get("demo").updates.at(-1).src.polls, 3);
  h.controller.setTabHidden(false); // no change: nothing
  assert.equal(h.frame(), 0);
});

test("series of one metric share a card and a chart; the last one to go takes them away", () => {
  const h = harness();
  const ws = live(h);
  const cpu = (n) => ({ ...series(`cpu${n}`), metric: "cpu_percent", labels: { cpu: String(n) } });
  ws.recv({ type: "delta", seq: 5, ts: T0, added: [cpu(1), cpu(2)] });
  h.frame();
  const key = "demo\u0000cpu_percent";
  const card = h.cards.get("cpu1");
  assert.equal(card.id, key);
  assert.deepEqual([...card.lines.keys()], ["cpu1", "cpu2"]);
  assert.equal(h.cards.has("cpu2"), false, "no card of its own");
  assert.deepEqual([...h.charts.entries.keys()], [fam("a"), fam("b"), key]);
  assert.equal(h.charts.entries.get(key).data().length, 2, "a table per line");
  assert.equal(h.page.overview.series, "4", "series are counted, not cards");
  assert.ok(h.groups.get("demo").counted > 0);

  ws.recv({ type: "delta", seq: 6, ts: T0 + 1000, removed: ["cpu1"] });
  h.frame();
  assert.deepEqual([...card.lines.keys()], ["cpu2"]);
  assert.ok(h.charts.entries.has(key));
  ws.recv({ type: "delta", seq: 7, ts: T0 + 2000, removed: ["cpu2"] });
  h.frame();
  assert.equal(h.charts.entries.has(key), false);
  assert.equal(h.groups.get("demo").cards.has(key), false);
  assert.equal(h.controller.cards.has(key), false);
});

test("the all-zero switch goes into the address, hides zero lines from the charts, and a hover's end redraws", () => {
  const local = new MemoryStorage();
  const h = harness({ local });
  live(h);
  assert.equal(h.page.hideZero, false);
  h.cards.get("a").lines.get("a").zero = true;
  assert.deepEqual(h.charts.entries.get(fam("a")).lines(), [{ id: "a", name: "a", hidden: false }]);
  const allDirty = h.charts.allDirty;
  h.controller.setHideZero(true);
  assert.equal(h.page.hideZero, true);
  assert.equal(h.charts.allDirty, allDirty + 1);
  assert.deepEqual(h.charts.entries.get(fam("a")).lines(), [{ id: "a", name: "a", hidden: true }]);
  assert.equal(h.replaced.at(-1), "/?zeros=hide");
  assert.equal(local.getItem("pulseboard.ui"), null, "not kept in storage");
  const again = harness({ href: `http://h${h.replaced.at(-1)}` });
  again.controller.start();
  assert.equal(again.page.hideZero, true);

  h.frame();
  h.charts.dirty.clear();
  const spec = h.charts.entries.get(fam("b"));
  spec.onHover(5, new Map([["b", 1]]));
  assert.equal(h.frame(), 0, "hovering draws nothing more");
  spec.onHover(null, null);
  assert.deepEqual(h.cards.get("b").hovers.map((x) => x.x), [5, null]);
  assert.ok(h.charts.dirty.has(fam("b")));
  assert.equal(h.frame(), 1);
});

test("the filter matches labels as the chips show them, counts the series, and waits for the typing to pause", () => {
  const h = harness();
  const ws = live(h);
  const cpu = (id, n) => ({ ...series(id), metric: "cpu_percent", labels: { cpu: String(n) } });
  ws.recv({ type: "delta", seq: 5, ts: T0, added: [cpu("c0", 0), cpu("c1", 1), cpu("c10", 10)] });
  h.frame();
  h.controller.filterTyped("cpu=");
  h.controller.filterTyped("cpu=1");
  h.clock.advance(FILTER_DEBOUNCE_MS - 1);
  assert.equal(h.controller.filter, "", "not while typing");
  h.clock.advance(1);
  assert.equal(h.controller.filter, "cpu=1");
  h.frame();
  assert.equal(h.page.filterCount, "1 of 5 series", "cpu=1 is a label matcher: not cpu=10");
  assert.equal(h.cards.get("c0").el.hidden, false, "the cpu card shows");
  assert.equal(h.cards.get("a").el.hidden, true);
  h.controller.filterTyped('cpu="0"');
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "1 of 5 series", "as Prometheus writes it");
  h.controller.filterTyped('{cpu="1"}');
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "1 of 5 series", "the tooltip's own form");
  h.controller.filterTyped("cpu!=1");
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "4 of 5 series", "the series without a cpu label too, as in Prometheus");
  h.cards.get("c0").lines.get("c0").zero = true;
  h.controller.setHideZero(true);
  h.frame();
  assert.equal(h.page.filterCount, "3 of 5 series, 1 all-zero hidden", "Hide zeros on: an all-zero line is not shown, so not counted, and said hidden");
  h.controller.filterTyped("");
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "4 of 5 series, 1 all-zero hidden", "without a filter too: what Hide zeros hid is said");
  h.controller.filterTyped("cpu!=1");
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  h.controller.setHideZero(false);
  h.frame();
  assert.equal(h.page.filterCount, "4 of 5 series");
  h.controller.filterTyped('cpu=~"["');
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "4 of 5 series", "the last valid filter stays");
  assert.match(h.page.filterError, /^cpu=~"\[": not a valid regex/, "said, not thrown");
  h.controller.filterTyped("");
  h.clock.advance(FILTER_DEBOUNCE_MS);
  h.frame();
  assert.equal(h.page.filterCount, "");
});

test("a crash is confirmed once per source, and again for every source after the token changes", async () => {
  const calls = [];
  const h = harness({ href: "http://h/?admin=s3cret", crash: async (name) => (calls.push(name), { ok: true, status: 202, message: "" }) });
  live(h);
  const press = async (name) => {
    const button = { disabled: false, textContent: `Crash ${name}`, dataset: {} };
    await h.controller.crash(name, button);
    if (button.dataset.confirm === "1") {
      await h.controller.crash(name, button);
      return "asked";
    }
    return "at once";
  };
  assert.equal(await press("demo"), "asked");
  assert.equal(await press("demo"), "at once", "the same source, the same token: asked once");
  assert.equal(await press("spiky"), "asked", "another source asks for itself");
  assert.doesNotMatch(h.session.getItem("pulseboard.crash-confirmed"), /s3cret/, "the token is not kept twice");

  h.controller.admin.set("n3wtoken"); // a restarted server's token
  assert.equal(await press("demo"), "asked", "a new token asks again");
  assert.equal(await press("spiky"), "asked");
  assert.equal(await press("spiky"), "at once");
  assert.deepEqual(calls, ["demo", "demo", "spiky", "demo", "spiky", "spiky"]);

  h.session.setItem("pulseboard.crash-confirmed", "1"); // an older page's flag
  assert.equal(await press("demo"), "asked", "an unreadable record confirms nothing");
});

test("an unconfirmed crash press reverts after a while", async () => {
  const calls = [];
  const h = harness({ href: "http://h/?admin=s3cret", crash: async (name) => (calls.push(name), { ok: true, status: 202, message: "" }) });
  live(h);
  const button = { disabled: false, textContent: "Crash demo", dataset: {} };
  await h.controller.crash("demo", button);
  assert.equal(button.textContent, "Really crash demo?");
  h.clock.advance(CONFIRM_MS);
  assert.deepEqual(button, { disabled: false, textContent: "Crash demo", dataset: {} });
  assert.deepEqual(calls, []);
});

test("a token is checked when the page gets it: a refused one never shows the admin controls", async () => {
  const checks = [];
  const h = harness({ href: "http://h/?admin=wrongtoken123", checkAdmin: async (token) => (checks.push(token), "refused") });
  live(h);
  assert.deepEqual(checks, ["wrongtoken123"], "checked at start");
  assert.equal(h.page.admin, false, "no admin controls while the check is out");
  assert.equal(h.groups.get("demo").admin, false);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(h.controller.adminToken, "");
  assert.equal(h.session.getItem("pulseboard.admin"), null);
  assert.equal(h.page.admin, false);
  assert.equal(h.asked.length, 1, "asked for a new one");
  assert.equal(h.toasts.at(-1).kind, "error");
});

test("a token entered is checked; accepted, the admin controls show", async () => {
  const checks = [];
  let answer = "ok";
  const h = harness({ checkAdmin: async (token) => (checks.push(token), answer) });
  live(h);
  assert.deepEqual(checks, [], "no token, no check");
  h.controller.admin.set("good");
  assert.equal(h.page.admin, false);
  await Promise.resolve();
  assert.deepEqual(checks, ["good"]);
  assert.equal(h.page.admin, true);
  assert.equal(h.groups.get("demo").admin, true);

  // An answer for a token since replaced changes nothing.
  let release;
  answer = new Promise((r) => (release = r));
  h.controller.admin.set("slow");
  h.controller.admin.set("");
  release("ok");
  await answer;
  await Promise.resolve();
  assert.equal(h.page.admin, false);
  assert.equal(h.controller.adminToken, "");

  // The server could not say: the controls show, a refusal at use still counts.
  answer = "unknown";
  h.controller.admin.set("maybe");
  await Promise.resolve();
  assert.equal(h.page.admin, true);
});

test("a new server that refuses the admin token hides the admin controls and asks again", async () => {
  const checks = [];
  let answer = "ok";
  const h = harness({ href: "http://h/?admin=s3cret", checkAdmin: async (token) => (checks.push(token), answer) });
  let ws = live(h);
  await Promise.resolve();
  assert.deepEqual(checks, ["s3cret"], "checked when the page got it");
  assert.equal(h.page.admin, true);
  ws.drop();
  h.controller.retryNow();
  ws = h.ws();
  ws.open();
  ws.recv(hello);
  assert.equal(checks.length, 1, "the same server: no check");
  ws.drop();
  h.controller.retryNow();
  ws = h.ws();
  ws.open();
  ws.recv({ ...hello, instance: "b" });
  await Promise.resolve();
  assert.deepEqual(checks, ["s3cret", "s3cret"], "a new server: checked");
  assert.equal(h.controller.adminToken, "s3cret", "and accepted");
  ws.drop();
  h.controller.retryNow();
  ws = h.ws();
  ws.open();
  answer = "refused";
  ws.recv({ ...hello, instance: "c" });
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(checks.length, 3);
  assert.equal(h.controller.adminToken, "");
  assert.equal(h.page.admin, false);
  assert.equal(h.asked.length, 1);
  assert.equal(h.toasts.at(-1).kind, "error");
});

test("a source whose poll counters alone moved is shown at the clock's tick, a change of state at once", () => {
  const h = harness();
  const ws = live(h);
  const g = h.groups.get("demo");
  const before = g.updates.length;
  ws.recv({ type: "delta", seq: 5, ts: T0 + 100, sources: [{ ...running("demo"), polls: 3, poll_ms: 2 }] });
  h.frame();
  assert.equal(g.updates.length, before, "counters alone: no repaint of the panel at every delta");
  h.intervals[0].fn(); // a second passes
  h.frame();
  assert.equal(g.updates.length, before + 1);
  assert.equal(g.updates.at(-1).src.polls, 3);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 200, sources: [{ ...running("demo"), polls: 4, state: "backoff", restarts: 1 }] });
  h.frame();
  assert.equal(g.updates.length, before + 2, "a state changed: at once");
  assert.equal(g.updates.at(-1).src.state, "backoff");
});

test("an invalid filter marks the box, keeps the last valid filter applied, and leaves the address", () => {
  const h = harness();
  live(h);
  h.controller.setFilter("m_a");
  h.frame();
  assert.equal(h.page.filterError, "");
  for (const bad of ["{{", "{cpu=", 'cpu=~"["']) {
    h.controller.setFilter(bad);
    h.frame();
    assert.notEqual(h.page.filterError, "", bad);
    assert.equal(h.cards.get("b").el.hidden, true, `${bad}: m_a still applies`);
    assert.equal(h.cards.get("a").el.hidden, false, bad);
    assert.equal(h.replaced.at(-1), "/?filter=m_a", bad);
  }
  h.controller.setFilter("");
  assert.equal(h.page.filterError, "", "valid again");

  const shared = harness({ href: "http://h/?filter=%7B%7B" });
  live(shared);
  assert.equal(shared.page.filterShown, "{{", "shown in the box");
  assert.match(shared.page.filterError, /\{/);
  assert.deepEqual(shared.replaced, ["/"], "not applied: out of the address");
  assert.ok([...shared.cards.values()].every((c) => !c.el.hidden));
});
