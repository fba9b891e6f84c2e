import { test } from "node:test";
import assert from "node:assert/strict";
import { saveToken } from "../js/admin.js";
import { PageController } from "../js/controller.js";
import { StreamClient } from "../js/socket.js";

// The controller runs here against the real store and stream client, with
// a fake WebSocket and clock under the client and fakes for everything
// that draws: each fake records what the page would have shown.

class FakeClock {
  constructor() {
    this.now = 1_000_000;
    this.timers = new Map();
    this.next = 1;
  }
  setTimeout = (fn, ms) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  };
  clearTimeout = (id) => this.timers.delete(id);
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let due = null;
      for (const [id, t] of this.timers) if (t.at <= end && (!due || t.at < due[1].at)) due = [id, t];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
}

class MemoryStorage {
  constructor(entries = {}) {
    this.m = new Map(Object.entries(entries));
  }
  getItem(k) {
    return this.m.has(k) ? this.m.get(k) : null;
  }
  setItem(k, v) {
    this.m.set(k, String(v));
  }
  removeItem(k) {
    this.m.delete(k);
  }
}

function fakeEl(extra = {}) {
  return { hidden: false, removed: false, scrolled: 0, dataset: {}, remove() { this.removed = true; }, scrollIntoView() { this.scrolled++; }, ...extra };
}

function fakeGroup(name, opts) {
  return {
    name,
    opts,
    el: fakeEl({ dataset: { color: String(opts.color % 8) } }),
    cards: new Map(),
    collapsed: opts.collapsed,
    admin: null,
    updates: [],
    agoTicks: 0,
    setAdmin(on) {
      this.admin = on;
    },
    setCollapsed(c, byUser) {
      this.collapsed = c;
      if (byUser) opts.onToggle(name, c);
    },
    update(src, now) {
      this.updates.push({ src, now });
    },
    updateAgo() {
      this.agoTicks++;
    },
    place(card) {
      this.cards.set(card.id, card);
    },
    drop(id) {
      this.cards.delete(id);
    },
  };
}

function fakeCard(st) {
  return {
    id: st.id,
    source: st.source,
    metric: st.metric,
    unit: { rate: st.kind === "counter" },
    chart: {},
    el: fakeEl(),
    updates: [],
    filterTexts() {
      return [this.source, this.metric, ""];
    },
    update(s, windowName, spanMs) {
      this.updates.push({ windowName, spanMs, points: s.ring.length });
    },
    hover() {},
  };
}

function fakeCharts() {
  return {
    entries: new Map(),
    dirty: new Set(),
    allDirty: 0,
    draws: 0,
    add(id, spec) {
      this.entries.set(id, { ...spec, hidden: false });
    },
    remove(id) {
      this.entries.delete(id);
    },
    markDirty(id) {
      this.dirty.add(id);
    },
    markAllDirty() {
      this.allDirty++;
    },
    setHidden(id, hidden) {
      const e = this.entries.get(id);
      if (e) e.hidden = hidden;
    },
    draw() {
      this.draws++;
    },
  };
}

function fakePage() {
  return {
    version: null,
    windows: null,
    checked: null,
    paused: false,
    admin: null,
    order: [],
    empty: null,
    loading: true,
    overview: null,
    showVersion(v) {
      this.version = v;
    },
    showWindows(names, selected) {
      this.windows = { names, selected };
    },
    checkWindow(name) {
      this.checked = name;
    },
    showPaused(p) {
      this.paused = p;
    },
    showAdmin(on) {
      this.admin = on;
    },
    orderGroups(els) {
      this.order = els;
    },
    showEmpty(hidden, text) {
      this.empty = { hidden, text };
    },
    showLoading(shown) {
      this.loading = shown;
    },
    showOverview(ov) {
      this.overview = ov;
    },
  };
}

/**
 * harness builds a controller over fakes; href is the page's address,
 * local and session its storages.
 */
