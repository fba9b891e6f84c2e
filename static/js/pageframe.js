// The page's frame and clock, methods of PageController (controller.js):
// the one animation-frame callback that turns what the stream and the
// reader changed (the controller's dirty sets) into DOM and chart work, and
// the once-a-second tick that moves what time alone moves (countdowns,
// "ago" times, the time axis, trimming) and hands on what waited for it.

import { frameBudget } from "./framebudget.js";
import { RESTARTED } from "./hold.js";
import { filterGroups, overview } from "./summary.js";

const TRIM_EVERY_S = 10;
// PAUSED_COUNT_EVERY_S: how often a paused page's pill says again how many
// updates wait (the first second after the pause, then every so many):
// written every second, it was the one frame a second a paused page drew.
export const PAUSED_COUNT_EVERY_S = 5;
// FRAME_BUDGET_MS: how long a frame draws charts and writes cards before it
// leaves the rest to the next frame; with the browser's own work after it
// (style, layout, paint) a frame stays well under 100 ms on a busy machine.
// Not less: each frame more costs its own style, layout, paint and canvas
// work, and on a busy machine (the budget is wall time) a 12 ms budget cut
// the demo's one frame a second into three, for 40 % more work.
export const FRAME_BUDGET_MS = 30;

// AXIS_REDRAW_MS: a chart drawn longer ago than this is redrawn at the
// clock's tick (ChartManager.markAged), one a point redrew since not. Well
// under the tick's second, so that a chart the last tick drew (a frame or
// two after it, a timer late) is drawn again at this one.
const AXIS_REDRAW_MS = 800;

/**
 * pageFrame: PageController's frame and clock (Object.assign in controller.js).
 * @type {ThisType<import("./controller.js").PageController> & Record<string, Function>}
 */
