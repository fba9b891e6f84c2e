import { test } from "node:test";
import assert from "node:assert/strict";
import { StreamClient } from "../js/socket.js";

// FakeClock runs timers by hand; FakeWS records what the client does.
class FakeClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.next = 1;
  }
  setTimeout = (fn, ms) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  };
  clearTimeout = (id) => {
    this.timers.delete(id);
  };
  /** advance runs every timer due within ms, in order. */
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let due = null;
      for (const [id, t] of this.timers) if (t.at <= end && (!due || t.at < due[1].at)) due = [id, t];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }
  pending() {
    return [...this.timers.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }
}

function harness(opts = {}) {
  const clock = new FakeClock();
  const sockets = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.readyState = 0;
      this.closed = false;
      sockets.push(this);
    }
    send(data) {
      this.sent.push(JSON.parse(data));
    }
    close() {
      if (this.closed) return;
      this.closed = true;
      this.readyState = 3;
      if (this.onclose) this.onclose({ code: 1000 });
    }
    // test side
    open() {
      this.readyState = 1;
      this.onopen();
    }
    recv(msg) {
      this.onmessage({ data: typeof msg === "string" ? msg : JSON.stringify(msg) });
    }
    drop() {
      this.readyState = 3;
      this.closed = true;
      this.onclose({ code: 1006 });
    }
  }
  const got = [];
  const statuses = [];
  const client = new StreamClient({
    url: "ws://host/ws",
    onMessage: (m) => got.push(m),
    onStatus: (s) => statuses.push(s),
    WebSocket: FakeWS,
    now: () => clock.now,
    random: () => 1,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    backoff: { base: 500, cap: 4000 },
    ...opts,
  });
  return { clock, sockets, got, statuses, client, last: () => sockets[sockets.length - 1] };
}

const hello = { type: "hello", version: "1", windows: ["1m"], history_seconds: 900 };

test("a fresh page asks for a snapshot at once and goes live", () => {
  const h = harness();
  h.client.start();
  assert.equal(h.last().url, "ws://host/ws");
  h.last().open();
  assert.deepEqual(h.last().sent, [{ type: "resume", seq: 0 }]);
  h.last().recv(hello);
  h.last().recv({ type: "snapshot", seq: 4, ts: 1 });
  assert.deepEqual(
    h.got.map((m) => m.type),
    ["hello", "snapshot"],
  );
  assert.equal(h.client.status.state, "live");
  assert.equal(h.client.lastSeq, 4);
});

test("in-order deltas pass, old ones are skipped, garbage is ignored", () => {
  const h = harness();
  h.client.start();
  h.last().open();
  h.last().recv(hello);
  h.last().recv({ type: "snapshot", seq: 4 });
  h.last().recv({ type: "delta", seq: 5 });
  h.last().recv({ type: "delta", seq: 8, from: 6 });
  h.last().recv({ type: "delta", seq: 8 });
  h.last().recv("not json");
  h.last().recv({ type: "mystery" });
  assert.deepEqual(
    h.got.map((m) => m.seq ?? m.type),
    ["hello", 4, 5, 8],
  );
});

test("a gap asks for a resume on the same connection and waits for its answer", () => {
  const h = harness();
  h.client.start();
  const ws = h.last();
  ws.open();
  ws.recv(hello);
  ws.recv({ type: "snapshot", seq: 4 });
  ws.recv({ type: "delta", seq: 6 }); // 5 was lost
  ws.recv({ type: "delta", seq: 7 }); // still in flight: ignored, no second resume
  assert.deepEqual(ws.sent, [
    { type: "resume", seq: 0 },
    { type: "resume", seq: 4 },
  ]);
  ws.recv({ type: "delta", seq: 7, from: 5 }); // the server's answer
  assert.deepEqual(
    h.got.map((m) => m.seq ?? m.type),
    ["hello", 4, 7],
  );
  h.clock.advance(10_000);
  assert.equal(h.sockets.length, 1, "no reconnect once resynced");
});

test("a resync that gets no answer reconnects with resume", () => {
  const h = harness();
  h.client.start();
  const ws = h.last();
  ws.open();
  ws.recv(hello);
  ws.recv({ type: "snapshot", seq: 4 });
  ws.recv({ type: "delta", seq: 9 });
  h.clock.advance(5000);
  assert.equal(ws.closed, true);
  assert.equal(h.client.status.state, "reconnecting");
  h.clock.advance(500);
  assert.equal(h.last().url, "ws://host/ws?resume=4");
});

