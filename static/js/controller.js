// The page's controller: what the dashboard does with the stream and the
// reader's choices, with everything it touches handed in, so that Node can
// run it against fakes (test/controller.test.js) and main.js only wires the
// real browser objects to it.
//
// How it works: messages are applied to the store at once (it is cheap and
// keeps the state exact); what they changed is recorded in dirty sets, and
// one animation-frame callback turns those into DOM and chart work, so a
// burst of deltas costs one redraw. What the reader cannot see costs
// nothing but its text: a card off screen or in a collapsed group keeps
// its figures current, its chart is drawn when it shows, a paused page
// changes nothing but its connection pill and how many updates wait (the
// reader's own filter and zoom aside, and the states shown unknown while
// the connection is lost) and catches up at once on resume, and a hidden
// tab draws nothing at all and catches up in one frame when it is shown
// again. Sequence numbers, resumes and resyncs are the socket's
// (socket.js): it hands on only messages that apply, in order.
//
// Beside it: the reader's choices are choices.js (methods of this class),
// the cards families.js, the admin token and crashes adminflow.js, the
// overview and the filter's count summary.js, what happened timeline.js,
// the alerts alerts.js (the panel alertsview.js), the history range
// rangeflow.js, the frame and the clock's tick pageframe.js.

import { takeToken } from "./admin.js";
import { AdminFlow } from "./adminflow.js";
import { pageAlerts } from "./alertflow.js";
import { windowMs } from "./format.js";
import { Families } from "./families.js";
import { pageRanges } from "./rangeflow.js";
import { RangeLoader } from "./rangeloader.js";
import { Prefs } from "./prefs.js";
import { Store } from "./store.js";
import { clusterNodes, nodeState } from "./treemodel.js";
import { groupByNode } from "./nodes.js";
import { StateHold, heldTree } from "./hold.js";
import { unknownSource, unknownTree } from "./summary.js";
import { asWritten, readTarget, readView, viewURL } from "./urlstate.js";
import { Timeline, alertEvent, connectionEvent, reloadEvent, serverEvent, serverRestartEvent, sourceEvent, storageEvent, supervisionEvent } from "./timeline.js";

export { FRAME_BUDGET_MS, PAUSED_COUNT_EVERY_S } from "./pageframe.js";
import { readerChoices } from "./choices.js";
import { pageFrame } from "./pageframe.js";

export { CONFIRM_MS } from "./adminflow.js";
export { FILTER_DEBOUNCE_MS } from "./choices.js";

export class PageController {
  /** @param {import("./deps.js").PageDeps} deps */
  constructor(deps) {
    this.deps = deps;
    this.now = deps.now || Date.now;
    this.store = deps.store || new Store();
    this.prefs = new Prefs(deps.local);
    /** @type {Map<string, import("./sources.js").SourceGroup>} */
    this.groups = new Map();
    this.hideZero = false;
    this.dirty = { connection: false, sources: new Set(), tree: true, filter: true, overview: true, timeline: true, alerts: true, alertCards: new Set(), alertsStale: false, ago: false };
    /**
     * waiting is what changed in figures only, brought up to date at the
     * next tick (flushWaiting): sources whose poll counters alone moved
     * (and the tree with them), alerts whose value alone moved (their
     * cards, sources and the panel).
     */
    this.waiting = { sources: new Set(), tree: false, alerts: false, alertCards: new Set() };
    this.timeline = new Timeline();
    this.timelineSource = "";
    /** @type {Map<string, ReturnType<import("./deps.js").PageDeps["health"]>>} by source */
    this.health = new Map();
    /** a backoff held in view for a moment (hold.js) */
    this.hold = new StateHold();
    this.windowName = "";
    this.paused = false;
    this.tabHidden = false;
    this.filter = "";
    /** @type {Set<string>|null} the sources the filter shows (applyFilter); null: no filter */
    this.filterShown = null;
    /** @type {Set<string>} the sources the address collapses (start) */
    this.urlCollapsed = new Set();
    /** @type {[number, number]|null} the range every chart is zoomed to, unix ms; null: live */
    this.zoom = null;
    /** @type {import("./rangechoice.js").RangeChoice|null} the history range picked; null: the window */
    this.range = null;
    this.rangeLoader = new RangeLoader({ send: (m) => !!this.client && this.client.send(m), now: () => this.now() });
    this.messages = 0;
    this.haveSnapshot = false;
    this.connection = null; // the stream's latest status
    this.frameQueued = false;
    this.ticks = 0;
    this.charts = deps.charts({
      requestFrame: () => this.requestFrame(),
      markers: (source, ids) => this.timeline.chartMarkers(source, ids || []),
      onZoom: (from, to) => this.setZoom(from, to),
      onLive: () => this.goLive(),
      zoomed: () => !!this.zoom,
    });
    this.families = new Families({
      store: this.store,
      charts: this.charts,
      card: deps.card,
      group: (name) => this.group(name),
      spanMs: () => this.spanMs(),
      hideZero: () => this.hideZero,
      zoom: () => this.zoom,
      span: () => this.pickedSpan(),
      rangeData: (card, from) => this.rangeData(card, from),
      rangeStats: (card) => this.rangeStats(card),
      history: () => this.rangeInfo(),
      overlay: (ids) => this.store.alerts.overlay(ids),
      now: () => this.store.now || this.now(),
      requestFrame: () => this.requestFrame(),
    });
    this.adminFlow = new AdminFlow(deps, () => this.groups.values());
    this.admin = this.adminFlow.control;
    this.client = null;
  }

