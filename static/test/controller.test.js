import { test } from "node:test";
import assert from "node:assert/strict";
import { fam, T0, harness, hello, live, running, series, snapshot, updatesOf } from "./fakes/page.js";

// The page controller and the stream: messages applied, losses resynced,
// reconnects resumed, the clock. Fakes: test/fakes/page.js.

test("hello, snapshot and delta are applied and drawn in one frame per burst", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws?points=columns");
  ws.open();
  assert.deepEqual(ws.sent, [{ type: "resume", seq: 0 }]);
  ws.recv(hello);
  assert.equal(h.page.version, "v1.2.3");
  assert.deepEqual(h.page.windows, { names: ["1m", "5m"], selected: "1m" });
  assert.equal(h.statuses.at(-1).state, "connecting", "nothing current to show before the snapshot");
  assert.equal(h.controller.connection.state, "live");

  ws.recv(snapshot(4, [series("a"), series("b", { kind: "counter" })]));
  assert.equal(h.statuses.at(-1).state, "live");
  assert.deepEqual([...h.groups.keys()], ["demo"]);
  assert.deepEqual([...h.groups.get("demo").cards.keys()], [fam("a"), fam("b")]);
  assert.deepEqual([...h.charts.entries.keys()], [fam("a"), fam("b")]);
  assert.equal(h.frame(), 1);
  assert.equal(h.page.loading, false);
  assert.deepEqual(h.page.empty, { hidden: true, text: "No series yet." });
  assert.deepEqual(h.groups.get("demo").updates.at(-1).src, running("demo"));
  assert.equal(h.trees, 1);
  assert.deepEqual(h.cards.get("a").updates, [{ windowName: "1m", spanMs: 60_000, points: 1 }]);
  assert.equal(h.charts.draws, 1);
  assert.deepEqual(h.page.overview, { sources: "1/1", series: "2", points: "2", messages: "2" });
  assert.deepEqual(h.page.order, [h.groups.get("demo").el]);

  h.charts.dirty.clear();
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { a: [[T0, 2]] } });
  ws.recv({ type: "delta", seq: 6, ts: T0 + 2000, points: { a: [[T0 + 1000, 3]] } });
  assert.equal(h.frame(), 0, "new points alone wait for the clock's tick");
  h.tick();
  assert.equal(h.frame(), 1, "two deltas, one frame");
  assert.equal(h.controller.store.series.get("a").ring.length, 3);
  assert.equal(updatesOf(h, "a"), 2);
  assert.equal(updatesOf(h, "b"), 1, "an unchanged card is left alone");
  assert.ok(h.charts.dirty.has(fam("a")) && !h.charts.dirty.has(fam("b")));
  assert.equal(h.controller.messages, 4);

  // The chart of a counter asks for rates; the charts get their data and range from the store.
  const spec = h.charts.entries.get(fam("a"));
  assert.deepEqual(spec.data()[0][1], [1, 2, 3]);
  assert.deepEqual(spec.range(), [T0 + 2000 - 10_000, T0 + 2000], "young data: at least 10s shown");
});

