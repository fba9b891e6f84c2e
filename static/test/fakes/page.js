// Fakes for the page controller's tests: the controller runs against the
// real store and stream client, with a fake WebSocket and clock under the
// client and fakes for everything that draws, each recording what the page
// would have shown. Not a test file itself: static/node_test.go runs only
// test/*.test.js.

import { saveToken } from "../../js/admin.js";
import { PageController } from "../../js/controller.js";
import { familyKey, isAllZero } from "../../js/family.js";
import { setAgoAsOf } from "../../js/format.js";
import { StreamClient } from "../../js/socket.js";

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

export class MemoryStorage {
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
  const classes = new Set();
  return {
    classList: { add: (c) => classes.add(c), contains: (c) => classes.has(c) },
    focused: 0,
    focus() {
      this.focused++;
    },
    hidden: false,
    removed: false,
    scrolled: 0,
    dataset: {},
    attrs: {},
    remove() {
      this.removed = true;
    },
    scrollIntoView() {
      this.scrolled++;
    },
    setAttribute(k, v) {
      this.attrs[k] = String(v);
    },
    ...extra,
  };
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
    update(src, now, crashAt) {
      this.src = src;
      this.updates.push({ src, now, crashAt });
    },
    updateAgo() {
      this.agoTicks++;
    },
    alert: undefined,
    showAlert(a) {
      this.alert = a;
    },
    counted: 0,
    place(card) {
      this.cards.set(card.id, card);
    },
    refreshCount() {
      this.counted++;
    },
    drop(id) {
      this.cards.delete(id);
    },
  };
}

// As SeriesCard: one card per metric family, a line per series.
function fakeCard(st, opts) {
  return {
    id: familyKey(st),
    source: st.source,
    metric: st.metric,
    unit: { rate: st.kind === "counter" },
    chart: {},
    el: fakeEl(),
    opts,
    lines: new Map([[st.id, { st, hidden: false, zero: false }]]),
    updates: [],
    hovers: [],
    alerts: null,
    offline: false,
    setOffline(offline) {
      this.offline = offline;
    },
    showAlerts(byLine) {
      this.alerts = byLine;
    },
    get size() {
      return this.lines.size;
    },
    add(s) {
      this.lines.set(s.id, { st: s, hidden: false, zero: false });
    },
    remove(id) {
      this.lines.delete(id);
      return this.lines.size;
    },
    drawnLines() {
      return [...this.lines.values()];
    },
    chartLines(hideZero) {
      return this.drawnLines().map((l) => ({ id: l.st.id, name: l.st.id, hidden: l.hidden || (hideZero && l.zero) }));
    },
    lineTexts() {
      // As SeriesCard: the labels as chips and as Prometheus writes them.
      const labels = (st) => Object.entries(st.labels).flatMap(([k, v]) => [`${k}=${v}`, `${k}="${v}"`]);
      return [...this.lines.values()].map((l) => [this.source, this.metric, ...labels(l.st)]);
    },
    lineItems() {
      const texts = this.lineTexts();
      return [...this.lines.values()].map((l, i) => ({ source: this.source, metric: this.metric, labels: l.st.labels, texts: texts[i] }));
    },
    zeroLines() {
      return [...this.lines.values()].map((l) => l.zero);
    },
    filtered: null,
    filterLines(matches) {
      this.filtered = matches;
    },
    // Statistics over a history range, when given, are kept apart.
    ranges: [],
    // As SeriesCard: whether each line is all zero, from its window's
    // statistics; it returns whether that changed for any.
    update(windowName, spanMs, now, range) {
      let points = 0;
      let flipped = false;
      for (const l of this.lines.values()) {
        points += l.st.ring.length;
        const zero = isAllZero((l.st.windows || {})[windowName], l.st.kind === "counter");
        flipped ||= zero !== l.zero;
        l.zero = zero;
      }
      this.updates.push({ windowName, spanMs, points });
      if (range) this.ranges.push({ windowName, spanMs, range });
      return flipped;
    },
    hover(x, ys) {
      this.hovers.push({ x, ys });
    },
  };
}