test("a URL with a query of its own gets the resume after it", () => {
  const h = harness({ url: "ws://host/ws?points=columns" });
  h.client.start();
  assert.equal(h.last().url, "ws://host/ws?points=columns");
  h.last().open();
  h.last().recv(hello);
  h.last().recv({ type: "snapshot", seq: 4, ts: 1 });
  h.last().drop();
  h.clock.advance(1000);
  assert.equal(h.last().url, "ws://host/ws?points=columns&resume=4");
});

test("a lost connection retries with growing, capped delays and resumes", () => {
  const h = harness();
  h.client.start();
  h.last().open();
  h.last().recv(hello);
  h.last().recv({ type: "snapshot", seq: 10 });
  h.clock.advance(3000);
  h.last().drop();
  assert.equal(h.client.status.state, "reconnecting");
  assert.equal(h.client.status.staleSince, 0, "stale since the last message");
  const delays = [];
  for (let i = 0; i < 6; i++) {
    delays.push(h.clock.pending()[0]);
    h.clock.advance(h.clock.pending()[0]);
    assert.equal(h.last().url, "ws://host/ws?resume=10");
    h.last().drop(); // the server is still down
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 4000, 4000]);
  // The server is back: a hello makes it live, data resets the backoff.
  h.clock.advance(h.clock.pending()[0]);
  const ws = h.last();
  ws.open();
  assert.deepEqual(ws.sent, [], "resumed by the URL, no resume message");
  ws.recv(hello);
  assert.equal(h.client.status.state, "live");
  ws.recv({ type: "snapshot", seq: 2 }); // a restarted server starts over
  assert.equal(h.client.lastSeq, 2);
  ws.drop();
  assert.equal(h.clock.pending()[0], 500);
});

test("a handshake that hangs is given up and retried", () => {
  const h = harness();
  h.client.start();
  h.clock.advance(10_000);
  assert.equal(h.sockets[0].closed, true);
  assert.equal(h.client.status.state, "connecting", "never live yet: still connecting");
  assert.ok(h.client.status.retryAt > h.clock.now);
  h.clock.advance(500);
  assert.equal(h.sockets.length, 2);
});

test("retryNow skips the wait; stop cancels everything", () => {
  const h = harness();
  h.client.start();
  h.last().open();
  h.last().recv(hello);
  h.last().drop();
  h.client.retryNow();
  assert.equal(h.sockets.length, 2);
  h.client.retryNow(); // connecting already: nothing more
  assert.equal(h.sockets.length, 2);
  h.client.stop();
  assert.equal(h.last().closed, true);
  assert.deepEqual(h.clock.pending(), []);
  h.clock.advance(60_000);
  assert.equal(h.sockets.length, 2);
});

test("a hello from another server instance asks for a fresh snapshot", () => {
  const h = harness();
  h.client.start();
  let ws = h.last();
  ws.open();
  ws.recv({ ...hello, instance: "a" });
  ws.recv({ type: "snapshot", seq: 7 });
  ws.drop();
  h.clock.advance(500);
  ws = h.last();
  assert.equal(ws.url, "ws://host/ws?resume=7");
  ws.open();
  ws.recv({ ...hello, instance: "b" }); // restarted, and its seq happens to be 7 too
  assert.deepEqual(ws.sent, [{ type: "resume", seq: 0 }]);
  ws.recv({ type: "delta", seq: 8 }); // sent before our request: ignored
  ws.recv({ type: "snapshot", seq: 9 });
  assert.deepEqual(
    h.got.filter((m) => m.type !== "hello").map((m) => m.seq),
    [7, 9],
  );
});

test("a hello from the same instance keeps the resumed stream", () => {
  const h = harness();
  h.client.start();
  let ws = h.last();
  ws.open();
  ws.recv({ ...hello, instance: "a" });
  ws.recv({ type: "snapshot", seq: 7 });
  ws.drop();
  h.clock.advance(500);
  ws = h.last();
  ws.open();
  ws.recv({ ...hello, instance: "a" });
  ws.recv({ type: "delta", seq: 8 });
  assert.deepEqual(ws.sent, []);
  assert.deepEqual(
    h.got.filter((m) => m.type !== "hello").map((m) => m.seq),
    [7, 8],
  );
});
