// The connection status in the header, and the stale banner under it.

import { setText } from "./dom.js";
import { formatClock } from "./format.js";

/**
 * statusText is what the header says for a stream status at time now:
 * "live", "connecting…", "reconnecting in 3s", "stale since 14:02:11".
 * @param {import("./socket.js").StreamStatus} s
 * @param {number} now
 */
export function statusText(s, now) {
  if (!s) return "connecting…";
  const secs = s.retryAt && s.retryAt > now ? Math.ceil((s.retryAt - now) / 1000) : 0;
  switch (s.state) {
    case "live":
      return "live";
    case "reconnecting":
      if (secs) return `reconnecting in ${secs}s`;
      return s.staleSince ? `stale since ${formatClock(s.staleSince)}` : "reconnecting…";
    default:
      return secs ? `connecting… retry in ${secs}s` : "connecting…";
  }
}

export class StatusView {
  /** @param {{pill: HTMLElement, text: HTMLElement, banner: HTMLElement, bannerText: HTMLElement}} els */
  constructor(els) {
    this.els = els;
    this.s = null;
  }

  show(s) {
    this.s = s;
    this.tick();
  }

  /** tick refreshes the countdown; the page calls it every second. */
  tick() {
    const s = this.s;
    const state = s ? s.state : "connecting";
    const now = Date.now();
    this.els.pill.dataset.state = state;
    document.body.dataset.conn = state;
    setText(this.els.text, statusText(s, now));
    const stale = state === "reconnecting";
    this.els.banner.hidden = !stale;
    if (stale) {
      const since = s.staleSince ? formatClock(s.staleSince) : "–";
      const next = s.retryAt ? `reconnecting in ${Math.max(1, Math.ceil((s.retryAt - now) / 1000))}s` : "reconnecting now";
      setText(this.els.bannerText, `Connection lost. Showing data as of ${since}; ${next}.`);
    }
  }
}