test("new points wait for the clock's tick; a state change, a poll's counters and a series come are shown as they should", () => {
  const h = harness();
  const ws = live(h);
  h.charts.dirty.clear();
  ws.recv({ type: "delta", seq: 5, ts: T0 + 500, points: { a: [[T0, 2]] }, windows: { a: { "1m": { mean: 1.5 } } } });
  assert.equal(h.frame(), 0, "points and statistics alone: no frame of their own");
  assert.equal(updatesOf(h, "a"), 1);
  const trees = h.trees;
  ws.recv({ type: "delta", seq: 6, ts: T0 + 600, sources: [{ name: "demo", state: "running", restarts: 0, polls: 7 }] });
  assert.equal(h.frame(), 0, "a poll's counters alone wait for the tick too");
  assert.equal(h.trees, trees, "the tree as well");
  ws.recv({ type: "delta", seq: 7, ts: T0 + 700, sources: [{ name: "demo", state: "backoff", restarts: 1, polls: 7 }] });
  assert.equal(h.frame(), 1, "a state change: at once");
  assert.equal(h.groups.get("demo").updates.at(-1).src.state, "backoff");
  assert.equal(h.trees, trees + 1);
  assert.equal(updatesOf(h, "a"), 1, "its points still wait for the tick");
  assert.ok(!h.charts.dirty.has(fam("a")), "and so does its chart");
  ws.recv({ type: "delta", seq: 8, ts: T0 + 800, added: [series("c")] });
  assert.equal(h.frame(), 1, "a series come: at once");
  assert.ok(h.controller.cards.has(fam("c")));
  ws.recv({ type: "delta", seq: 9, ts: T0 + 900, points: { a: [[T0 + 500, 3]] } });
  ws.recv({ type: "delta", seq: 10, ts: T0 + 950, sources: [{ name: "demo", state: "backoff", restarts: 1, polls: 8 }] });
  assert.equal(h.frame(), 0);
  h.charts.dirty.clear();
  h.tick();
  assert.equal(h.frame(), 1, "the tick draws what waited");
  assert.equal(updatesOf(h, "a"), 2, "once for both deltas");
  assert.ok(h.charts.dirty.has(fam("a")), "and its chart");
  assert.equal(h.groups.get("demo").updates.at(-1).src.polls, 8);
});

test("a poll's counters leave the tree alone but for a source's first poll, which may show it down", () => {
  const h = harness();
  const ws = live(h);
  const src = (polls, up = false) => ({ name: "demo", state: "running", restarts: 0, up, polls });
  ws.recv({ type: "delta", seq: 5, ts: T0 + 100, sources: [src(0)] });
  h.frame();
  const trees = h.trees;
  ws.recv({ type: "delta", seq: 6, ts: T0 + 200, sources: [src(1)] });
  assert.equal(h.frame(), 0, "a first poll waits for the tick");
  h.tick();
  h.frame();
  assert.equal(h.trees, trees + 1, "and is shown then");
  const states = (n) => [n.state, ...n.children.flatMap(states)];
  assert.ok(states(h.tree).includes("down"), `a running source failing its polls is down: ${states(h.tree)}`);
  ws.recv({ type: "delta", seq: 7, ts: T0 + 300, sources: [src(2)] });
  h.tick();
  h.frame();
  assert.equal(h.trees, trees + 1, "more polls: the tree is left alone");
  assert.equal(h.groups.get("demo").updates.at(-1).src.polls, 2, "the source's panel is not");
});

test("a frame out of time leaves the cards and charts left to the next frame, at least one card a frame", async () => {
  const { FRAME_BUDGET_MS } = await import("../js/controller.js");
  let perf = 0;
  const h = harness({ perfNow: () => perf });
  const ws = live(h);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, added: [series("c"), series("d")] });
  h.frame();
  // Each card written takes the frame's whole budget.
  for (const c of h.cards.values()) {
    const update = c.update.bind(c);
    c.update = (...a) => ((perf += FRAME_BUDGET_MS + 1), update(...a));
  }
  ws.recv({ type: "delta", seq: 6, ts: T0 + 2000, points: { a: [[T0, 2]], b: [[T0, 2]], c: [[T0, 2]] } });
  const ids = ["a", "b", "c", "d"]; // c and d: their first points, come at the tick
  const before = ids.map((id) => updatesOf(h, id));
  const written = () => ids.filter((id, i) => updatesOf(h, id) > before[i]).length;
  h.tick();
  assert.equal(h.frame(), 1);
  assert.equal(written(), 1, "one card, then out of time");
  assert.equal(h.charts.due(), true, "the charts are told the time is up");
  for (let n = 2; n <= ids.length; n++) {
    assert.equal(h.frame(), 1, "the next frame goes on");
    assert.equal(written(), n);
  }
  assert.equal(h.frame(), 0, "all done: no frame more");
  h.charts.behind = true;
  h.controller.requestFrame();
  assert.equal(h.frame(), 1);
  assert.equal(h.frames.length, 1, "charts left to draw: another frame");
});