  /**
   * start takes the admin token out of the address (into session
   * storage), starts the once-a-second clock and connects the stream.
   */
  start() {
    const d = this.deps;
    const view = readView(d.location.href);
    this.admin.set(takeToken({ location: d.location, history: d.history, storage: d.session }));
    // The address is the view (urlstate.js): what it does not say is the default.
    if (view.filter) {
      d.page.showFilter(view.filter);
      // An invalid one is shown, marked, and not applied: out of the address.
      this.setFilter(view.filter);
      if (this.filter !== view.filter) view.filter = "";
    }
    if (view.window) this.windowName = view.window;
    this.hideZero = !!view.hideZero;
    this.urlCollapsed = new Set(view.collapsed || []);
    // The address as read (tokens out, and what was ignored, a garbled
    // zoom or range, out too), written back at once: a link copied from
    // the address bar shows what the page shows.
    this.lastURL = viewURL(d.location.href, { ...view, collapsed: view.collapsed || [] });
    if (this.lastURL !== asWritten(d.location.href)) d.history.replaceState(d.history.state, "", this.lastURL);
    if (view.range) this.range = view.range;
    if (view.zoom) this.setZoom(view.zoom[0], view.zoom[1]);
    else if (view.range) this.spanChanged();
    if (view.range) d.page.checkRange(view.range);
    this.target = readTarget(d.location.href);
    d.page.showHideZero(this.hideZero);
    d.setInterval(() => this.tick(), 1000);
    const scheme = d.location.protocol === "https:" ? "wss:" : "ws:";
    this.client = d.socket({
      // Snapshots' points as columns (columns.js): a quarter of the bytes.
      url: `${scheme}//${d.location.host}/ws?points=columns`,
      onMessage: (msg) => this.onMessage(msg),
      onStatus: (s) => this.onStatus(s),
    });
    this.client.start();
  }

  /** retryNow reconnects at once if a reconnect is pending (retry button, tab shown, network back). */
  retryNow() {
    if (this.client) this.client.retryNow();
  }

  onStatus(s) {
    const was = this.connection ? this.connection.state : "connecting";
    const wasConnected = this.connected();
    this.connection = s;
    this.deps.status.show(this.shownStatus());
    if (was === "live" && s.state === "reconnecting") this.note([connectionEvent(true, s.staleSince || this.now())]);
    if (was === "reconnecting" && s.state === "live") this.note([connectionEvent(false, this.now())]);
    if (wasConnected !== this.connected() || (was === "live") !== (s.state === "live")) this.connectionChanged();
  }

  /**
   * shownStatus is the stream's status as the pill tells it: "connecting"
   * until the first snapshot came, though the server took the connection:
   * the page has nothing current to show yet.
   */
  shownStatus() {
    const s = this.connection;
    return s && s.state === "live" && !this.haveSnapshot ? { ...s, state: "connecting" } : s;
  }