export const pageFrame = {
  requestFrame() {
    if (this.frameQueued) return;
    this.frameQueued = true;
    this.deps.requestFrame(() => this.frame());
  },

  /** frame does the DOM and chart work that the changes since the last frame call for. */
  frame() {
    this.frameQueued = false;
    if (this.tabHidden) return; // the dirty sets wait for setTabHidden(false)
    const d = this.dirty;
    const now = this.clock();
    // A zoom or custom range: the way back to live; ending before now, the pill says so.
    this.showView();
    if (this.paused) {
      // Nothing of the stream changes the page; the reader's filter does,
      // and so does the connection: lost, every state and time is shown
      // unknown and stale (back, as they are). The rest waits for resume.
      if (d.filter) this.applyFilter();
      d.filter = false;
      if (d.connection) {
        this.drawStates(now);
        this.renderOverview(); // its count of sources up: "?/3" while away
      }
      return;
    }
    // The charts first, on the page as the last frame laid it out; then
    // every text of the frame, laid out once after it (charts.js draw).
    // Charts and cards stop when the frame's time is up (FRAME_BUDGET_MS)
    // and go on in the next frame: a page of 500 series, its sources' points
    // all drawn at the clock's tick, made a task of 100 ms of it.
    // The charts' rasterising counts in (framebudget.js).
    const due = this.frameDue();
    this.loadRange();
    this.charts.draw(due);
    this.drawStates(now);
    this.drawAlerts(now);
    if (d.filter) {
      this.applyFilter();
      d.filter = false;
    }
    const w = this.statsWindow();
    if (this.families.update(w.name, w.spanMs, due) && this.hideZero) this.applyFilter();
    if (this.charts.waiting() || this.families.dirty.size) this.requestFrame();
    if (d.ago) {
      // The clock's (tick): written here, with the frame's other text.
      this.deps.status.tick();
      this.deps.notices.tick();
      this.showAgo(now);
      d.ago = false;
    }
    if (d.timeline) {
      const names = [...new Set([...this.store.sources.keys(), ...this.timeline.sources()])];
      this.deps.timeline.show(this.timeline.list(this.timelineSource), names, this.timelineSource, this.timeline.cuts(), this.store.historyMs);
      d.timeline = false;
    }
    if (d.overview) {
      this.renderOverview();
      d.overview = false;
    }
  },

  /**
   * frameDue is the frame's clock: a function saying whether FRAME_BUDGET_MS
   * have passed since it was made (the performance clock, or deps.perfNow),
   * the rasterising of the points its charts drew (due.drew) counted in
   * (framebudget.js).
   */
  frameDue() {
    return frameBudget(this.deps.perfNow || (() => performance.now()), FRAME_BUDGET_MS);
  },

  // drawStates shows the sources' states and health, the tree and
  // whether the alerts panel is stale, as far as they changed.
  drawStates(now) {
    const d = this.dirty;
    // The cards' figures are marked stale while away, as the states are.
    if (d.connection) for (const card of this.cards.values()) card.setOffline(!this.connected());
    d.connection = false;
    if (d.alertsStale) {
      this.deps.alerts.setStale(!this.connected());
      d.alertsStale = false;
    }
    for (const name of d.sources) {
      const g = this.groups.get(name);
      if (!g) continue;
      const src = this.store.sources.get(name);
      const shown = this.shownSource(name);
      g.update(shown, now, this.crashAt(name), this.store.started);
      g.showAlert(this.sourceAlert(name));
      // A backoff held in view: the line under it tells it as past.
      const held = shown && src && shown.state === RESTARTED ? this.crashAt(name) : undefined;
      this.health.get(name).update(src, now, this.timeline.latest(name, "parked"), !this.connected(), held);
    }
    d.sources.clear();
    if (d.tree) {
      this.deps.tree.update(this.shownTree(), (name) => this.crashAt(name), this.store.started);
      d.tree = false;
    }
  },

  applyFilter() {
    const f = filterGroups(this.groups.values(), this.filter, this.hideZero);
    this.deps.page.showFilterCount(f.count);
    this.deps.page.syncJump(); // a phone's jump list lists what the filter shows
    // The tree lists the sources the filter shows, as the cards do (all without one).
    const shown = [...this.groups].filter(([, g]) => !g.el.hidden).map(([name]) => name);
    this.filterShown = this.filter ? new Set(shown) : null;
    this.deps.tree.filterSources(this.filterShown);
    this.renderOverview(); // the tree's line: "1 of 46 sources"
    // "No series yet" is not said of sources that simply have none yet:
    // their groups say so themselves.
    const quiet = !this.filter && this.cards.size === 0 && this.groups.size > 0;
    this.deps.page.showEmpty(
      !this.haveSnapshot || f.shown > 0 || quiet,
      this.filter ? `No source or metric matches “${this.filter}”.` : "No series yet.",
    );
    this.deps.page.showLoading(!this.haveSnapshot);
  },

  renderOverview() {
    const ov = overview(this.store, {
      connected: this.connected(),
      series: this.families.familyOf.size,
      messages: this.messages,
      crashAt: (name) => this.crashAt(name),
      now: this.now(),
      shown: this.filterShown,
      filter: this.filter,
    });
    const { summary, ...figures } = ov;
    this.deps.page.showTreeSummary(summary, this.store.sources.size);
    this.deps.page.showOverview(figures);
  },

  /** tick is the page's clock, once a second: countdowns, "ago" times, trimming, the moving time axis. */
  tick() {
    this.ticks++;
    if (this.ticks % TRIM_EVERY_S === 0) {
      this.store.trimAll();
      if (this.store.now && this.timeline.trimBefore(this.store.now - this.store.historyMs)) this.charts.markAllDirty();
      this.dirty.timeline = true;
    }
    if (this.tabHidden) return;
    if (this.paused) {
      // Only the connection pill and the count of what waits move.
      this.deps.status.tick();
      this.deps.notices.tick();
      this.deps.page.showPaused(true);
      this.pausedTicks = (this.pausedTicks || 0) + 1;
      if (this.deps.status.showPaused && this.pausedTicks % PAUSED_COUNT_EVERY_S === 1) this.deps.status.showPaused(true, this.messages - (this.pausedAt || 0));
      this.flushWaiting();
      return;
    }
    this.dirty.ago = true; // the countdowns and "ago" times, in the frame
    this.families.flush(); // what came since the last tick
    if (!this.paused && !this.zoom) this.charts.markAged(AXIS_REDRAW_MS); // keep the time axis moving
    this.rangeTick();
    // A backoff held in view ends with time alone.
    for (const name of this.hold.holding()) {
      this.dirty.sources.add(name);
      this.dirty.tree = true;
    }
    this.dirty.overview = true; // points held and messages: once a second is enough
    this.flushWaiting();
    this.requestFrame();
  },

  /**
   * showAgo rewrites the relative times ("16s ago") as of now (unix ms):
   * the sources' panels, the tree, the sources' health notes, the alerts.
   * Every second while live (tick), once at a pause (togglePause).
   */
  showAgo(now) {
    // The last crash read again by both, the timeline's latest (a crash
    // told after its source's last change): the header and the node agree.
    for (const [name, g] of this.groups) g.updateAgo(null, now, this.crashAt(name));
    this.deps.tree.tick(now);
    for (const hs of this.health.values()) hs.tick(now);
    this.deps.alerts.tick(now);
  },

  /** flushWaiting brings what changed in figures only (waiting) up to date at the next frame. */
  flushWaiting() {
    const w = this.waiting;
    const d = this.dirty;
    for (const name of w.sources) d.sources.add(name);
    for (const key of w.alertCards) d.alertCards.add(key);
    w.sources.clear();
    w.alertCards.clear();
    d.tree ||= w.tree;
    d.alerts ||= w.alerts;
    w.tree = false;
    w.alerts = false;
  },
};
