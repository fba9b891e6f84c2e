// The page's controller: what the dashboard does with the stream and the
// reader's choices, with everything it touches handed in, so that Node can
// run it against fakes (test/controller.test.js) and main.js only wires the
// real browser objects to it.
//
// How it works: messages are applied to the store at once (it is cheap and
// keeps the state exact); what they changed is recorded in dirty sets, and
// one animation-frame callback turns those into DOM and chart work, so a
// burst of deltas costs one redraw. What the reader cannot see costs
// nothing: a card off screen or in a collapsed group is not written to
// (it is marked stale and brought up to date when it shows), a paused page
// draws no card and no chart, and a hidden tab draws nothing at all and
// catches up in one frame when it is shown again. Sequence
// numbers, resumes and resyncs are the socket's (socket.js): it hands on
// only messages that apply, in order.

import { takeToken } from "./admin.js";
import { setText } from "./dom.js";
import { windowMs } from "./format.js";
import { Families } from "./families.js";
import { Prefs } from "./prefs.js";
import { matchesFilter } from "./protocol.js";
import { Store } from "./store.js";
import { readView, viewURL } from "./urlstate.js";
import { Timeline, connectionEvent, reloadEvent, serverRestartEvent, sourceEvents } from "./timeline.js";

const TRIM_EVERY_S = 10;
export const FILTER_DEBOUNCE_MS = 150;
/** CONFIRM_MS is how long a crash button waits for its confirming press. */
export const CONFIRM_MS = 5000;
const CRASH_CONFIRMED_KEY = "pulseboard.crash-confirmed";

const nf = new Intl.NumberFormat("en-US");

/**
 * @typedef {object} PageDeps
 * @property {{protocol: string, host: string, href: string}} location
 * @property {{state: any, replaceState: (s: any, t: string, url: string) => void}} history
 * @property {Storage} session where the admin token is kept (sessionStorage)
 * @property {Storage} local where the reader's preferences are kept (localStorage)
 * @property {(opts: {url: string, onMessage: (m: object) => void,
 *   onStatus: (s: import("./socket.js").StreamStatus) => void}) =>
 *   {start(): void, retryNow(): void}} socket makes the stream client
 * @property {(opts: {requestFrame: () => void, markers: (source: string) => object[],
 *   onShown: (id: string) => void}) => import("./charts.js").ChartManager} charts
 *   makes the chart manager, which calls onShown when a series' chart comes
 *   into view or out of a collapsed group
 * @property {(onChange: (token: string) => void) => {set(token: string): void, ask(why: string): void}} admin
 *   makes the header's token control, which calls onChange on every set
 * @property {(name: string, opts: object) => import("./sources.js").SourceGroup} group
 * @property {(st: import("./store.js").SeriesState, opts: {onLines: () => void, color: number}) =>
 *   import("./cards.js").SeriesCard} card makes the card of st's metric family
 * @property {{update(root: object): void}} tree
 * @property {{show(events: object[], sources: string[], selected: string): void}} timeline
 *   the event timeline's panel
 * @property {(group: import("./sources.js").SourceGroup) => {update(src: object, now: number): void,
 *   tick(now: number): void}} health makes the recent-history note of a source's group
 * @property {{show(s: object): void, tick(): void}} status
 * @property {{show(ev: object): void, tick(): void}} notices
 * @property {import("./page.js").PageView} page the header, overview and group box
 * @property {(fn: () => void) => void} requestFrame requestAnimationFrame
 * @property {(fn: () => void, ms: number) => any} setInterval
 * @property {(fn: () => void, ms: number) => any} [setTimeout]
 * @property {(id: any) => void} [clearTimeout]
 * @property {(name: string, token: string) => Promise<{ok: boolean, status: number, message: string}>} crash
 * @property {(token: string) => Promise<"ok"|"refused"|"unknown">} [checkAdmin] whether the server accepts an admin token
 * @property {(text: string, kind?: string) => void} toast
 * @property {() => number} [now] unix ms; Date.now by default
 * @property {Store} [store]
 */