test("before the first snapshot the pill says connecting and the tree's states are unknown, not running", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  h.frame();
  assert.equal(h.statuses.at(-1).state, "connecting");
  const states = (n) => [n.state, ...n.children.flatMap(states)];
  assert.ok(h.tree, "the tree is drawn");
  assert.ok(!states(h.tree).includes("running"), `no node says running: ${states(h.tree)}`);
  ws.recv(snapshot(4, [series("a")]));
  h.frame();
  assert.equal(h.statuses.at(-1).state, "live");
  assert.ok(states(h.tree).includes("running"), "the snapshot's states");
  assert.equal(h.groups.get("demo").updates.at(-1).src.state, "running");

  // A resumed stream needs no new snapshot: live at its hello.
  ws.drop();
  h.controller.retryNow();
  const again = h.ws();
  again.open();
  again.recv(hello);
  assert.equal(h.statuses.at(-1).state, "live");
});

test("a gap in the deltas asks for a resync and applies nothing until its answer", () => {
  const h = harness();
  const ws = live(h);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 1000, points: { a: [[T0, 9]] } }); // 5 was lost
  assert.deepEqual(ws.sent.at(-1), { type: "resume", seq: 4 });
  assert.equal(h.controller.store.series.get("a").ring.length, 1, "the delta after the gap is not applied");
  assert.equal(h.frame(), 0);
  ws.recv({ type: "delta", seq: 6, from: 5, ts: T0 + 1000, points: { a: [[T0, 9]] } });
  h.tick();
  h.frame();
  assert.equal(h.controller.store.series.get("a").last[1], 9);
  assert.equal(updatesOf(h, "a"), 2);
});

test("a new server instance resyncs from scratch and its snapshot replaces the page", () => {
  const h = harness();
  let ws = live(h);
  ws.drop();
  assert.equal(h.controller.connection.state, "reconnecting");
  h.clock.advance(500);
  ws = h.ws();
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws?points=columns&resume=4");
  ws.open();
  ws.recv({ ...hello, instance: "b" }); // restarted: its seq 4 is not ours
  assert.deepEqual(ws.sent, [{ type: "resume", seq: 0 }]);
  ws.recv({ type: "delta", seq: 5, ts: T0, points: { a: [[T0, 7]] } }); // sent before our request
  assert.equal(h.controller.store.series.get("a").ring.length, 1);
  ws.recv(snapshot(2, [series("c", { source: "other" })], [running("other")]));
  h.frame();
  assert.deepEqual([...h.controller.cards.keys()], [fam("c", "other")]);
  assert.deepEqual([...h.charts.entries.keys()], [fam("c", "other")]);
  assert.equal(h.groups.get("demo").el.removed, true, "a group without source or cards goes");
  assert.deepEqual([...h.controller.groups.keys()], ["other"]);
  assert.equal(h.page.overview.sources, "1/1");
});

test("a lost connection reconnects, resumes and carries on", () => {
  const h = harness();
  let ws = live(h);
  h.clock.advance(3000);
  ws.drop();
  const s = h.statuses.at(-1);
  assert.equal(s.state, "reconnecting");
  assert.equal(s.retryAt, h.clock.now + 500);
  h.controller.retryNow(); // the "Retry now" button
  ws = h.ws();
  assert.equal(h.sockets.length, 2);
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws?points=columns&resume=4");
  ws.open();
  assert.deepEqual(ws.sent, [], "resumed by the URL");
  ws.recv(hello);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { b: [[T0, 5]] } });
  h.frame();
  assert.equal(h.controller.connection.state, "live");
  assert.deepEqual([...h.controller.cards.keys()], [fam("a"), fam("b")], "no card twice");
  assert.equal(h.controller.store.series.get("b").last[1], 5);
  assert.equal(h.page.windows.selected, "1m");
});

