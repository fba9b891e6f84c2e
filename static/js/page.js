// The page's fixed parts, as the controller sees them: the version, the
// window choice, the history range picker (rangeview.js), the pause button, the admin mark, the overview, the
// loading and empty notes and the box of source groups. DOM only: what to
// show is decided by the controller (controller.js).

import { h, radioIndex, setText } from "./dom.js";
import { FilterBox } from "./filterbox.js";
import { formatSpan } from "./format.js";
import { NodeSections } from "./nodes.js";
import { RangePicker } from "./rangeview.js";
import { REVEAL_GAP, settleScroll } from "./reveal.js";

/** TREE_FOLD is the most sources whose supervision tree is shown whole on a desktop. */
export const TREE_FOLD = 12;

/**
 * USER_SCROLL are the events by which the reader takes the scroll over: a
 * reveal settling gives way. Not keydown: the Enter that revealed the
 * source would reach the window's listener and end it at once.
 */
const USER_SCROLL = ["wheel", "touchstart", "mousedown"];

export class PageView {
  /**
   * @param {Document} doc
   * @param {{onWindow: (name: string) => void, onRange?: (name: string) => void,
   *   onCustom?: (from: number, to: number) => boolean}} opts onWindow is
   *   called when the reader picks a window, onRange a preset history
   *   range, onCustom a custom one (unix ms; false if refused), onJump
   *   a source of the jump list (the controller reveals it: reveal),
   *   onFilter the filter box's text as the reader edits it (filterbox.js)
   */
  constructor(doc, opts) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.body = doc.body;
    this.onWindow = opts.onWindow;
    this.onJump = opts.onJump || (() => {});
    /** @type {[HTMLElement, HTMLAnchorElement][]} each source's group and its link in the jump list */
    this.jumpLinks = [];
    this.cancelReveal = null;
    this.els = {
      version: $("version"),
      windows: $("windows"),
      pause: $("pause"),
      filter: $("filter"),
      conn: $("conn"),
      hideZero: $("hide-zero"),
      groups: $("groups"),
      empty: $("empty"),
      loading: $("loading"),
      filterCount: $("filter-count"),
      filterError: $("filter-error"),
      sources: $("ov-sources"),
      series: $("ov-series"),
      points: $("ov-points"),
      messages: $("ov-messages"),
      jump: $("jump"),
      treePanel: $("tree-title").closest("section"),
      treeToggle: $("tree-toggle"),
      treeSummary: $("tree-summary"),
    };
    this.filterBox = new FilterBox(this.els.filter, $("filter-clear"), opts.onFilter || (() => {}));
    this.jumpKey = "";
    this.zoomKey = "";
    /** the window chosen, checked unless a zoom or a history range is shown */
    this.window = "";
    this.ranges = opts.onRange
      ? new RangePicker(
          { group: $("ranges"), custom: $("range-custom"), form: $("range-form"), from: $("range-from"), to: $("range-to"), error: $("range-error") },
          { onRange: opts.onRange, onCustom: opts.onCustom },
        )
      : null;
    this.els.treeToggle.addEventListener("click", () => {
      const open = !this.els.treePanel.classList.contains("is-open");
      this.els.treePanel.classList.toggle("is-open", open);
      this.els.treeToggle.setAttribute("aria-expanded", String(open));
      setText(this.els.treeToggle, open ? "Hide" : "Show");
    });
  }

  showVersion(text) {
    setText(this.els.version, text);
    // Said by the name's title too: a narrow header hides the version (layout.css).
    const brand = this.els.version.parentElement;
    if (brand) brand.title = text ? `pulseboard ${text}` : "";
  }

  /**
   * showWindows draws one radio button per window, selected checked. As a
   * radio group: only the checked one is in the tab order, and the arrow
   * keys choose the next or previous window, Home and End the first and last.
   */
  showWindows(names, selected) {
    const buttons = names.map((name) => {
      const b = h("button", { type: "button", role: "radio", "aria-checked": String(name === selected), dataset: { window: name } }, name);
      b.addEventListener("click", () => this.onWindow(name));
      b.addEventListener("keydown", (ev) => {
        const to = radioIndex(ev.key, buttons.indexOf(b), buttons.length);
        if (to < 0) return;
        ev.preventDefault();
        const next = buttons[to];
        this.onWindow(next.dataset.window);
        next.focus();
      });
      return b;
    });
    this.els.windows.replaceChildren(...buttons);
    this.checkWindow(selected);
  }

  /**
   * checkWindow marks the window chosen; "" (a history range is shown)
   * marks none, and so does a zoom while it lasts (showZoom): the charts
   * do not show the window then. With none marked, the first stays in the
   * tab order and the arrow keys still choose.
   */
  checkWindow(name) {
    this.window = name;
    const shown = this.zoomKey ? "" : name;
    const buttons = [...this.els.windows.children];
    for (const b of buttons) {
      b.setAttribute("aria-checked", String(b.dataset.window === shown));
      b.tabIndex = b.dataset.window === shown ? 0 : -1;
    }
    if (buttons.length && !buttons.some((b) => b.dataset.window === shown)) buttons[0].tabIndex = 0;
  }

  /** checkRange marks the history range picked (null: none). */
  checkRange(choice) {
    if (this.ranges) this.ranges.show(choice);
  }

  /**
   * showPaused shows whether the page is paused on the Pause button (the
   * pill says how many updates wait: status.js).
   * @param {boolean} paused
   */
  showPaused(paused) {
    const btn = this.els.pause;
    // The clock calls it every second while paused: an attribute written
    // again with its own value still restyles what its selectors match.
    if (btn.getAttribute("aria-pressed") !== String(paused)) btn.setAttribute("aria-pressed", String(paused));
    setText(btn.querySelector(".btn-label"), paused ? "Resume" : "Pause");
    this.body.classList.toggle("is-paused", paused);
  }

  /** showHideZero shows the all-zero switch's state; CSS hides the zero lines and cards. */
  /** showFilter puts a filter (from the address) in the filter box. */
  showFilter(text) {
    this.filterBox.show(text);
  }

  /**
   * showZoom says whether the charts are held to a span (a zoom or a
   * custom range, unix ms; null: not): the pill, which then names the span
   * (status.js), becomes the way back to live, a button rather than a
   * second control that would widen the header. Called every frame: only
   * a change is written.
   */
  showZoom(range) {
    const key = range ? `${range[0]}-${range[1]}` : "";
    if (key === this.zoomKey) return;
    this.zoomKey = key;
    this.els.conn.disabled = !range;
    this.els.conn.title = range ? `Showing ${formatSpan(range[0], range[1])}, not live: press for live (Esc)` : "";
    this.body.classList.toggle("is-zoomed", !!range);
    this.checkWindow(this.window);
  }

  showHideZero(on) {
    this.els.hideZero.setAttribute("aria-checked", String(on));
    this.body.classList.toggle("hide-zero", on);
  }

  showAdmin(isAdmin) {
    this.body.classList.toggle("has-admin", isAdmin);
  }

  /**
   * orderGroups puts the group elements in the box in the given order, and
   * lists them in the jump list. With parts (a cluster of more than one
   * node: nodes.js) they go in one section per node instead.
   * @param {HTMLElement[]} els
   * @param {{node: object, els: HTMLElement[]}[]} [parts]
   */
  orderGroups(els, parts) {
    const box = this.els.groups;
    if (!this.nodeSections) this.nodeSections = new NodeSections(box);
    if (parts) this.nodeSections.show(parts);
    else if (this.nodeSections.sections.size) this.nodeSections.flat(els);
    else for (const el of els) if (box.lastElementChild !== el) box.append(el);
    const key = els.map((el) => el.id).join(" ");
    if (key === this.jumpKey) return;
    this.jumpKey = key;
    this.jumpLinks = els.map((el) => {
      const a = h("a", { href: `#${el.id}` }, el.dataset.source);
      // Revealed as the tree reveals it: under the bars, and kept there.
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        this.onJump(el.dataset.source);
      });
      return [el, a];
    });
    this.els.jump.replaceChildren(...this.jumpLinks.map(([, a]) => a));
    this.syncJump();
  }

  /** syncJump lists in the jump list only the sources shown (the filter hides the others' groups). */
  syncJump() {
    for (const [el, a] of this.jumpLinks) if (a.hidden !== el.hidden) a.hidden = el.hidden;
  }

  /**
   * reveal scrolls a source's group (el) to just under the sticky bars and
   * keeps it there while the cards around it are laid out (reveal.js);
   * the reader's own scrolling, or another reveal, ends it.
   * @param {HTMLElement} el
   */
  reveal(el) {
    if (this.cancelReveal) this.cancelReveal();
    const win = this.doc.defaultView;
    let end = null;
    const stop = () => end && end();
    this.cancelReveal = stop;
    for (const t of USER_SCROLL) win.addEventListener(t, stop, { passive: true });
    end = settleScroll({
      offset: () => el.getBoundingClientRect().top - (this.stickyBottom() + REVEAL_GAP),
      scrollBy: (dy) => win.scrollBy({ top: dy, behavior: "instant" }),
      frame: (fn) => win.requestAnimationFrame(fn),
      done: () => {
        for (const t of USER_SCROLL) win.removeEventListener(t, stop);
        if (this.cancelReveal === stop) this.cancelReveal = null;
      },
    });
  }

  /** stickyBottom is where the bars that stay at the top (header, banners) end, CSS px from the viewport's top. */
  stickyBottom() {
    let bottom = 0;
    for (const el of this.doc.querySelectorAll(".topbar, .banners")) {
      const pos = this.doc.defaultView.getComputedStyle(el).position;
      if (pos !== "sticky" && pos !== "fixed") continue;
      const r = el.getBoundingClientRect();
      if (r.height > 0) bottom = Math.max(bottom, r.bottom);
    }
    return bottom;
  }

  /**
   * showTreeSummary is the tree in one line, what a folded tree shows: on
   * a phone, and on any screen for more than TREE_FOLD sources (sources:
   * how many), so that the events under it stay in reach.
   */
  showTreeSummary(text, sources = 0) {
    setText(this.els.treeSummary, text);
    this.els.treePanel.classList.toggle("is-folding", sources > TREE_FOLD);
  }

  /**
   * showFilterError marks the filter box invalid with a short message
   * (all of them in its title), or valid again (""): aria-invalid, and the
   * message it is described by.
   */
  showFilterError(message, all = message) {
    const input = this.els.filter;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    setText(this.els.filterError, message ? `Not applied: ${message}` : "");
    this.els.filterError.title = all;
    this.els.filterError.hidden = !message;
  }

  /** showFilterCount says how many series the filter lets through ("" hides it). */
  showFilterCount(text) {
    setText(this.els.filterCount, text);
    this.els.filterCount.hidden = !text;
  }

  showEmpty(hidden, text) {
    this.els.empty.hidden = hidden;
    setText(this.els.empty, text);
  }

  showLoading(shown) {
    this.els.loading.hidden = !shown;
  }

  /** @param {{sources: string, series: string, points: string, messages: string}} ov */
  showOverview(ov) {
    for (const k of ["sources", "series", "points", "messages"]) setText(this.els[k], ov[k]);
  }
}