export class PageController {
  /** @param {PageDeps} deps */
  constructor(deps) {
    this.deps = deps;
    this.now = deps.now || Date.now;
    this.store = deps.store || new Store();
    this.prefs = new Prefs(deps.local);
    /** @type {Map<string, import("./sources.js").SourceGroup>} */
    this.groups = new Map();
    this.hideZero = !!this.prefs.values.hideZero;
    this.dirty = { sources: new Set(), tree: true, filter: true, overview: true, timeline: true };
    this.timeline = new Timeline();
    this.timelineSource = "";
    /** @type {Map<string, ReturnType<PageDeps["health"]>>} by source */
    this.health = new Map();
    this.windowName = this.prefs.values.window || "";
    this.paused = false;
    this.tabHidden = false;
    this.filter = "";
    /** @type {[number, number]|null} the range every chart is zoomed to, unix ms; null: live */
    this.zoom = null;
    this.adminToken = "";
    this.messages = 0;
    this.haveSnapshot = false;
    this.connection = null; // the stream's latest status
    this.frameQueued = false;
    this.ticks = 0;
    this.charts = deps.charts({
      requestFrame: () => this.requestFrame(),
      markers: (source) => this.timeline.markers(source),
      onShown: (id) => this.families.shown(id),
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
      now: () => this.store.now || this.now(),
      requestFrame: () => this.requestFrame(),
    });
    this.admin = deps.admin((token) => this.adminChanged(token));
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
    // A shared address's view goes before the kept preferences.
    if (view.filter) {
      this.filter = view.filter;
      d.page.showFilter(view.filter);
    }
    if (view.window) this.windowName = view.window;
    this.urlCollapsed = view.collapsed ? new Set(view.collapsed) : null;
    if (view.zoom) this.setZoom(view.zoom[0], view.zoom[1]);
    d.page.showHideZero(this.hideZero);
    d.setInterval(() => this.tick(), 1000);
    const scheme = d.location.protocol === "https:" ? "wss:" : "ws:";
    this.client = d.socket({
      url: `${scheme}//${d.location.host}/ws`,
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
    this.connection = s;
    this.deps.status.show(s);
    if (was === "live" && s.state === "reconnecting") this.note([connectionEvent(true, s.staleSince || this.now())]);
    if (was === "reconnecting" && s.state === "live") this.note([connectionEvent(false, this.now())]);
    if ((was === "live") !== (s.state === "live")) {
      // Shown as unknown while away, as they are again once back.
      for (const name of this.groups.keys()) this.dirty.sources.add(name);
      this.dirty.tree = true;
      this.dirty.overview = true;
      this.requestFrame();
    }
  }

  /** connected says whether the stream is live: what the page shows is current. */
  connected() {
    return !!this.connection && this.connection.state === "live";
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

  /** shownSource is a source as its group shows it: its state unknown while disconnected. */
  shownSource(name) {
    const src = this.store.sources.get(name);
    return src && !this.connected() ? unknownSource(src) : src;
  }

  /** note records timeline entries; marked ones redraw every chart. */
  note(events) {
    if (!this.timeline.add(events)) return;
    this.dirty.timeline = true;
    if (events.some((e) => e.marker)) this.charts.markAllDirty();
    this.requestFrame();
  }

  /** setTimelineSource shows the timeline of one source ("" for all). */
  setTimelineSource(name) {
    this.timelineSource = name;
    this.dirty.timeline = true;
    this.requestFrame();
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
    this.dirty.overview = true;
    this.requestFrame();
    this.retryNow();
  }

  /** cards are the metric cards, by family key. */
  get cards() {
    return this.families.cards;
  }

  /** stale are the cards that changed while out of sight. */
  get stale() {
    return this.families.stale;
  }

  // ---- the reader's choices ----

  /** setHideZero hides (or shows again) the series that were zero all through the window. */
  setHideZero(on) {
    this.hideZero = !!on;
    this.prefs.set("hideZero", this.hideZero || undefined);
    this.deps.page.showHideZero(this.hideZero);
    this.charts.markAllDirty();
    this.requestFrame();
  }

  togglePause() {
    this.paused = !this.paused;
    this.deps.page.showPaused(this.paused);
    if (!this.paused) {
      this.families.markAll();
      this.charts.markAllDirty();
    }
    this.requestFrame();
  }

  setFilter(text) {
    this.filter = text;
    this.dirty.filter = true;
    this.syncURL();
    this.requestFrame();
  }

  /** syncURL writes the view (filter, window, collapsed sources, zoom) into the address. */
  syncURL() {
    const d = this.deps;
    if (!this.client) return; // not started: the address is still being read
    const collapsed = [...this.groups.values()].filter((g) => g.collapsed).map((g) => g.name);
    const url = viewURL(d.location.href, { filter: this.filter, window: this.windowName, collapsed, zoom: this.zoom });
    d.history.replaceState(d.history.state, "", url);
  }

  /**
   * filterTyped is the filter box's input: applied once the typing pauses
   * (FILTER_DEBOUNCE_MS), so that a long page is not filtered at every key.
   */
  filterTyped(text) {
    const d = this.deps;
    const clear = d.clearTimeout || clearTimeout;
    const set = d.setTimeout || setTimeout;
    if (this.filterTimer !== undefined) clear(this.filterTimer);
    this.filterTimer = set(() => {
      this.filterTimer = undefined;
      this.setFilter(text);
    }, FILTER_DEBOUNCE_MS);
  }

  selectWindow(name) {
    this.windowName = name;
    this.prefs.set("window", name);
    this.deps.page.checkWindow(name);
    this.syncURL();
    this.families.markAll();
    this.charts.markAllDirty();
    this.requestFrame();
  }

  /**
   * setZoom shows the range [from, to] (unix ms) on every chart, where it
   * stays while data keeps coming; goLive follows the live edge again.
   */
  setZoom(from, to) {
    if (!(to > from)) return;
    this.zoom = [from, to];
    this.deps.page.showZoom(this.zoom);
    this.syncURL();
    this.charts.markAllDirty();
    this.requestFrame();
  }

  goLive() {
    if (!this.zoom) return;
    this.zoom = null;
    this.deps.page.showZoom(null);
    this.syncURL();
    this.charts.markAllDirty();
    this.requestFrame();
  }

  /** revealSource expands a source's group and scrolls to it (a click in the tree). */
  revealSource(name) {
    const g = this.groups.get(name);
    if (!g) return;
    if (g.collapsed) g.setCollapsed(false, true);
    g.el.scrollIntoView({ behavior: "smooth", block: "start" });
    if (g.el.focus) g.el.focus({ preventScroll: true });
  }

  adminChanged(token) {
    this.adminToken = token;
    this.deps.page.showAdmin(!!token);
    for (const g of this.groups.values()) g.setAdmin(!!token);
  }

  /**
   * crash asks the server to crash a source, with the admin token. The
   * first time in a session the button asks to be pressed again to
   * confirm (for CONFIRM_MS); a refused token is forgotten and asked for
   * again.
   */
  async crash(name, button) {
    if (!this.adminToken) return;
    const d = this.deps;
    if (d.session.getItem(CRASH_CONFIRMED_KEY) !== "1" && button.dataset.confirm !== "1") {
      button.dataset.confirm = "1";
      setText(button, `Really crash ${name}?`);
      (d.setTimeout || setTimeout)(() => {
        if (button.dataset.confirm !== "1") return;
        delete button.dataset.confirm;
        setText(button, `Crash ${name}`);
      }, CONFIRM_MS);
      return;
    }
    delete button.dataset.confirm;
    try {
      d.session.setItem(CRASH_CONFIRMED_KEY, "1");
    } catch {
      // Storage refused: it asks again next time.
    }
    button.disabled = true;
    setText(button, "Crashing…");
    const r = await d.crash(name, this.adminToken);
    button.disabled = false;
    setText(button, `Crash ${name}`);
    if (r.ok) {
      d.toast(`Crashed ${name}: watch the supervisor restart it.`, "ok");
    } else if (r.status === 401 || r.status === 403) {
      this.tokenRefused();
    } else {
      this.deps.toast(`Could not crash ${name}: ${r.message}`, "error");
    }
  }

  /** tokenRefused hides the admin controls and asks for a token again. */
  tokenRefused() {
    this.deps.toast("The server did not accept the admin token. Enter it again.", "error");
    this.admin.ask("The server did not accept the admin token. Enter the current one.");
  }

  /**
   * checkAdmin asks a new server (after a restart) whether it accepts the
   * admin token the page holds; if not, see tokenRefused. (A token is
   * otherwise found refused when used: the check is an HTTP error in the
   * browser's console, which a page that simply loads should not leave.)
   */
  async checkAdmin() {
    const token = this.adminToken;
    if (!token || !this.deps.checkAdmin) return;
    const r = await this.deps.checkAdmin(token);
    if (r === "refused" && this.adminToken === token) this.tokenRefused();
  }

  // ---- applying the stream ----

  onMessage(msg) {
    this.messages++;
    switch (msg.type) {
      case "hello": {
        const before = this.store.instance;
        this.store.hello(msg);
        if (before && this.store.instance && before !== this.store.instance) {
          this.note([serverRestartEvent(this.store.now || this.now(), this.store.version)]);
          this.checkAdmin();
        }
        this.deps.page.showVersion(/^\d/.test(this.store.version) ? `v${this.store.version}` : this.store.version);
        this.renderWindows();
        return;
      }
      case "snapshot":
        this.haveSnapshot = true;
        this.apply(this.store.snapshot(msg));
        return;
      case "delta":
        this.apply(this.store.delta(msg));
    }
  }

  // renderWindows shows the server's windows, keeping the chosen one if
  // the server still has it, else its first.
  renderWindows() {
    const names = this.store.windows;
    if (!names.includes(this.windowName)) this.windowName = names[0] || "";
    this.deps.page.showWindows(names, this.windowName);
    this.syncURL();
  }

  /** @param {import("./store.js").Changes} ch */
  apply(ch) {
    const fam = this.families;
    for (const id of ch.removed) fam.remove(id, this.groups);
    for (const id of ch.added) fam.add(this.store.series.get(id));
    if (ch.added.length || ch.removed.length) this.dirty.filter = true;
    for (const id of ch.points) fam.pointsCame(id);
    for (const id of ch.windows) fam.windowsCame(id);
    // A line gone stale or live again is redrawn greyed or in colour.
    for (const id of ch.stale) fam.pointsCame(id);
    for (const name of ch.sourcesRemoved) {
      const g = this.groups.get(name);
      if (g && !ch.sources.has(name)) this.dropGroup(name, g);
    }
    for (const name of ch.sources) {
      this.group(name);
      this.dirty.sources.add(name);
    }
    if (ch.reset) {
      // A snapshot: a group outlives its source only while it has cards.
      for (const [name, g] of this.groups) {
        if (!this.store.sources.has(name) && g.cards.size === 0) this.dropGroup(name, g);
      }
      this.orderGroups();
    }
    if (ch.tree) this.dirty.tree = true;
    const happened = [];
    const at = this.store.now || this.now();
    for (const d of ch.sourceDiffs) happened.push(...sourceEvents(d.prev, d.next, at));
    for (const ev of ch.events) {
      if (ev.kind !== "reload") continue;
      this.deps.notices.show(ev);
      happened.push(reloadEvent(ev));
    }
    this.note(happened);
    // The timeline's choice of sources follows the sources' names.
    if (ch.reset || ch.sourcesRemoved.length || ch.sourceDiffs.some((d) => !d.prev)) this.dirty.timeline = true;
    if (ch.reset || ch.added.length || ch.removed.length || ch.sources.size || ch.sourcesRemoved.length) {
      this.dirty.overview = true;
    }
    this.requestFrame();
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
      collapsed: this.urlCollapsed ? this.urlCollapsed.has(name) : this.prefs.collapsed(name),
      onCrash: (n, button) => this.crash(n, button),
      onToggle: (n, collapsed) => {
        this.prefs.setCollapsed(n, collapsed);
        this.syncURL();
        for (const id of g.cards.keys()) this.charts.setHidden(id, collapsed);
      },
    });
    g.setAdmin(!!this.adminToken);
    // Named, addressable (the jump list) and focusable (revealSource).
    g.el.id = `source-${name}`;
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
  // whose source has gone (but not their cards) follow.
  orderGroups() {
    const names = [...this.store.sources.keys()];
    for (const name of this.groups.keys()) if (!names.includes(name)) names.push(name);
    const els = [];
    for (const name of names) {
      const g = this.groups.get(name);
      if (g) els.push(g.el);
    }
    this.deps.page.orderGroups(els);
  }

  /** spanMs is the chosen window's length, or the whole history without one. */
  spanMs() {
    return windowMs(this.windowName) || this.store.historyMs;
  }

  // ---- the frame ----

  requestFrame() {
    if (this.frameQueued) return;
    this.frameQueued = true;
    this.deps.requestFrame(() => this.frame());
  }

  /** frame does the DOM and chart work that the changes since the last frame call for. */
  frame() {
    this.frameQueued = false;
    if (this.tabHidden) return; // the dirty sets wait for setTabHidden(false)
    const d = this.dirty;
    const now = this.clock();
    for (const name of d.sources) {
      const g = this.groups.get(name);
      if (!g) continue;
      g.update(this.shownSource(name), now);
      this.health.get(name).update(this.store.sources.get(name), now);
    }
    d.sources.clear();
    if (d.tree) {
      this.deps.tree.update(this.connected() ? this.store.tree() : unknownTree(this.store.tree()));
      d.tree = false;
    }
    if (d.filter) {
      this.applyFilter();
      d.filter = false;
    }
    if (!this.paused) {
      this.families.update(this.windowName, this.spanMs());
      this.charts.draw();
    }
    if (d.timeline) {
      const names = [...new Set([...this.store.sources.keys(), ...this.timeline.sources()])];
      this.deps.timeline.show(this.timeline.list(this.timelineSource), names, this.timelineSource);
      d.timeline = false;
    }
    if (d.overview) {
      this.renderOverview();
      d.overview = false;
    }
  }

  applyFilter() {
    let shown = 0;
    let series = 0;
    let matched = 0;
    for (const g of this.groups.values()) {
      let n = 0;
      for (const card of g.cards.values()) {
        const lines = card.lineTexts();
        const hits = lines.filter((texts) => matchesFilter(this.filter, texts)).length;
        series += lines.length;
        matched += hits;
        card.el.hidden = hits === 0;
        if (hits) n++;
      }
      g.el.hidden = n === 0 && !matchesFilter(this.filter, [g.name]);
      shown += n;
    }
    this.deps.page.showFilterCount(this.filter ? `${nf.format(matched)} of ${nf.format(series)} series` : "");
    // "No series yet" is not said of sources that simply have none yet:
    // their groups say so themselves.
    const quiet = !this.filter && this.cards.size === 0 && this.groups.size > 0;
    this.deps.page.showEmpty(
      !this.haveSnapshot || shown > 0 || quiet,
      this.filter ? `No source or metric matches “${this.filter}”.` : "No series yet.",
    );
    this.deps.page.showLoading(!this.haveSnapshot);
  }

  renderOverview() {
    let running = 0;
    const states = new Map();
    for (const s of this.store.sources.values()) {
      if (s.state === "running") running++;
      states.set(s.state, (states.get(s.state) || 0) + 1);
    }
    const n = this.store.sources.size;
    this.deps.page.showTreeSummary(
      !this.connected()
        ? `${n} ${n === 1 ? "source" : "sources"}: state unknown (disconnected)`
        : `${n} ${n === 1 ? "source" : "sources"}${n ? ": " : ""}${[...states].map(([s, k]) => `${k} ${s}`).join(", ")}`,
    );
    this.deps.page.showOverview({
      sources: `${this.connected() ? running : "?"}/${this.store.sources.size}`,
      series: nf.format(this.families.familyOf.size),
      points: nf.format(this.store.pointCount()),
      messages: nf.format(this.messages),
    });
  }

  /** tick is the page's clock, once a second: countdowns, "ago" times, trimming, the moving time axis. */
  tick() {
    this.ticks++;
    if (this.ticks % TRIM_EVERY_S === 0) {
      this.store.trimAll();
      if (this.store.now && this.timeline.trimBefore(this.store.now - this.store.historyMs)) this.charts.markAllDirty();
      this.dirty.timeline = true;
    }
    if (this.tabHidden) return;
    this.deps.status.tick();
    this.deps.notices.tick();
    const now = this.clock();
    for (const g of this.groups.values()) g.updateAgo(null, now);
    for (const hs of this.health.values()) hs.tick(now);
    if (!this.paused && !this.zoom) this.charts.markAllDirty(); // keep the time axis moving
    this.dirty.overview = true; // points held and messages: once a second is enough
    this.requestFrame();
  }
}

/**
 * unknownSource is a source as shown while the page is disconnected: what
 * it was last known to be, its state and health unknown.
 */
export function unknownSource(src) {
  return { ...src, state: "unknown", up: undefined };
}

/** unknownTree is a supervision tree with every state unknown (disconnected). */
export function unknownTree(node) {
  return { ...node, state: "unknown", children: node.children.map(unknownTree) };
}