test("sources leave with their group; reloads show a notice and mark the charts", () => {
  const h = harness();
  const ws = live(h);
  const allDirty = h.charts.allDirty;
  ws.recv({
    type: "delta",
    seq: 5,
    ts: T0 + 1000,
    removed: ["a", "b"],
    sources_removed: ["demo"],
    events: [{ kind: "reload", ts: T0 + 1000, ok: true, removed: ["demo"] }],
  });
  h.frame();
  assert.equal(h.groups.get("demo").el.removed, true);
  assert.equal(h.controller.groups.size, 0);
  assert.equal(h.charts.entries.size, 0);
  assert.deepEqual(h.notices.map((e) => [e.kind, e.removed]), [["reload", ["demo"]]]);
  assert.ok(h.charts.allDirty > allDirty);
  assert.equal(h.page.overview.sources, "0/0");
  assert.equal(h.page.overview.series, "0");
});

test("the clock ticks the status, notices and ago times, and trims every ten seconds", () => {
  const h = harness();
  live(h);
  assert.equal(h.intervals.length, 1);
  assert.equal(h.intervals[0].ms, 1000);
  const st = h.controller.store.series.get("a");
  // Points older than the history go at the next trim.
  h.controller.store.now = T0 + 900_000 + 1;
  for (let i = 0; i < 9; i++) {
    h.intervals[0].fn();
    h.frame();
  }
  assert.equal(st.ring.length, 1);
  h.intervals[0].fn();
  assert.equal(st.ring.length, 0);
  assert.equal(h.statusTicks, 9, "the countdowns and ages are written in the tick's frame");
  assert.equal(h.frame(), 1);
  assert.equal(h.statusTicks, 10);
  assert.equal(h.noticeTicks, 10);
  assert.equal(h.groups.get("demo").agoTicks, 10);
  assert.equal(h.page.overview.points, "0");
});

test("a series going stale, then live, redraws its chart and card", () => {
  const h = harness();
  const ws = live(h);
  h.charts.dirty.clear();
  // Stale for longer than a lone failed poll (down.js STALE_HOLD_MS): its card says so at once.
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: {}, windows: {}, stale: { a: T0 - 1100 } });
  h.tick();
  h.frame();
  assert.equal(h.controller.store.series.get("a").staleSince, T0 - 1100);
  assert.ok(h.charts.dirty.has(fam("a")) && !h.charts.dirty.has(fam("b")));
  assert.equal(updatesOf(h, "a"), 2);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 2000, points: {}, windows: {}, stale: { a: 0 } });
  h.tick();
  h.frame();
  assert.equal(h.controller.store.series.get("a").staleSince, 0);
  assert.equal(updatesOf(h, "a"), 3);
});

test("a zoom shows one range on every chart and stops the live edge; back to live follows it again", () => {
  const h = harness();
  live(h);
  const spec = h.charts.entries.get(fam("a"));
  const liveRange = spec.range();
  h.charts.opts.onZoom(T0 - 5000, T0 - 1000);
  assert.deepEqual(h.page.zoom, [T0 - 5000, T0 - 1000]);
  assert.equal(h.charts.opts.zoomed(), true);
  assert.deepEqual(spec.range(), [T0 - 5000, T0 - 1000]);
  assert.deepEqual(h.charts.entries.get(fam("b")).range(), [T0 - 5000, T0 - 1000], "every chart");
  const [dirty, aged] = [h.charts.allDirty, h.charts.aged];
  h.intervals[0].fn();
  assert.deepEqual([h.charts.allDirty, h.charts.aged], [dirty, aged], "a zoomed chart does not move with the clock");
  h.charts.opts.onZoom(T0, T0 - 1000);
  assert.deepEqual(h.page.zoom, [T0 - 5000, T0 - 1000], "an empty range is no zoom");
  h.charts.opts.onLive();
  assert.equal(h.page.zoom, null);
  assert.equal(h.controller.zoom, null);
  assert.deepEqual(spec.range(), liveRange);
  assert.ok(h.charts.allDirty > dirty, "live again: every chart redrawn");
  h.intervals[0].fn();
  assert.equal(h.charts.aged, aged + 1, "and the clock moves the charts");
  assert.ok(h.charts.agedMs > 0 && h.charts.agedMs < 1000, "those not drawn within the tick's second");
});

const sup = (ts, event, o = {}) => ({ kind: "supervision", ts, source: "demo", event, restarts: 0, ...o });

