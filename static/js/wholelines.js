// A scrolling list of the sidebar (the alerts, the events) ends between
// two lines of text, never through one: its style sheet's max-height fell
// where it fell, and cut an alert mid-sentence (trial 12 r9, finding 11).
// While its content is taller than that height, the list is made as tall
// as the lines that fit whole (an item's end, or a line within it: a tall
// alert is not hidden whole for the sake of its last lines), and a shade
// along its bottom edge says there is more; shorter, it is left to its
// content.
//
// How it works: a ResizeObserver on the list and on each of its items
// (a MutationObserver adds the items as the list's owner puts them in)
// calls fit after the browser has laid the page out, so that reading the
// lines' boxes costs no layout of its own, and fit writes the height only
// when it changes: nothing is done per frame, only when an item or the
// list changes size (an alert comes or goes, an "ago" wraps anew). Only
// the items that reach into the list's height are read.

/**
 * wholeHeight is the height to give a list so that no line of its
 * content is cut by cap (its max-height, px). items and lines are the
 * content's items and line boxes as [top, bottom] (px from the top of the
 * content), end the content's height: "" when it all fits; else the
 * lowest bottom of an item or a line at or above cap that no line
 * straddles (a cut between two lines, of two columns alike); cap when
 * none is.
 * @param {[number, number][]} items
 * @param {[number, number][]} lines
 * @param {number} end
 * @param {number} cap
 * @returns {number|""}
 */
export function wholeHeight(items, lines, end, cap) {
  if (!(cap > 0) || end <= cap + 0.5) return "";
  let best = 0;
  for (const [, cut] of [...items, ...lines]) {
    if (cut > cap + 0.5 || cut <= best) continue;
    if (lines.some(([top, bottom]) => top < cut - 0.5 && bottom > cut + 0.5)) continue;
    best = cut;
  }
  return best > 0 ? best : cap;
}

export class WholeLines {
  /**
   * @param {HTMLElement} list a list whose style sheet gives it a
   *   max-height and overflow-y: auto
   * @param {{ResizeObserver?: typeof ResizeObserver, MutationObserver?: typeof MutationObserver, getComputedStyle: typeof getComputedStyle, document: Document}} win
   * Built once by main.js; its observers run on the page's thread.
   */
  constructor(list, win) {
    this.list = list;
    this.win = win;
    this.height = "";
    if (!win.ResizeObserver || !win.MutationObserver) return;
    const ro = new win.ResizeObserver(() => this.fit());
    ro.observe(list);
    for (const el of list.children) ro.observe(el);
    // A removed item is reported by the observer at its going (its size
    // becomes none), and stops being observed when it is collected.
    new win.MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) ro.observe(n);
    }).observe(list, { childList: true });
  }

  // fit sets the list's height at a cut between two lines (wholeHeight).
  fit() {
    const list = this.list;
    const cap = parseFloat(this.win.getComputedStyle(list).maxHeight);
    const top = list.getBoundingClientRect().top + list.clientTop - list.scrollTop;
    const items = [];
    const lines = [];
    const range = this.win.document.createRange();
    for (const item of list.children) {
      const r = item.getBoundingClientRect();
      if (r.top - top > cap) break; // below the cut whatever it is
      items.push([r.top - top, r.bottom - top]);
      range.selectNodeContents(item);
      for (const line of range.getClientRects()) if (line.height > 0) lines.push([line.top - top, line.bottom - top]);
    }
    const h = wholeHeight(items, lines, list.scrollHeight, cap);
    if (h === this.height) return;
    this.height = h;
    list.style.height = h === "" ? "" : `${Math.floor(h)}px`;
    // No line shows cut to say there is more: a shade does (alerts.css).
    list.classList.toggle("has-more", h !== "");
  }
}
