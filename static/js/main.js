// The dashboard page: wires the stream, the store and the views together.
//
// How it works: messages are applied to the store at once (it is cheap and
// keeps the state exact); what they changed is recorded in dirty sets, and
// one requestAnimationFrame callback turns those into DOM and chart work,
// so a burst of deltas costs one redraw, and a hidden tab costs none.

import { AdminControl, crashSource, takeToken } from "./admin.js";
import { SeriesCard } from "./cards.js";
import { ChartManager } from "./charts.js";
import { h, setText, toast } from "./dom.js";
import { windowMs } from "./format.js";
import { NoticeView } from "./notice.js";
import { matchesFilter } from "./protocol.js";
import { StreamClient } from "./socket.js";
import { SourceGroup } from "./sources.js";
import { Store } from "./store.js";
import { TreeView } from "./tree.js";
import { StatusView } from "./status.js";

const $ = (id) => document.getElementById(id);
const MIN_SPAN_MS = 10_000;
// A counter's charted rate is taken over at least this span (see Ring.series).
const RATE_SPAN_MS = 2_000;
const TRIM_EVERY_S = 10;

const prefs = loadPrefs();
const store = new Store();
/** @type {Map<string, SourceGroup>} */
const groups = new Map();
/** @type {Map<string, SeriesCard>} */
const cards = new Map();
const dirty = { cards: new Set(), sources: new Set(), tree: true, filter: true, overview: true };
const ui = { windowName: prefs.window || "", paused: false, filter: "", admin: "", messages: 0, haveSnapshot: false };

const charts = new ChartManager({ requestFrame, markers: () => store.markers.list });
const tree = new TreeView($("tree"));
const status = new StatusView({ pill: $("conn"), text: $("conn-text"), banner: $("stale"), bannerText: $("stale-text") });
const notices = new NoticeView($("notices"));

// ---- admin ----

const admin = new AdminControl({
  button: $("admin-toggle"),
  form: $("admin-form"),
  input: $("admin-token"),
  signed: $("admin-signed"),
  forget: $("admin-forget"),
  storage: sessionStorage,
  onChange(token) {
    ui.admin = token;
    document.body.classList.toggle("has-admin", !!token);
    for (const g of groups.values()) g.setAdmin(!!token);
  },
});
admin.set(takeToken({ location, history, storage: sessionStorage }));

async function crash(name, button) {
  if (!ui.admin) return;
  button.disabled = true;
  setText(button, "Crashing…");
  const r = await crashSource(name, ui.admin);
  button.disabled = false;
  setText(button, "Crash");
  if (r.ok) {
    toast(`Crashed ${name}: watch the supervisor restart it.`, "ok");
  } else if (r.status === 401 || r.status === 403) {
    toast("The admin token was refused. Enter it again.", "error");
    admin.set("");
  } else {
    toast(`Could not crash ${name}: ${r.message}`, "error");
  }
}

// ---- header controls ----

const pauseBtn = $("pause");
pauseBtn.addEventListener("click", () => {
  ui.paused = !ui.paused;
  pauseBtn.setAttribute("aria-pressed", String(ui.paused));
  setText(pauseBtn.querySelector(".btn-label"), ui.paused ? "Resume" : "Pause");
  document.body.classList.toggle("is-paused", ui.paused);
  if (!ui.paused) {
    for (const id of cards.keys()) dirty.cards.add(id);
    charts.markAllDirty();
  }
  requestFrame();
});

$("filter").addEventListener("input", (ev) => {
  ui.filter = ev.target.value;
  dirty.filter = true;
  requestFrame();
});

$("retry").addEventListener("click", () => client.retryNow());

function renderWindows() {
  const box = $("windows");
  const names = store.windows.length ? store.windows : [];
  if (!names.includes(ui.windowName)) ui.windowName = names[0] || "";
  box.replaceChildren(
    ...names.map((name) => {
      const b = h("button", { type: "button", role: "radio", "aria-checked": String(name === ui.windowName), dataset: { window: name } }, name);
      b.addEventListener("click", () => selectWindow(name));
      return b;
    }),
  );
}

