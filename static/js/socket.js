// The stream: one WebSocket to /ws, reconnected with capped, jittered
// exponential backoff, resumed from the last applied sequence number, and
// resynced when a delta shows that something was lost.
//
// How it works: a fresh page opens /ws and at once sends {"type":"resume",
// "seq":0}, so the server sends the snapshot without waiting for a resume
// that will not come. A reconnecting page opens /ws?resume=N with its last
// seq N and gets the deltas after N if the server still holds them, else a
// snapshot (after a server restart, always a snapshot). Every delta is
// checked (checkSequence): an old one is skipped; one after a loss makes
// the client send {"type":"resume","seq":N} on the same connection and
// ignore deltas until the answer (a snapshot, or the delta after N) comes;
// if none comes in time, it reconnects.

import { backoffDelay, checkSequence } from "./protocol.js";

const CONNECT_TIMEOUT_MS = 10000;
const RESYNC_TIMEOUT_MS = 5000;

/**
 * @typedef {{state: "connecting"|"live"|"reconnecting", retryAt: number|null,
 *   staleSince: number|null, attempt: number}} StreamStatus
 */

export class StreamClient {
  /**
   * @param {{url: string,
   *   onMessage: (msg: object) => void,
   *   onStatus?: (s: StreamStatus) => void,
   *   backoff?: {base?: number, cap?: number},
   *   WebSocket?: typeof WebSocket, now?: () => number, random?: () => number,
   *   setTimeout?: typeof setTimeout, clearTimeout?: typeof clearTimeout}} opts
   * onMessage receives hello, snapshot and in-order delta messages, and
   * range answers, only.
   */
  constructor(opts) {
    this.url = opts.url;
    this.onMessage = opts.onMessage;
    this.onStatus = opts.onStatus || (() => {});
    this.backoff = { ...(opts.backoff || {}), random: opts.random || Math.random };
    this.WS = opts.WebSocket || globalThis.WebSocket;
    this.now = opts.now || Date.now;
    // Timers and the socket class are injectable for tests.
    this.setTimeout = opts.setTimeout || globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = opts.clearTimeout || globalThis.clearTimeout.bind(globalThis);
    this.ws = null;
    this.lastSeq = null;
    this.attempt = 0;
    this.stopped = true;
    this.everLive = false;
    this.status = { state: "connecting", retryAt: null, staleSince: null, attempt: 0 };
    this.lastMessageAt = null;
    this.resyncing = false;
    this.instance = undefined; // the server process's id, if its hello gives one
    this.timers = { retry: 0, connect: 0, resync: 0 };
  }

  /** start connects; it is a no-op while running. */
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** stop closes the connection and cancels every pending retry. */
  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "page closing");
    }
  }

  /**
   * retryNow skips the wait of a pending reconnect (the page became
   * visible again, the network came back).
   */
  retryNow() {
    if (this.stopped || this.ws || !this.timers.retry) return;
    this.clearTimeout(this.timers.retry);
    this.timers.retry = 0;
    this.connect();
  }

  clearTimers() {
    for (const k of Object.keys(this.timers)) {
      this.clearTimeout(this.timers[k]);
      this.timers[k] = 0;
    }
  }

  setStatus(patch) {
    this.status = { ...this.status, ...patch, attempt: this.attempt };
    this.onStatus(this.status);
  }

  connect() {
    this.timers.retry = 0;
    const resume = this.lastSeq !== null ? `${this.url.includes("?") ? "&" : "?"}resume=${encodeURIComponent(this.lastSeq)}` : "";
    let ws;
    try {
      ws = new this.WS(this.url + resume);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    this.resyncing = false;
    if (this.status.state !== "reconnecting") this.setStatus({ state: "connecting", retryAt: null });
    else this.setStatus({ retryAt: null });
    // A handshake that hangs, or an open socket without a hello, is given
    // up on and retried.
    this.timers.connect = this.setTimeout(() => {
      if (this.ws === ws) this.drop(ws);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (this.lastSeq === null) this.send({ type: "resume", seq: 0 });
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.receive(ws, ev.data);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.lost();
    };
    ws.onerror = () => {}; // onclose follows and handles it
  }

  /**
   * send writes a message to the server on the open connection; false
   * when there is none (the caller asks again once the stream is back).
   */
  send(obj) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  receive(ws, data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // not ours to guess about
    }
    if (!msg || typeof msg !== "object") return;
    this.lastMessageAt = this.now();
    if (msg.type === "hello") {
      // The server took the connection: live from here, even if nothing
      // changes for a while (a resumed stream may stay quiet).
      this.clearTimeout(this.timers.connect);
      this.everLive = true;
      this.setStatus({ state: "live", retryAt: null, staleSince: null });
      this.newInstance(msg);
      this.onMessage(msg);
      return;
    }
    if (msg.type === "range") {
      // An answer to the page's own request: no seq, handed on as it is
      // (the page drops answers it no longer wants).
      this.onMessage(msg);
      return;
    }
    if (msg.type !== "snapshot" && msg.type !== "delta") return;
    switch (checkSequence(this.lastSeq, msg)) {
      case "skip":
        return;
      case "gap":
        this.resync(ws);
        return;
    }
    this.lastSeq = Number(msg.seq);
    this.resyncing = false;
    this.clearTimeout(this.timers.resync);
    // Data flows: the next loss starts its backoff from the beginning.
    this.attempt = 0;
    this.onMessage(msg);
  }

  // newInstance handles a hello from another server process than the
  // last one (when the hello names its instance): sequence numbers start
  // over in a new process, so a resume from the old one's seq could match
  // by chance and skip the snapshot. Ask for one from scratch instead.
  newInstance(msg) {
    const id = msg.instance;
    if (id === undefined || id === null) return;
    const changed = this.instance !== undefined && this.instance !== id;
    this.instance = id;
    if (!changed || this.lastSeq === null) return;
    this.lastSeq = null;
    this.resyncing = true;
    this.send({ type: "resume", seq: 0 });
    this.armResync(this.ws);
  }

  // resync asks the server for what follows lastSeq (a snapshot if it no
  // longer has it) and ignores deltas until the answer.
  resync(ws) {
    if (this.resyncing) return;
    this.resyncing = true;
    this.send({ type: "resume", seq: this.lastSeq ?? 0 });
    this.armResync(ws);
  }

  // armResync reconnects if the answer to a resume does not come in time.
  armResync(ws) {
    this.clearTimeout(this.timers.resync);
    this.timers.resync = this.setTimeout(() => {
      if (this.ws === ws && this.resyncing) this.drop(ws);
    }, RESYNC_TIMEOUT_MS);
  }

  drop(ws) {
    ws.onclose = null;
    ws.close();
    this.lost();
  }

  // lost schedules the next attempt after the connection ended.
  lost() {
    this.ws = null;
    this.clearTimeout(this.timers.connect);
    this.clearTimeout(this.timers.resync);
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt++;
    const staleSince = this.status.staleSince ?? this.lastMessageAt ?? this.now();
    this.timers.retry = this.setTimeout(() => this.connect(), delay);
    this.setStatus({
      state: this.everLive ? "reconnecting" : "connecting",
      retryAt: this.now() + delay,
      staleSince,
    });
  }
}
