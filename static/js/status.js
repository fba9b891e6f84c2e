// The connection status in the header, and the stale banner under it.

import { setData, setHidden, setText } from "./dom.js";
import { formatClock, formatSpanShort, formatWhen } from "./format.js";

/**
 * statusText is what the header says for a stream status at time now:
 * "live", "connecting…", "reconnecting in 3s", "stale since 14:02:11";
 * while the charts show a span that ends before now (pastEnd, unix ms; 0
 * for none), a live stream is "history to 14:05:10": what is shown is not
 * live; held to a zoom or a custom range (span, [from, to] unix ms), it
 * names the span, "14:02:10–14:09:40", the pill then being the way back;
 * paused (waiting ≥ 0: the updates that came since), "paused · 12 waiting".
 * @param {import("./socket.js").StreamStatus} s
 * @param {number} now
 * @param {number} [pastEnd]
 */
export function statusText(s, now, pastEnd = 0, span = null, waiting = -1) {
  if (!s) return "connecting…";
  const secs = s.retryAt && s.retryAt > now ? Math.ceil((s.retryAt - now) / 1000) : 0;
  switch (s.state) {
    case "live":
      if (waiting >= 0) return `paused · ${waiting} waiting`;
      // Short: the header keeps one row (its title says the span whole: page.js showZoom).
      if (span) return formatSpanShort(span[0], span[1]);
      return pastEnd ? `history to ${formatWhen(pastEnd, now)}` : "live";
    case "reconnecting":
      if (secs) return `reconnecting in ${secs}s`;
      return s.staleSince ? `stale since ${formatClock(s.staleSince)}` : "reconnecting…";
    default:
      return secs ? `connecting… retry in ${secs}s` : "connecting…";
  }
}

export class StatusView {
  /**
   * @param {{pill: HTMLElement, text: HTMLElement, banner: HTMLElement, bannerText: HTMLElement, mini?: HTMLElement, miniText?: HTMLElement}} els
   *   mini, miniText: the phone's button back up and its text, which repeat the pill's state
   */
  constructor(els) {
    this.els = els;
    this.s = null;
    this.pastEnd = 0;
    this.span = null;
    this.waiting = -1;
  }

  show(s) {
    this.s = s;
    this.tick();
  }

  /**
   * showPast says whether the charts show a span that ends before now
   * (its end, unix ms) or follow the live edge (0), and the span they are
   * held to by a zoom or a custom range ([from, to] unix ms, or null).
   * Called every frame: only a change is written.
   */
  showPast(end, span = null) {
    const same = span === this.span || (span && this.span && span[0] === this.span[0] && span[1] === this.span[1]);
    if (end === this.pastEnd && same) return;
    this.pastEnd = end;
    this.span = span;
    this.tick();
  }

  /**
   * showPaused says whether the page is paused and how many of the
   * stream's updates wait to be shown: the pill says so, in place of
   * "live" (the connection, when it is lost, comes first).
   * @param {boolean} paused
   * @param {number} waiting
   */
  showPaused(paused, waiting) {
    const w = paused ? Math.max(0, waiting) : -1;
    if (w === this.waiting) return;
    this.waiting = w;
    this.tick();
  }

  /** tick refreshes the countdown; the page calls it every second. */
  tick() {
    const s = this.s;
    const state = s ? s.state : "connecting";
    const now = Date.now();
    // The stream stays live (body's data-conn) while the pill says the view is not.
    const shown = state !== "live" ? state : this.waiting >= 0 ? "paused" : this.pastEnd || this.span ? "history" : state;
    // Written only when they change: an attribute written on <body>, even
    // with its own value, is a mutation that invalidates the style of the
    // whole page (a trace of the paused demo: 8 ms a second in this tick).
    setData(this.els.pill, "state", shown);
    setData(document.body, "conn", state);
    const text = statusText(s, now, this.pastEnd, this.span, this.waiting);
    setText(this.els.text, text);
    // Whole on hover: a narrow header ends the pill's text in an ellipsis.
    if (this.els.text.title !== text) this.els.text.title = text;
    // The phone's button back up (wayback.js) says the same.
    if (this.els.mini) {
      setData(this.els.mini, "state", shown);
      setText(this.els.miniText, text);
    }
    const stale = state === "reconnecting";
    setHidden(this.els.banner, !stale);
    if (stale) {
      const since = s.staleSince ? formatClock(s.staleSince) : "–";
      const next = s.retryAt ? `reconnecting in ${Math.max(1, Math.ceil((s.retryAt - now) / 1000))}s` : "reconnecting now";
      setText(this.els.bannerText, `Connection lost. Showing data as of ${since}; ${next}.`);
    }
  }
}