function selectWindow(name) {
  ui.windowName = name;
  prefs.window = name;
  savePrefs();
  for (const b of $("windows").children) b.setAttribute("aria-checked", String(b.dataset.window === name));
  for (const id of cards.keys()) dirty.cards.add(id);
  charts.markAllDirty();
  requestFrame();
}

$("tree").addEventListener("click", (ev) => {
  const node = ev.target.closest(".node.is-source");
  const g = node && groups.get(node.dataset.source);
  if (!g) return;
  if (g.collapsed) g.setCollapsed(false, true);
  g.el.scrollIntoView({ behavior: "smooth", block: "start" });
});

// ---- applying the stream ----

function onMessage(msg) {
  ui.messages++;
  switch (msg.type) {
    case "hello":
      store.hello(msg);
      setText($("version"), /^\d/.test(store.version) ? `v${store.version}` : store.version);
      renderWindows();
      return;
    case "snapshot":
      ui.haveSnapshot = true;
      apply(store.snapshot(msg));
      return;
    case "delta":
      apply(store.delta(msg));
  }
}

function apply(ch) {
  for (const id of ch.removed) removeCard(id);
  for (const id of ch.added) addCard(store.series.get(id));
  for (const id of ch.points) {
    charts.markDirty(id);
    dirty.cards.add(id);
  }
  for (const id of ch.windows) dirty.cards.add(id);
  for (const name of ch.sourcesRemoved) {
    const g = groups.get(name);
    if (g && !ch.sources.has(name)) {
      g.el.remove();
      groups.delete(name);
      dirty.sources.delete(name);
    }
  }
  for (const name of ch.sources) {
    group(name);
    dirty.sources.add(name);
  }
  if (ch.reset) {
    for (const [name, g] of groups) {
      if (!store.sources.has(name) && g.cards.size === 0) {
        g.el.remove();
        groups.delete(name);
      }
    }
    orderGroups();
  }
  if (ch.tree) dirty.tree = true;
  for (const ev of ch.events) if (ev.kind === "reload") notices.show(ev);
  if (ch.markers) charts.markAllDirty();
  if (ch.reset || ch.added.length || ch.removed.length || ch.sources.size || ch.sourcesRemoved.length) {
    dirty.overview = true;
  }
  requestFrame();
}

function group(name) {
  let g = groups.get(name);
  if (g) return g;
  g = new SourceGroup(name, {
    color: groups.size,
    collapsed: !!(prefs.collapsed && prefs.collapsed[name]),
    onCrash: crash,
    onToggle(n, collapsed) {
      prefs.collapsed = { ...prefs.collapsed, [n]: collapsed || undefined };
      savePrefs();
      for (const id of g.cards.keys()) charts.setHidden(id, collapsed);
    },
  });
  g.setAdmin(!!ui.admin);
  groups.set(name, g);
  orderGroups();
  dirty.sources.add(name);
  dirty.filter = true;
  return g;
}

// orderGroups keeps the groups in the server's order of sources.
function orderGroups() {
  const box = $("groups");
  const names = [...store.sources.keys()];
  for (const name of groups.keys()) if (!names.includes(name)) names.push(name);
  for (const name of names) {
    const g = groups.get(name);
    if (g && box.lastElementChild !== g.el) box.append(g.el);
  }
}

function addCard(st) {
  if (!st || cards.has(st.id)) return;
  const card = new SeriesCard(st);
  const g = group(st.source);
  cards.set(st.id, card);
  g.place(card);
  charts.add(st.id, {
    el: card.chart,
    unit: card.unit,
    color: Number(g.el.dataset.color),
    data: () => chartData(st.id),
    range: () => chartRange(store.series.get(st.id)),
    onHover: (i, x, y) => card.hover(x, y),
  });
  charts.setHidden(st.id, g.collapsed);
  dirty.cards.add(st.id);
  dirty.filter = true;
}