  // connectionChanged redraws what connected() decides.
  connectionChanged() {
    // Shown as unknown while away, as they are again once back, at the
    // next frame, paused or not: a paused page must not say "running".
    this.dirty.connection = true;
    this.dirty.alertsStale = true;
    for (const name of this.groups.keys()) this.dirty.sources.add(name);
    for (const key of this.cards.keys()) this.dirty.alertCards.add(key);
    this.dirty.tree = true;
    this.dirty.overview = true;
    this.requestFrame();
  }

  /**
   * connected says whether the stream is live and has sent its first
   * snapshot: what the page shows is current. Before that snapshot every
   * state is unknown, as while disconnected (a resumed stream's deltas
   * need no new one).
   */
  connected() {
    return !!this.connection && this.connection.state === "live" && this.haveSnapshot;
  }

  /**
   * clock is the time the page's "ago" times are taken at: the server's
   * latest, or while disconnected the page's own, so that "last success"
   * keeps ageing instead of reading "now".
   */
  clock() {
    const server = this.store.now || 0;
    return this.connected() ? server || this.now() : Math.max(server, this.now());
  }

  /**
   * shownSource is a source as its group shows it: its state unknown while
   * disconnected, a backoff held for a moment (hold.js).
   */
  shownSource(name) {
    const src = this.store.sources.get(name);
    if (!src) return src;
    if (!this.connected()) return unknownSource(src);
    const state = this.hold.shown(name, src.state, this.now());
    return state === src.state ? src : { ...src, state };
  }

  /** shownTree is the supervision tree as the page shows it (shownSource's rules). */
  shownTree() {
    const tree = this.store.tree();
    return this.connected() ? heldTree(tree, this.hold, this.now()) : unknownTree(tree);
  }

  /** crashAt is when a source last crashed as the timeline holds it, unix ms; 0 if it holds none. */
  crashAt(name) {
    const e = this.timeline.latest(name, "crash");
    return e ? e.ts : 0;
  }

  /** note records timeline entries; marked ones redraw the charts that show them (charts.js markMarkersDirty). */
  note(events) {
    if (!this.timeline.add(events)) return;
    this.dirty.timeline = true;
    this.charts.markMarkersDirty(events.filter((e) => e.marker));
    if (!this.paused) this.requestFrame(); // paused: at the resume (apply)
  }

  /**
   * setTabHidden follows the Page Visibility API: a hidden tab draws
   * nothing (the stream is still applied to the store); shown again, every
   * visible chart is redrawn once and a pending reconnect is tried at once.
   */
  setTabHidden(hidden) {
    if (this.tabHidden === hidden) return;
    this.tabHidden = hidden;
    if (hidden) return;
    this.charts.markAllDirty();
    this.families.flush();
    this.flushWaiting();
    this.dirty.overview = true;
    this.requestFrame();
    this.retryNow();
  }

  /** adminToken is the admin token the page holds, "" for none. */
  get adminToken() {
    return this.adminFlow.token;
  }

  /** crash asks the server to crash a source (see AdminFlow.crash). */
  crash(name, button) {
    return this.adminFlow.crash(name, button);
  }

  /** cards are the metric cards, by family key. */
  get cards() {
    return this.families.cards;
  }

  // ---- applying the stream ----

  onMessage(msg) {
    this.messages++;
    switch (msg.type) {
      case "hello": {
        const before = this.store.instance;
        this.store.hello(msg);
        if (before && this.store.instance && before !== this.store.instance) {
          // When the new process started (its hello says), not the last
          // time the old one was heard of.
          this.note([serverRestartEvent(this.store.started || this.now(), this.store.version)]);
          this.adminFlow.checkAdmin();
        }
        this.deps.page.showVersion(/^\d/.test(this.store.version) ? `v${this.store.version}` : this.store.version);
        this.renderWindows();
        return;
      }
      case "snapshot":
        if (!this.haveSnapshot) {
          this.haveSnapshot = true;
          this.deps.status.show(this.shownStatus());
          if (this.connected()) this.connectionChanged();
        }
        this.apply(this.store.snapshot(msg));
        if (this.viewSpan()) this.spanChanged();
        return;
      case "delta":
        this.apply(this.store.delta(msg));
        return;
      case "range":
        this.rangeCame(msg);
    }
  }

  // renderWindows shows the server's windows, keeping the chosen one if
  // the server still has it, else its first.
  renderWindows() {
    const names = this.store.windows;
    if (!names.includes(this.windowName)) this.windowName = names[0] || "";
    this.deps.page.showWindows(names, this.range ? "" : this.windowName);
    this.syncURL();
  }