function harness({ href = "http://127.0.0.1:8080/", local = new MemoryStorage(), session = new MemoryStorage(), crash } = {}) {
  const clock = new FakeClock();
  const sockets = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.readyState = 0;
      sockets.push(this);
    }
    send(data) {
      this.sent.push(JSON.parse(data));
    }
    close() {
      this.readyState = 3;
      if (this.onclose) this.onclose({ code: 1000 });
    }
    open() {
      this.readyState = 1;
      this.onopen();
    }
    recv(msg) {
      this.onmessage({ data: JSON.stringify(msg) });
    }
    drop() {
      this.readyState = 3;
      this.onclose({ code: 1006 });
    }
  }
  const u = new URL(href);
  const h = {
    clock,
    sockets,
    local,
    session,
    replaced: [],
    frames: [],
    intervals: [],
    statuses: [],
    statusTicks: 0,
    notices: [],
    noticeTicks: 0,
    trees: 0,
    toasts: [],
    crashes: [],
    groups: new Map(),
    cards: new Map(),
    charts: null,
    page: fakePage(),
    ws: () => sockets[sockets.length - 1],
    /** frame runs the pending animation frames; it returns how many ran. */
    frame() {
      const fns = h.frames.splice(0);
      for (const fn of fns) fn();
      return fns.length;
    },
  };
  h.controller = new PageController({
    location: { protocol: u.protocol, host: u.host, href },
    history: { state: null, replaceState: (s, t, url) => h.replaced.push(url) },
    session,
    local,
    socket: (opts) =>
      new StreamClient({
        ...opts,
        WebSocket: FakeWS,
        now: () => clock.now,
        random: () => 1,
        setTimeout: clock.setTimeout,
        clearTimeout: clock.clearTimeout,
      }),
    charts: (opts) => {
      h.charts = { ...fakeCharts(), opts };
      return h.charts;
    },
    // As AdminControl.set: keep the token in the tab's storage, tell the page.
    admin: (onChange) => ({
      set(token) {
        saveToken(session, token);
        onChange(token);
      },
    }),
    group: (name, opts) => {
      const g = fakeGroup(name, opts);
      h.groups.set(name, g);
      return g;
    },
    card: (st) => {
      const c = fakeCard(st);
      h.cards.set(st.id, c);
      return c;
    },
    tree: { update: () => h.trees++ },
    status: { show: (s) => h.statuses.push(s), tick: () => h.statusTicks++ },
    notices: { show: (ev) => h.notices.push(ev), tick: () => h.noticeTicks++ },
    page: h.page,
    requestFrame: (fn) => h.frames.push(fn),
    setInterval: (fn, ms) => h.intervals.push({ fn, ms }),
    crash: crash || (async (name, token) => (h.crashes.push({ name, token }), { ok: true, status: 200, message: "" })),
    toast: (text, kind) => h.toasts.push({ text, kind }),
    now: () => clock.now,
  });
  return h;
}

const T0 = 1_700_000_000_000;

function series(id, { source = "demo", kind = "gauge", points = [[T0 - 1000, 1]] } = {}) {
  return { id, source, metric: `m_${id}`, labels: {}, kind, last: points[points.length - 1] || null, windows: {}, points };
}

const hello = { type: "hello", version: "1.2.3", windows: ["1m", "5m"], history_seconds: 900, instance: "a" };
const running = (name) => ({ name, state: "running", restarts: 0 });

function snapshot(seq, list, sources = [running("demo")]) {
  return { type: "snapshot", seq, ts: T0, sources, series: list };
}

/** live starts the page and brings it to an applied snapshot of seq 4 with series a and b. */
function live(h) {
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv(snapshot(4, [series("a"), series("b")]));
  h.frame();
  return ws;
}

const updatesOf = (h, id) => h.cards.get(id).updates.length;

test("hello, snapshot and delta are applied and drawn in one frame per burst", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws");
  ws.open();
  assert.deepEqual(ws.sent, [{ type: "resume", seq: 0 }]);
  ws.recv(hello);
  assert.equal(h.page.version, "v1.2.3");
  assert.deepEqual(h.page.windows, { names: ["1m", "5m"], selected: "1m" });
  assert.equal(h.statuses.at(-1).state, "live");
  assert.equal(h.controller.connection.state, "live");

  ws.recv(snapshot(4, [series("a"), series("b", { kind: "counter" })]));
  assert.deepEqual([...h.groups.keys()], ["demo"]);
  assert.deepEqual([...h.groups.get("demo").cards.keys()], ["a", "b"]);
  assert.deepEqual([...h.charts.entries.keys()], ["a", "b"]);
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
  assert.equal(h.frame(), 1, "two deltas, one frame");
  assert.equal(h.controller.store.series.get("a").ring.length, 3);
  assert.equal(updatesOf(h, "a"), 2);
  assert.equal(updatesOf(h, "b"), 1, "an unchanged card is left alone");
  assert.ok(h.charts.dirty.has("a") && !h.charts.dirty.has("b"));
  assert.equal(h.controller.messages, 4);

  // The chart of a counter asks for rates; the charts get their data and range from the store.
  const spec = h.charts.entries.get("a");
  assert.deepEqual(spec.data()[1], [1, 2, 3]);
  assert.deepEqual(spec.range(), [T0 + 2000 - 10_000, T0 + 2000], "young data: at least 10s shown");
});