test("the timeline: a crash and its restart, a reload, the connection lost and resumed, a new server", () => {
  const h = harness();
  let ws = live(h);
  assert.deepEqual(h.timeline, { events: [], sources: ["demo"], selected: "" });
  const allDirty = h.charts.allDirty;
  ws.recv({
    type: "delta", seq: 5, ts: T0 + 1000,
    sources: [{ name: "demo", state: "backoff", restarts: 0, last_error: "panic: boom" }],
    events: [sup(T0 + 900, "crashed", { error: "panic: boom" }), sup(T0 + 900, "restarting", { delay_ms: 800, retry_at: T0 + 1700 })],
  });
  assert.equal(h.charts.allDirty, allDirty, "a source's crash redraws its own charts, not every chart");
  assert.deepEqual([...new Set(h.charts.markedSources)], ["demo"]);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 2000, sources: [{ name: "demo", state: "running", restarts: 1, last_error: "panic: boom" }], events: [sup(T0 + 1700, "started", { restarts: 1 })] });
  ws.recv({ type: "delta", seq: 7, ts: T0 + 3000, events: [{ kind: "reload", ts: T0 + 3000, ok: false, errors: ["x.yaml:1:1: bad"] }] });
  h.frame();
  assert.deepEqual(h.timeline.events.map((e) => [e.kind, e.source, e.ts]), [
    ["reload-refused", "", T0 + 3000],
    ["restart", "demo", T0 + 1700],
    ["backoff", "demo", T0 + 900],
    ["crash", "demo", T0 + 900],
  ], "the server's times");
  assert.equal(h.timeline.events[2].retryAt, T0 + 1700);
  assert.equal(h.timeline.events[3].detail, "panic: boom");
  assert.ok(h.charts.allDirty > allDirty, "a marked entry redraws the charts");
  assert.deepEqual(h.charts.opts.markers("demo").map((m) => m.kind), ["crash", "reload-refused"]);
  assert.deepEqual(h.charts.opts.markers("other").map((m) => m.kind), ["reload-refused"], "a source's crash is on its own charts");
  assert.equal(h.healths.get("demo").updates.at(-1).src.restarts, 1, "the group's history note follows");
  assert.equal(h.groups.get("demo").updates.at(-1).crashAt, T0 + 900, "the group's title says when it last crashed");
  assert.equal(h.treeCrashAt("demo"), T0 + 900, "and so does its tree node");
  assert.equal(h.treeCrashAt("other"), 0);

  h.controller.setTimelineSource("demo");
  h.frame();
  assert.equal(h.timeline.selected, "demo");

  ws.drop();
  h.clock.advance(500);
  ws = h.ws();
  ws.open();
  ws.recv({ ...hello, instance: "b", started: T0 + 60_000 });
  ws.recv(snapshot(1, [series("a")]));
  h.frame();
  assert.deepEqual(
    h.timeline.events.map((e) => e.kind),
    ["server-restart", "reload-refused", "restart", "backoff", "crash", "connection-resumed", "connection-lost"],
  );
  assert.equal(h.timeline.events[0].ts, T0 + 60_000, "when the new server started, not when the old one was last heard of");
  assert.equal(h.timeline.events.at(-1).ts, 1_000_000, "lost when the stream went stale");
  assert.deepEqual(h.charts.opts.markers("other").map((m) => m.kind), ["connection-lost", "reload-refused", "server-restart"], "on every chart");
});