  /** @param {import("./store.js").Changes} ch */
  apply(ch) {
    const fam = this.families;
    for (const id of ch.removed) {
      fam.remove(id, this.groups);
      this.rangeLoader.forget(id);
    }
    for (const id of ch.added) fam.add(this.store.series.get(id));
    if (ch.added.length || ch.removed.length) this.dirty.filter = true;
    for (const id of ch.points) fam.pointsCame(id);
    for (const id of ch.windows) fam.windowsCame(id);
    // A line gone stale breaks there (store.js staleGap): redrawn.
    for (const id of ch.stale) fam.pointsCame(id);
    // A snapshot is drawn whole at once; a delta's points wait for the tick.
    if (ch.reset) fam.flush();
    for (const name of ch.sourcesRemoved) {
      const g = this.groups.get(name);
      if (g && !ch.sources.has(name)) this.dropGroup(name, g);
    }
    const countsOnly = new Set(ch.sourceDiffs.filter((d) => onlyCounted(d.prev, d.next)).map((d) => d.next.name));
    for (const name of ch.sources) {
      this.group(name);
      // A source whose poll counters alone moved waits for the clock's
      // tick: at every delta they made the page paint ten times a second,
      // paused or not.
      if (countsOnly.has(name) && this.groups.get(name).src) this.waiting.sources.add(name);
      else this.dirty.sources.add(name);
    }
    if (ch.reset) {
      // A snapshot: a group outlives its source only while it has cards.
      for (const [name, g] of this.groups) {
        if (!this.store.sources.has(name) && g.cards.size === 0) this.dropGroup(name, g);
      }
      this.orderGroups();
    }
    // The tree shows a source's poll counters only as whether it has
    // polled yet (a running source that fails its polls is down, once it
    // has polled): that, at the tick; other counters, not at all.
    const treeNow = ch.tree && (ch.treeShape || ch.sourceDiffs.some((d) => !countsOnly.has(d.next.name)));
    if (treeNow) {
      this.dirty.tree = true;
      // A node up or down: its section's heading says so at once.
      if (!ch.reset && this.store.rawTree && this.store.rawTree.nodes) this.orderGroups();
    } else if (ch.sourceDiffs.some((d) => firstPoll(d.prev, d.next))) this.waiting.tree = true;
    const happened = [];
    for (let ev of ch.events) {
      // The server tells a source's polls, the alerts and its own start, a snapshot's after a reload too.
      const told = { source: sourceEvent, alert: alertEvent, server: (e) => serverEvent(e, this.timeline.latest("", "server-restart")) }[ev.kind];
      if (told) happened.push(told(ev));
      if (ev.kind === "supervision") {
        const entry = supervisionEvent(ev);
        if (!entry) continue;
        happened.push(entry);
        // Its group's note says when a parked source is tried again.
        if (this.groups.has(entry.source)) this.dirty.sources.add(entry.source);
        continue;
      }
      if (ev.kind !== "reload" && ev.kind !== "storage") continue;
      // Another node's (docs/protocol.md, "In a cluster"): in the timeline,
      // named; the banners are this node's, and only news (a snapshot's
      // events are what happened lately: the timeline lists them).
      if (ev.node) ev = { ...ev, message: `${ev.node}: ${ev.message || ""}` };
      else if (!ch.reset) this.deps.notices.show(ev);
      happened.push(ev.kind === "reload" ? reloadEvent(ev) : storageEvent(ev));
    }
    // After the events: a page that missed the "storage" event learns it from the tree.
    if (treeNow) this.deps.notices.storageState(nodeState(this.store.tree(), "storage"));
    this.note(happened.filter(Boolean));
    this.alertsChanged(ch);
    if (this.target && (ch.added.length || ch.reset)) this.revealTarget();
    // The timeline's choice of sources follows the sources' names.
    if (ch.reset || ch.sourcesRemoved.length || ch.sourceDiffs.some((d) => !d.prev)) this.dirty.timeline = true;
    // Sources whose counters alone moved wait for the tick, as their panels do.
    const stateChanged = [...ch.sources].some((name) => this.dirty.sources.has(name));
    if (ch.reset || ch.added.length || ch.removed.length || stateChanged || ch.sourcesRemoved.length) {
      this.dirty.overview = true;
    }
    // Paused, a frame shows nothing of the stream (frame): what came waits
    // in the dirty sets for the resume's frame. Only a series come or gone
    // meets the reader's filter at once. Live, new points and statistics
    // alone wait for the clock's tick (tick), which draws them all in one
    // frame: a frame at every delta (the demo's four sources: four a
    // second) laid the page out and redrew its charts each time.
    if (this.paused ? this.dirty.filter : this.shownAtOnce()) this.requestFrame();
  }