test("a gap in the deltas asks for a resync and applies nothing until its answer", () => {
  const h = harness();
  const ws = live(h);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 1000, points: { a: [[T0, 9]] } }); // 5 was lost
  assert.deepEqual(ws.sent.at(-1), { type: "resume", seq: 4 });
  assert.equal(h.controller.store.series.get("a").ring.length, 1, "the delta after the gap is not applied");
  assert.equal(h.frame(), 0);
  ws.recv({ type: "delta", seq: 6, from: 5, ts: T0 + 1000, points: { a: [[T0, 9]] } });
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
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws?resume=4");
  ws.open();
  ws.recv({ ...hello, instance: "b" }); // restarted: its seq 4 is not ours
  assert.deepEqual(ws.sent, [{ type: "resume", seq: 0 }]);
  ws.recv({ type: "delta", seq: 5, ts: T0, points: { a: [[T0, 7]] } }); // sent before our request
  assert.equal(h.controller.store.series.get("a").ring.length, 1);
  ws.recv(snapshot(2, [series("c", { source: "other" })], [running("other")]));
  h.frame();
  assert.deepEqual([...h.controller.cards.keys()], ["c"]);
  assert.deepEqual([...h.charts.entries.keys()], ["c"]);
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
  assert.equal(ws.url, "ws://127.0.0.1:8080/ws?resume=4");
  ws.open();
  assert.deepEqual(ws.sent, [], "resumed by the URL");
  ws.recv(hello);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { b: [[T0, 5]] } });
  h.frame();
  assert.equal(h.controller.connection.state, "live");
  assert.deepEqual([...h.controller.cards.keys()], ["a", "b"], "no card twice");
  assert.equal(h.controller.store.series.get("b").last[1], 5);
  assert.equal(h.page.windows.selected, "1m");
});

test("pause stops the card and chart work, and resuming catches up", () => {
  const h = harness();
  const ws = live(h);
  const draws = h.charts.draws;
  h.controller.togglePause();
  assert.equal(h.page.paused, true);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { a: [[T0, 2]] }, sources: [{ ...running("demo"), polls: 3 }] });
  const allDirty = h.charts.allDirty;
  h.intervals[0].fn(); // a second passes
  assert.equal(h.charts.allDirty, allDirty, "the time axis stands still");
  h.frame();
  assert.equal(updatesOf(h, "a"), 1);
  assert.equal(h.charts.draws, draws);
  assert.equal(h.groups.get("demo").updates.at(-1).src.polls, 3, "source panels stay current");
  assert.equal(h.controller.store.series.get("a").ring.length, 2, "data keeps coming");

  h.controller.togglePause();
  assert.equal(h.page.paused, false);
  assert.equal(h.charts.allDirty, allDirty + 1);
  h.frame();
  assert.equal(updatesOf(h, "a"), 2);
  assert.equal(updatesOf(h, "b"), 2, "every card is redrawn");
  assert.equal(h.charts.draws, draws + 1);
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

  h.controller.setFilter("idle");
  h.frame();
  assert.equal(h.groups.get("idle").el.hidden, false, "a source matches by its name");
  assert.equal(h.groups.get("demo").el.hidden, true);

  h.controller.setFilter("zzz");
  h.frame();
  assert.deepEqual(h.page.empty, { hidden: false, text: "No source or metric matches “zzz”." });
  h.controller.setFilter("");
  h.frame();
  assert.ok([...h.cards.values()].every((c) => !c.el.hidden));
  assert.equal(h.page.empty.hidden, true);
});

