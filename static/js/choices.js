// The reader's choices, as methods of the page controller (controller.js
// installs them on its prototype): pause, the all-zero switch, the filter
// (debounced), the statistics window, the zoom, the timeline's source,
// (the history range is rangeflow.js)
// revealing a source from the tree; and the address that holds the view
// (urlstate.js). Each records the choice, marks what it changes and asks
// for a frame.

import { parseFilter } from "./filter.js";
import { setAgoAsOf } from "./format.js";
import { zoomSpan } from "./rangechoice.js";
import { viewURL } from "./urlstate.js";

/** FILTER_DEBOUNCE_MS is how long the filter waits for the typing to pause. */
export const FILTER_DEBOUNCE_MS = 150;

/** @type {ThisType<import("./controller.js").PageController> & Record<string, Function>} */
export const readerChoices = {
  /** setTimelineSource shows the timeline of one source ("" for all). */
  setTimelineSource(name) {
    this.timelineSource = name;
    this.dirty.timeline = true;
    this.requestFrame();
  },

  /** setHideZero hides (or shows again) the series that were zero all through the window. */
  setHideZero(on) {
    this.hideZero = !!on;
    this.deps.page.showHideZero(this.hideZero);
    this.dirty.filter = true; // the filter counts what shows
    this.syncURL();
    this.charts.markAllDirty();
    this.requestFrame();
  },

  togglePause() {
    this.paused = !this.paused;
    this.pausedAt = this.messages; // the updates since wait (tick: "N updates waiting")
    this.pausedTicks = 0;
    this.deps.page.showPaused(this.paused);
    if (this.deps.status.showPaused) this.deps.status.showPaused(this.paused, 0);
    // The relative times say once what they were at the pause, and are
    // then left alone: no write a second while paused (tick).
    setAgoAsOf(this.paused ? this.clock() : 0);
    if (this.paused) this.showAgo(this.clock());
    else {
      // Everything at once: what waited in the dirty sets, and what the clock would have aged.
      this.families.markAll();
      this.charts.markAllDirty();
      for (const name of this.groups.keys()) this.dirty.sources.add(name);
      this.dirty.tree = true;
      this.dirty.overview = true;
      this.dirty.alerts = true;
      this.dirty.timeline = true;
    }
    this.requestFrame();
  },

  /**
   * setFilter applies the filter box's text. A text that cannot be read
   * (filter.js: `{{`, `{cpu=`, a bad regex) marks the box invalid and
   * changes nothing: the last valid filter stays applied, and in the
   * address. Not "matches nothing": half-typed matchers ({cpu="1) are
   * invalid at nearly every key, and the page would blank at each pause
   * of the typing; not "the rest applies" either: `{{` matched
   * everything, so what showed was not what was asked.
   */
  setFilter(text) {
    const errors = parseFilter(text).errors;
    this.deps.page.showFilterError(errors.length ? errors[0] : "", errors.join("; "));
    if (errors.length) return;
    this.filter = text;
    this.dirty.filter = true;
    this.syncURL();
    this.requestFrame();
  },

  /** syncURL writes the view (filter, window, collapsed sources, hidden zeros, zoom) into the address. */
  syncURL() {
    const d = this.deps;
    if (!this.client) return; // not started: the address is still being read
    const collapsed = [...this.groups.values()].filter((g) => g.collapsed).map((g) => g.name);
    // A source the address collapses whose group has not come yet (the
    // hello writes the address before the snapshot) stays collapsed in it.
    if (this.urlCollapsed) for (const name of this.urlCollapsed) if (!this.groups.has(name)) collapsed.push(name);
    // The server's first window is the default: left out, like the other defaults.
    const win = this.windowName === this.store.windows[0] ? "" : this.windowName;
    const url = viewURL(d.location.href, { filter: this.filter, window: win, collapsed, hideZero: this.hideZero, zoom: this.zoom, range: this.range });
    if (url === this.lastURL) return;
    this.lastURL = url;
    d.history.replaceState(d.history.state, "", url);
  },

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
  },

  /**
   * selectWindow picks a statistics window; the charts show it live again
   * if a zoom or a history range was shown (no window is marked then: page.js checkWindow).
   */
  selectWindow(name) {
    this.windowName = name;
    if (this.zoom) {
      this.zoom = null;
      this.deps.page.showZoom(null);
      if (!this.range) this.spanChanged();
    }
    if (this.range) {
      this.range = null;
      this.deps.page.checkRange(null);
      this.spanChanged();
    }
    this.deps.page.checkWindow(name);
    this.syncURL();
    this.families.markAll();
    this.charts.markAllDirty();
    this.requestFrame();
  },

  /**
   * setZoom shows the range [from, to] (unix ms) on every chart, where it
   * stays while data keeps coming (past the stream's reach, finer stored
   * history is asked for); goLive follows the live edge, or the history
   * range picked, again. A span the address could not hold (rangechoice.js
   * zoomSpan) is no zoom.
   */
  setZoom(from, to) {
    const span = zoomSpan(from, to);
    if (!span) return;
    this.zoom = span;
    this.deps.page.showZoom(this.zoom);
    this.spanChanged();
    this.syncURL();
    // The cards' statistics (and values, if it ends before now) are the zoom's.
    this.families.markAll();
    this.charts.markAllDirty();
    this.requestFrame();
  },

  goLive() {
    if (!this.zoom && this.range && this.range.name === "custom") {
      this.setRange(null); // the custom range's chip: back to live
      return;
    }
    if (!this.zoom) return;
    this.zoom = null;
    // Out of a zoom into a custom range: that range's chip again.
    const c = this.range && this.range.name === "custom" ? [this.range.from, this.range.to] : null;
    this.deps.page.showZoom(c);
    this.spanChanged();
    this.syncURL();
    this.families.markAll();
    this.charts.markAllDirty();
    this.requestFrame();
  },

  /**
   * revealSource expands a source's group and brings its header to just
   * under the sticky bars, where it stays while the cards around it are
   * laid out (page.js reveal; not scrollIntoView, whose target moves as
   * off-screen cards take their real size): a click or Enter in the tree,
   * an alert, the jump list.
   */
  revealSource(name) {
    const g = this.groups.get(name);
    if (!g) return;
    if (g.collapsed) g.setCollapsed(false, true);
    this.deps.page.reveal(g.el);
    if (g.el.focus) g.el.focus({ preventScroll: true });
  },
};