function removeCard(id) {
  const card = cards.get(id);
  if (!card) return;
  charts.remove(id);
  const g = groups.get(card.source);
  if (g) g.drop(id);
  cards.delete(id);
  dirty.cards.delete(id);
}

// chartRange is the time span a chart shows: the chosen window, ending at
// the server's latest time, narrowed to the data while there is less of
// it (a page opened on a fresh server is not a mostly empty chart).
function chartRange(st) {
  const now = store.now || Date.now();
  const span = windowMs(ui.windowName) || store.historyMs;
  let from = now - span;
  const first = st ? st.ring.firstTime() : NaN;
  if (first > from) from = Math.min(first, now - MIN_SPAN_MS);
  return [from, now];
}

function chartData(id) {
  const st = store.series.get(id);
  const card = cards.get(id);
  if (!st || !card) return [[], []];
  return st.ring.series(chartRange(st)[0], card.unit.rate ? RATE_SPAN_MS : 0);
}

// ---- the frame ----

let frameQueued = false;

function requestFrame() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(frame);
}

function frame() {
  frameQueued = false;
  for (const name of dirty.sources) {
    const g = groups.get(name);
    if (g) g.update(store.sources.get(name), store.now || Date.now());
  }
  dirty.sources.clear();
  if (dirty.tree) {
    tree.update(store.tree());
    dirty.tree = false;
  }
  if (dirty.filter) {
    applyFilter();
    dirty.filter = false;
  }
  if (!ui.paused) {
    for (const id of dirty.cards) {
      const card = cards.get(id);
      const st = store.series.get(id);
      if (card && st) card.update(st, ui.windowName, windowMs(ui.windowName) || store.historyMs);
    }
    dirty.cards.clear();
    charts.draw();
  }
  if (dirty.overview) {
    renderOverview();
    dirty.overview = false;
  }
}

function applyFilter() {
  let shown = 0;
  for (const g of groups.values()) {
    let n = 0;
    for (const card of g.cards.values()) {
      const ok = matchesFilter(ui.filter, card.filterTexts());
      card.el.hidden = !ok;
      if (ok) n++;
    }
    g.el.hidden = n === 0 && !matchesFilter(ui.filter, [g.name]);
    shown += n;
  }
  const empty = $("empty");
  empty.hidden = !ui.haveSnapshot || shown > 0 || (!ui.filter && cards.size === 0 && groups.size > 0);
  setText(empty, ui.filter ? `No source or metric matches “${ui.filter}”.` : "No series yet.");
  $("loading").hidden = ui.haveSnapshot;
}

const nf = new Intl.NumberFormat("en-US");

function renderOverview() {
  let running = 0;
  for (const s of store.sources.values()) if (s.state === "running") running++;
  setText($("ov-sources"), `${running}/${store.sources.size}`);
  setText($("ov-series"), nf.format(cards.size));
  setText($("ov-points"), nf.format(store.pointCount()));
  setText($("ov-messages"), nf.format(ui.messages));
}

// ---- clock, theme, lifecycle ----

let ticks = 0;
setInterval(() => {
  ticks++;
  status.tick();
  notices.tick();
  const now = store.now || Date.now();
  for (const g of groups.values()) g.updateAgo(null, now);
  if (ticks % TRIM_EVERY_S === 0) store.trimAll();
  if (!ui.paused) charts.markAllDirty(); // keep the time axis moving
  dirty.overview = true; // points held and messages: once a second is enough
  requestFrame();
}, 1000);

matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => charts.rethemed());

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const client = new StreamClient({
  url: `${scheme}//${location.host}/ws`,
  onMessage,
  onStatus: (s) => status.show(s),
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") client.retryNow();
});
addEventListener("online", () => client.retryNow());
client.start();

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem("pulseboard.ui") || "{}") || {};
  } catch {
    return {};
  }
}

function savePrefs() {
  try {
    localStorage.setItem("pulseboard.ui", JSON.stringify(prefs));
  } catch {
    // Storage full or refused: preferences are a convenience.
  }
}
