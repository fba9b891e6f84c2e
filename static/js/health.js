// A source's recent history, told in its group's header beside the state
// badge: a restart stays visible for a while ("restarted 3 s ago"), a
// parked source says since when and when it is tried again, and the last
// error is marked as past once the source has recovered. It decorates a
// SourceGroup (sources.js) through its public elements, and reads only
// the source objects of the stream.

import { h, setText } from "./dom.js";
import { formatAgo, formatClock } from "./format.js";

/** RESTART_SHOWN_MS is how long "restarted … ago" stays after a restart. */
export const RESTART_SHOWN_MS = 60_000;

/**
 * recovered says whether a source with a last error has worked since:
 * its latest poll succeeded (up, when the server sends it), or it
 * succeeded after the error's time (seenAt when the server gives none).
 * @param {object|undefined} src
 * @param {number} seenAt when the page first saw this error, unix ms
 */
export function recovered(src, seenAt) {
  if (!src || !src.last_error || src.state !== "running") return false;
  if (src.up === false) return false;
  const at = Number(src.last_error_at) > 0 ? Number(src.last_error_at) : seenAt;
  return Number(src.last_success) > at;
}

/**
 * healthNote is the line under a source's facts, or "" for none.
 * @param {{state: string, restartedAt: number, parkedAt: number, retryAt: number, restarts: number, held?: boolean, crashAt?: number}} hs
 *   retryAt: when the supervisor tries a parked source again (unix ms; 0: unknown);
 *   held: the badge still shows a backoff that has ended (hold.js), whose
 *   crash was at crashAt (unix ms; 0: unknown): the line says what happened,
 *   in the past, so that it agrees with the badge and the facts beside it
 * @param {number} now unix ms
 * @param {boolean} [stale] the page is disconnected: what was last known,
 *   with clock times and no countdown (the retry may have come and gone)
 */
export function healthNote(hs, now, stale = false) {
  if (stale) return staleNote(hs, now);
  if (hs.state === "failed") {
    const since = hs.parkedAt ? ` since ${formatClock(hs.parkedAt)}` : "";
    const retry = hs.retryAt > now
      ? `next try at ${formatClock(hs.retryAt)} (${formatIn(hs.retryAt, now)})`
      : "the supervisor tries it again after its cool-down (supervisor.cooldown)";
    return `Parked${since} after ${hs.restarts} restarts; ${retry}.`;
  }
  if (hs.state === "backoff") return "Crashed; restarting after a backoff…";
  if (hs.held && hs.restartedAt) return heldNote(hs);
  if (hs.restartedAt && now - hs.restartedAt < RESTART_SHOWN_MS) return `Restarted ${formatAgo(hs.restartedAt, now)}.`;
  return "";
}

// heldNote tells a backoff that has ended while the badge still shows it:
// "Crashed at 13:18:17, backed off 96 ms, restarted at 13:18:17."
function heldNote(hs) {
  const restarted = `restarted at ${formatClock(hs.restartedAt)}`;
  const crashAt = hs.crashAt || 0;
  if (!(crashAt > 0) || crashAt > hs.restartedAt) return `Backed off, ${restarted}.`;
  return `Crashed at ${formatClock(crashAt)}, backed off ${duration(hs.restartedAt - crashAt)}, ${restarted}.`;
}

// duration writes a backoff's length: "96 ms", "1.5 s".
function duration(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}

// staleNote is healthNote's line while disconnected.
function staleNote(hs, now) {
  if (hs.state === "failed") {
    const since = hs.parkedAt ? ` since ${formatClock(hs.parkedAt)}` : "";
    return `Was parked${since} after ${hs.restarts} restarts (stale); its retry time is unknown while disconnected.`;
  }
  if (hs.state === "backoff") return "Was restarting after a backoff (stale).";
  if (hs.restartedAt && now - hs.restartedAt < RESTART_SHOWN_MS) return `Restarted at ${formatClock(hs.restartedAt)} (stale).`;
  return "";
}

/** formatIn is the time until t as "in 42 s", "in 3 min". */
function formatIn(t, now) {
  const s = Math.max(0, Math.round((t - now) / 1000));
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

export class SourceHealth {
  /** @param {{head: HTMLElement, error: HTMLElement}} group a SourceGroup */
  constructor(group) {
    this.group = group;
    this.note = h("p", { class: "health-note", role: "status" });
    this.note.hidden = true;
    group.head.append(this.note);
    this.state = { state: "", restartedAt: 0, parkedAt: 0, retryAt: 0, restarts: 0, held: false, crashAt: 0 };
    this.error = "";
    this.errorSeenAt = 0;
    this.src = undefined;
    this.stale = false;
  }

  /**
   * update follows a source object (from the stream) seen at now (unix
   * ms); parked is the timeline's latest "parked" entry of the source (the
   * server's: when, and when it is retried), if any.
   * @param {object|undefined} src
   * @param {number} now
   * @param {import("./timeline.js").TimelineEvent} [parked]
   * @param {boolean} [stale] the page is disconnected (healthNote)
   * @param {number} [heldCrashAt] set while the badge holds a backoff that
   *   has ended (hold.js): when the source crashed, unix ms (0 if unknown);
   *   undefined when nothing is held
   */
  update(src, now, parked, stale = false, heldCrashAt = undefined) {
    this.stale = stale;
    const hs = this.state;
    hs.held = heldCrashAt !== undefined;
    hs.crashAt = heldCrashAt || 0;
    const state = (src && src.state) || "unknown";
    const restarts = src ? Number(src.restarts) || 0 : 0;
    // The server's time of the last restart when it gives one; none when
    // it gives none (a new server process counts from 0: a restart of the
    // one before is not this source's).
    const lastRestart = src ? Number(src.last_restart_at) || 0 : 0;
    if (lastRestart > 0) hs.restartedAt = lastRestart;
    else if (restarts === 0 || restarts < hs.restarts) hs.restartedAt = 0;
    else if (this.src && restarts > hs.restarts) hs.restartedAt = now;
    if (state === "failed" && hs.state !== "failed") hs.parkedAt = now;
    if (state === "failed" && parked) {
      hs.parkedAt = parked.ts;
      hs.retryAt = parked.retryAt;
    }
    if (state !== "failed") hs.retryAt = 0;
    hs.state = state;
    hs.restarts = restarts;
    const err = (src && src.last_error) || "";
    if (err !== this.error) {
      this.error = err;
      this.errorSeenAt = now;
    }
    this.src = src;
    this.tick(now);
  }

  /** tick refreshes the relative times; the page calls it every second. */
  tick(now) {
    const text = healthNote(this.state, now, this.stale);
    if (this.note.hidden !== !text) this.note.hidden = !text;
    setText(this.note, text);
    // Written only when it changes: this runs at every update of the source.
    if (this.note.dataset.state !== this.state.state) this.note.dataset.state = this.state.state;
    this.group.error.classList.toggle("is-recovered", recovered(this.src, this.errorSeenAt));
  }
}
