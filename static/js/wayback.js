// Ways back on a long page: a skip link, first in the Tab order, past the
// header and the sidebar's panels to the charts; and on a phone, where the
// header scrolls away with the page (layout.css), a small button fixed at
// the bottom that shows the stream's state (status.js writes it) and goes
// back up to the header's filter, pause and jump list. Neither touches the
// address: a fragment would add a history entry and stick to a shared view.

export class WayBack {
  /**
   * @param {{skip: HTMLAnchorElement, target: HTMLElement, top: HTMLButtonElement, header: HTMLElement}} els
   *   target: what the skip link goes to (focusable: tabindex -1); top: the
   *   button back up, shown while header is out of sight
   * @param {{scrollTo: (opts: ScrollToOptions) => void, IntersectionObserver?: typeof IntersectionObserver}} win
   * Built once by main.js; its listeners run on the page's thread.
   */
  constructor(els, win) {
    this.els = els;
    els.skip.addEventListener("click", (ev) => {
      ev.preventDefault();
      els.target.scrollIntoView({ block: "start" });
      els.target.focus({ preventScroll: true });
    });
    els.top.addEventListener("click", () => {
      win.scrollTo({ top: 0 });
      els.header.focus({ preventScroll: true });
    });
    if (!win.IntersectionObserver) return;
    // Shown only while the header is out of sight (CSS shows it on a phone only).
    new win.IntersectionObserver((entries) => {
      for (const e of entries) this.headerInSight(e.isIntersecting);
    }).observe(els.header);
  }

  /** headerInSight hides the button back up while the header can be seen. */
  headerInSight(seen) {
    if (this.els.top.hidden !== seen) this.els.top.hidden = seen;
  }
}