  /**
   * shownAtOnce says whether something a reader must see at once is
   * waiting for a frame: a state, an event, an alert, a series come or
   * gone (anything but new points and statistics, which wait for the tick).
   */
  shownAtOnce() {
    const d = this.dirty;
    return d.connection || d.filter || d.tree || d.timeline || d.overview || d.alerts || d.alertsStale || d.sources.size > 0 || d.alertCards.size > 0;
  }

  dropGroup(name, g) {
    g.el.remove();
    this.groups.delete(name);
    this.health.delete(name);
    this.dirty.sources.delete(name);
  }

  group(name) {
    let g = this.groups.get(name);
    if (g) return g;
    g = this.deps.group(name, {
      color: this.groups.size,
      collapsed: this.urlCollapsed.has(name),
      onCrash: (n, button) => this.crash(n, button),
      onToggle: (n, collapsed) => {
        this.syncURL();
        for (const id of g.cards.keys()) this.charts.setHidden(id, collapsed);
        this.dirty.filter = true; // the filter's count tells what collapsed groups hold
        this.requestFrame();
      },
    });
    g.setAdmin(this.adminFlow.shown);
    g.el.id = `source-${name}`; // named, addressable (the jump list) and focusable (revealSource)
    g.el.setAttribute("aria-label", `Source ${name}`);
    g.el.tabIndex = -1;
    this.groups.set(name, g);
    this.health.set(name, this.deps.health(g));
    this.orderGroups();
    this.dirty.sources.add(name);
    this.dirty.filter = true;
    return g;
  }

  // orderGroups keeps the groups in the server's order of sources; groups
  // whose source has gone (but not their cards) follow. In a cluster of
  // more than one node they are grouped by node (nodes.js), in the tree's
  // order of nodes; the jump list follows the same order.
  orderGroups() {
    let names = [...this.store.sources.keys()];
    for (const name of this.groups.keys()) if (!names.includes(name)) names.push(name);
    names = names.filter((name) => this.groups.has(name));
    const nodes = clusterNodes(this.store.rawTree);
    if (nodes.length < 2) {
      this.deps.page.orderGroups(names.map((name) => this.groups.get(name).el));
      return;
    }
    const parts = groupByNode(names, this.store.sources, nodes).map((p) => ({
      node: p.node,
      els: p.names.map((name) => this.groups.get(name).el),
    }));
    this.deps.page.orderGroups(
      parts.flatMap((p) => p.els),
      parts,
    );
  }

  /** spanMs is the chosen window's length, or the whole history without one. */
  spanMs() {
    return windowMs(this.windowName) || this.store.historyMs;
  }

}

/**
 * firstPoll says whether a source's change is its first poll counted
 * (polls from 0), which the tree shows (a running source down only once
 * it has polled: treemodel.js).
 */
function firstPoll(prev, next) {
  return !!prev && Number(prev.polls) > 0 !== Number(next.polls) > 0;
}

/** COUNTED are a source's figures that move with every poll: shown once a second (tick). */
const COUNTED = new Set(["polls", "poll_ms", "last_success"]);

/**
 * onlyCounted says whether a source object changed in its poll counters
 * alone (COUNTED), nothing a reader must see at once (a state, a restart,
 * an error, a failure).
 * @param {object|undefined} prev
 * @param {object} next
 */
export function onlyCounted(prev, next) {
  if (!prev) return false;
  for (const k of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    if (!COUNTED.has(k) && JSON.stringify(prev[k]) !== JSON.stringify(next[k])) return false;
  }
  return true;
}

// The reader's choices (choices.js), the alerts' effects (alertflow.js),
// the history range (rangeflow.js) and the frame and clock (pageframe.js)
// are the controller's methods too.
Object.assign(PageController.prototype, readerChoices, pageAlerts, pageRanges, pageFrame);