function fakeCharts() {
  return {
    entries: new Map(),
    dirty: new Set(),
    allDirty: 0,
    aged: 0,
    draws: 0,
    add(id, spec) {
      this.entries.set(id, { ...spec, hidden: false, offscreen: false });
    },
    isShown(id) {
      const e = this.entries.get(id);
      return !!e && !e.hidden && !e.offscreen;
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
    // The sources of the new markers that redrew charts, in order (a marker of none redraws all).
    markMarkersDirty(marks) {
      for (const m of marks) (this.markedSources ||= []).push(m.source || "");
      if (marks.some((m) => !m.source)) this.allDirty++;
    },
    // The clock's: what it asked last, and how often.
    markAged(ms) {
      this.aged++;
      this.agedMs = ms;
    },
    // As ChartManager: a chart out of a collapsed group and in view is shown.
    setHidden(id, hidden) {
      const e = this.entries.get(id);
      if (!e || e.hidden === hidden) return;
      e.hidden = hidden;
      if (!hidden && !e.offscreen && this.opts.onShown) this.opts.onShown(id);
    },
    draw(due) {
      this.draws++;
      this.due = due;
    },
    // As ChartManager: whether a frame out of time left charts to draw (tests set behind).
    waiting() {
      return !!this.behind;
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
    range: undefined,
    checkRange(choice) {
      this.range = choice;
    },
    hideZero: null,
    showHideZero(on) {
      this.hideZero = on;
    },
    zoom: null,
    filterShown: "",
    showFilter(text) {
      this.filterShown = text;
    },
    showZoom(range) {
      this.zoom = range;
    },
    showPaused(p, waiting = 0) {
      this.paused = p;
      this.waiting = waiting;
    },
    showAdmin(on) {
      this.admin = on;
    },
    reveal(el) {
      el.scrolled++;
    },
    jumpSynced: 0,
    syncJump() {
      this.jumpSynced++;
    },
    orderGroups(els, parts) {
      this.order = els;
      this.parts = parts;
    },
    filterError: "",
    showFilterError(message) {
      this.filterError = message;
    },
    filterCount: "",
    showFilterCount(text) {
      this.filterCount = text;
    },
    showEmpty(hidden, text) {
      this.empty = { hidden, text };
    },
    showLoading(shown) {
      this.loading = shown;
    },
    treeSummary: "",
    treeSources: 0,
    showTreeSummary(text, sources) {
      this.treeSummary = text;
      this.treeSources = sources;
    },
    showOverview(ov) {
      this.overview = ov;
    },
  };
}

/**
 * harness builds a controller over fakes; href is the page's address,
 * local and session its storages. perfNow is the frames' clock: by default
 * one that stands still, so that a frame never runs out of its budget
 * (FRAME_BUDGET_MS) because the test process was starved of its core (a
 * loaded CI run left a card for the next frame); a test of the budget
 * passes its own.
 */
export function harness({ href = "http://127.0.0.1:8080/", local = new MemoryStorage(), session = new MemoryStorage(), crash, checkAdmin, perfNow = () => 0 } = {}) {
  setAgoAsOf(0); // a page starts live: a test that left one paused does not carry over
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
    // The end of the span of the past the pill says the page shows, 0 while live.
    pastEnd: 0,
    notices: [],
    noticeTicks: 0,
    storageStates: [],
    trees: 0,
    toasts: [],
    asked: [],
    crashes: [],
    groups: new Map(),
    healths: new Map(),
    timeline: null,
    alerts: null,
    alertTicks: 0,
    cards: new Map(),
    charts: null,
    page: fakePage(),
    ws: () => sockets[sockets.length - 1],
    /** tick runs the page's once-a-second clock once (new points and statistics are drawn at its frame). */
    tick() {
      for (const i of h.intervals) i.fn();
    },
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
      ask(why) {
        h.asked.push(why);
        this.set("");
      },
    }),
    checkAdmin,
    group: (name, opts) => {
      const g = fakeGroup(name, opts);
      h.groups.set(name, g);
      return g;
    },
    card: (st, opts) => {
      const c = fakeCard(st, opts);
      h.cards.set(st.id, c);
      return c;
    },
    tree: {
      update: (root, crashAt) => (h.trees++, (h.tree = root), (h.treeCrashAt = crashAt)),
      tick: (now) => (h.treeTicks = (h.treeTicks || 0) + 1),
      filterSources: (names) => (h.treeFilter = names && [...names]),
    },
    timeline: {
      show: (events, sources, selected, cuts) => {
        h.timeline = { events, sources, selected, ...(cuts && cuts.length ? { cuts } : {}) };
      },
    },
    health: (g) => {
      const hs = { updates: [], ticks: 0, update: (src, now, parked, stale, held) => hs.updates.push({ src, now, ...(parked ? { parked } : {}), stale: !!stale, ...(held !== undefined ? { held } : {}) }), tick: () => hs.ticks++ };
      h.healths.set(g.name, hs);
      return hs;
    },
    alerts: {
      show: (list, now) => {
        h.alerts = { list, now };
      },
      tick: () => h.alertTicks++,
      setStale: (stale) => (h.alertsStale = stale),
    },
    status: { show: (s) => h.statuses.push(s), tick: () => h.statusTicks++, showPast: (end) => (h.pastEnd = end), showPaused: (paused, waiting) => (h.waiting = paused ? waiting : -1) },
    notices: { show: (ev) => h.notices.push(ev), tick: () => h.noticeTicks++, storageState: (s) => h.storageStates.push(s) },
    page: h.page,
    requestFrame: (fn) => h.frames.push(fn),
    setInterval: (fn, ms) => h.intervals.push({ fn, ms }),
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    crash: crash || (async (name, token) => (h.crashes.push({ name, token }), { ok: true, status: 200, message: "" })),
    toast: (text, kind) => h.toasts.push({ text, kind }),
    now: () => clock.now,
    perfNow,
  });
  return h;
}

export const T0 = 1_700_000_000_000;

export function series(id, { source = "demo", kind = "gauge", points = [[T0 - 1000, 1]] } = {}) {
  return { id, source, metric: `m_${id}`, labels: {}, kind, last: points[points.length - 1] || null, windows: {}, points };
}

export const hello = { type: "hello", version: "1.2.3", windows: ["1m", "5m"], history_seconds: 900, instance: "a" };
export const running = (name) => ({ name, state: "running", restarts: 0 });

export function snapshot(seq, list, sources = [running("demo")]) {
  return { type: "snapshot", seq, ts: T0, sources, series: list };
}

/** live starts the page and brings it to an applied snapshot of seq 4 with series a and b. */
export function live(h) {
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv(snapshot(4, [series("a"), series("b")]));
  h.frame();
  return ws;
}

export const updatesOf = (h, id) => h.cards.get(id).updates.length;

/** fam is the family key of a fake series: its source and metric m_<id>. */
export const fam = (id, source = "demo") => `${source}\u0000m_${id}`;