test("the chosen window is kept, applied to cards and charts, and falls back to the server's first", () => {
  const local = new MemoryStorage({ "pulseboard.ui": JSON.stringify({ window: "5m" }) });
  const h = harness({ local });
  const ws = live(h);
  assert.equal(h.page.windows.selected, "5m", "the saved choice");
  assert.equal(h.cards.get("a").updates[0].windowName, "5m");

  // Old enough data: the chart shows the whole window.
  ws.recv({ type: "delta", seq: 5, ts: T0 + 600_000, points: { a: [[T0 + 600_000, 1]] } });
  h.controller.selectWindow("1m");
  assert.equal(h.page.checked, "1m");
  assert.equal(JSON.parse(local.getItem("pulseboard.ui")).window, "1m");
  h.frame();
  assert.deepEqual(h.cards.get("b").updates.at(-1), { windowName: "1m", spanMs: 60_000, points: 1 });
  assert.deepEqual(h.charts.entries.get("a").range(), [T0 + 540_000, T0 + 600_000]);

  const again = harness({ local });
  again.controller.start();
  again.ws().open();
  again.ws().recv({ ...hello, windows: ["10s", "1h"] });
  assert.equal(again.page.windows.selected, "10s", "a window the server no longer has");
});

test("garbage in the saved preferences is ignored", () => {
  for (const saved of ["{", "5", "null", "[]"]) {
    const h = harness({ local: new MemoryStorage({ "pulseboard.ui": saved }) });
    live(h);
    assert.equal(h.page.windows.selected, "1m", saved);
    h.controller.selectWindow("5m");
  }
});

test("?admin= moves into the tab's storage and out of the address", () => {
  const session = new MemoryStorage();
  const h = harness({ href: "http://127.0.0.1:8080/?admin=s3cret&view=1#top", session });
  live(h);
  assert.deepEqual(h.replaced, ["/?view=1#top"]);
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
  const button = { disabled: false, textContent: "Crash" };
  const pending = h.groups.get("demo").opts.onCrash("demo", button);
  assert.equal(button.disabled, true);
  assert.equal(button.textContent, "Crashing…");
  await pending;
  assert.deepEqual(calls, [["demo", "s3cret"]]);
  assert.deepEqual(button, { disabled: false, textContent: "Crash" });
  assert.deepEqual(h.toasts.at(-1), { text: "Crashed demo: watch the supervisor restart it.", kind: "ok" });

  answer = { ok: false, status: 500, message: "no such source" };
  await h.controller.crash("demo", button);
  assert.deepEqual(h.toasts.at(-1), { text: "Could not crash demo: no such source", kind: "error" });
  assert.equal(h.controller.adminToken, "s3cret");

  answer = { ok: false, status: 401, message: "unauthorized" };
  await h.controller.crash("demo", button);
  assert.equal(h.toasts.at(-1).kind, "error");
  assert.equal(h.controller.adminToken, "");
  assert.equal(h.session.getItem("pulseboard.admin"), null);
  assert.equal(h.groups.get("demo").admin, false);
  assert.equal(h.page.admin, false);

  await h.controller.crash("demo", button);
  assert.equal(calls.length, 3, "no token, no request");
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

test("collapsing a group is remembered and hides its charts; the tree reveals it", () => {
  const local = new MemoryStorage();
  const h = harness({ local });
  live(h);
  const g = h.groups.get("demo");
  g.setCollapsed(true, true);
  assert.deepEqual(JSON.parse(local.getItem("pulseboard.ui")).collapsed, { demo: true });
  assert.equal(h.charts.entries.get("a").hidden, true);

  const again = harness({ local });
  live(again);
  assert.equal(again.groups.get("demo").collapsed, true);
  assert.equal(again.charts.entries.get("b").hidden, true);
  again.controller.revealSource("demo");
  assert.equal(again.groups.get("demo").collapsed, false);
  assert.equal(again.groups.get("demo").el.scrolled, 1);
  assert.equal(again.charts.entries.get("b").hidden, false);
  again.controller.revealSource("nope"); // not a source: nothing
});

test("the clock ticks the status, notices and ago times, and trims every ten seconds", () => {
  const h = harness();
  live(h);
  assert.equal(h.intervals.length, 1);
  assert.equal(h.intervals[0].ms, 1000);
  const st = h.controller.store.series.get("a");
  // Points older than the history go at the next trim.
  h.controller.store.now = T0 + 900_000 + 1;
  for (let i = 0; i < 9; i++) h.intervals[0].fn();
  assert.equal(st.ring.length, 1);
  h.intervals[0].fn();
  assert.equal(st.ring.length, 0);
  assert.equal(h.statusTicks, 10);
  assert.equal(h.noticeTicks, 10);
  assert.equal(h.groups.get("demo").agoTicks, 10);
  assert.equal(h.frame(), 1);
  assert.equal(h.page.overview.points, "0");
});