test("a page opened later lists what the snapshot's events tell, once each across resyncs; no banner for old news", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  const events = [
    sup(T0 - 50_000, "crashed", { error: "panic: fault injected", restarts: 5 }),
    sup(T0 - 50_000, "parked", { error: "panic: fault injected", restarts: 6, delay_ms: 60_000, retry_at: T0 + 10_000 }),
    { kind: "reload", ts: T0 - 40_000, ok: true, message: "config reloaded", changed: ["demo"] },
  ];
  const snap = { ...snapshot(4, [series("a")], [{ name: "demo", state: "failed", restarts: 6 }]), events };
  ws.recv(snap);
  h.frame();
  assert.deepEqual(h.timeline.events.map((e) => [e.kind, e.ts]), [["reload", T0 - 40_000], ["parked", T0 - 50_000], ["crash", T0 - 50_000]]);
  assert.deepEqual(h.notices, [], "a reload of before the page opened is not a banner");
  assert.deepEqual(h.charts.opts.markers("demo").map((m) => m.kind), ["crash", "parked", "reload"], "the markers of a past crash");
  const parked = h.healths.get("demo").updates.at(-1).parked;
  assert.equal(parked.retryAt, T0 + 10_000, "the group is told when it is retried");

  // A resync: the snapshot repeats them, with one more.
  ws.recv({ type: "delta", seq: 7, ts: T0 + 1000 }); // a gap
  ws.recv({ ...snap, seq: 9, events: [...events, sup(T0 + 10_000, "started", { restarts: 7 })] });
  h.frame();
  assert.deepEqual(h.timeline.events.map((e) => e.kind), ["restart", "reload", "parked", "crash"], "each once");
});

test("a reload that changed a source: stopped, then started again", () => {
  const h = harness();
  const ws = live(h);
  ws.recv({
    type: "delta", seq: 5, ts: T0 + 1000,
    events: [sup(T0 + 900, "stopped"), sup(T0 + 901, "started"), { kind: "reload", ts: T0 + 901, ok: true, message: "config reloaded", changed: ["demo"] }],
  });
  h.frame();
  assert.deepEqual(h.timeline.events.map((e) => [e.kind, e.text]), [["reload", "config reloaded: changed demo"], ["started", "started"], ["stopped", "stopped"]]);
});

test("while disconnected, states are unknown and times stale; back live, as they are", () => {
  const h = harness();
  const ws = live(h);
  const trees = [];
  h.controller.deps.tree.update = (root) => trees.push(root);
  ws.drop();
  h.frame();
  const g = h.groups.get("demo");
  assert.equal(g.updates.at(-1).src.state, "unknown");
  assert.equal(g.updates.at(-1).src.stale, true, "its times shown stale");
  assert.equal(h.healths.get("demo").updates.at(-1).stale, true, "its note without countdowns");
  assert.equal(h.controller.store.sources.get("demo").state, "running", "the store keeps what it knew");
  assert.equal(trees.at(-1).state, "unknown");
  assert.ok(trees.at(-1).children.every((c) => c.state === "unknown"));
  assert.equal(h.page.overview.sources, "?/1");
  assert.ok(h.cards.size > 0 && [...h.cards.values()].every((c) => c.offline), "the cards' figures marked stale");
  h.clock.now = T0 + 60_000;
  assert.equal(h.controller.clock(), T0 + 60_000, "the page's clock while away");
  h.controller.retryNow();
  h.ws().open();
  h.ws().recv(hello);
  h.frame();
  assert.equal(g.updates.at(-1).src.state, "running");
  assert.equal(h.healths.get("demo").updates.at(-1).stale, false);
  assert.equal(trees.at(-1).state, "running");
  assert.equal(h.page.overview.sources, "1/1");
  assert.ok([...h.cards.values()].every((c) => !c.offline), "the cards' figures current again");
});

test("the tree's storage node reaches the banners after the delta's events: a page opened while the disk fails is told", () => {
  const h = harness();
  const told = [];
  h.controller.deps.notices.show = (ev) => told.push(`${ev.kind} ${ev.ok}`);
  h.controller.deps.notices.storageState = (s) => told.push(`tree ${s}`);
  const tree = (state) => ({
    name: "root",
    state: "running",
    children: [
      { name: "aggregator", state: "running" },
      { name: "collectors", state: "running" },
      { name: "storage", state },
    ],
  });
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv({ ...snapshot(4, [series("a")]), tree: tree("degraded") });
  assert.deepEqual(told, ["tree degraded"]);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, tree: tree("running"), events: [{ kind: "storage", ts: T0 + 900, ok: true }] });
  assert.deepEqual(told, ["tree degraded", "storage true", "tree running"]);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 2000, points: { a: [[T0 + 1500, 2]] } });
  assert.equal(told.length, 3, "no tree, nothing told");
});
