// A scrolling list of the sidebar (the alerts, the events) ends between
// two of its items, never through one: its style sheet's max-height fell
// where it fell, and cut an alert mid-sentence (trial 12 r9, finding 11).
// While its items are taller than that height, the list is made as tall as
// the items that fit whole; shorter, it is left to its content.
//
// How it works: a ResizeObserver on the list and on each of its items
// (a MutationObserver adds the items as the list's owner puts them in)
// calls fit after the browser has laid the page out, so that reading the
// items' boxes costs no layout of its own, and fit writes the height only
// when it changes: nothing is done per frame, only when an item or the
// list changes size (an alert comes or goes, an "ago" wraps anew).

/**
 * wholeHeight is the height to give a list whose items end at bottoms (px
 * from the top of its content, in order) so that none is cut by cap (its
 * max-height, px): the bottom of the last item that fits whole; "" (its
 * content's height) when every item fits; cap when not even the first does.
 * @param {number[]} bottoms
 * @param {number} cap
 * @returns {number|""}
 */
export function wholeHeight(bottoms, cap) {
  if (!bottoms.length || !(cap > 0) || bottoms[bottoms.length - 1] <= cap + 0.5) return "";
  let fit = 0;
  for (const b of bottoms) {
    if (b > cap + 0.5) break;
    fit = b;
  }
  return fit > 0 ? fit : cap;
}

export class WholeItems {
  /**
   * @param {HTMLElement} list a list whose style sheet gives it a
   *   max-height and overflow-y: auto
   * @param {{ResizeObserver?: typeof ResizeObserver, MutationObserver?: typeof MutationObserver, getComputedStyle: typeof getComputedStyle}} win
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
    // A removed item stops being observed by itself (it is collected);
    // its going shrinks the list, which is observed.
    new win.MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) ro.observe(n);
    }).observe(list, { childList: true });
  }

  // fit sets the list's height to a boundary between its items (wholeHeight).
  fit() {
    const list = this.list;
    const cap = parseFloat(this.win.getComputedStyle(list).maxHeight);
    const top = list.getBoundingClientRect().top + list.clientTop - list.scrollTop;
    const bottoms = [...list.children].map((el) => el.getBoundingClientRect().bottom - top);
    const h = wholeHeight(bottoms, cap);
    if (h === this.height) return;
    this.height = h;
    list.style.height = h === "" ? "" : `${Math.floor(h)}px`;
  }
}
