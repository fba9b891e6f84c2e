import { test } from "node:test";
import assert from "node:assert/strict";
import { readEvents } from "../js/events.js";

test("readEvents reads reload events, filling in the lists left out", () => {
  const evs = readEvents([
    { kind: "reload", ts: 1795320277731, ok: true, message: "config reloaded: added x", added: ["x"], needs_restart: ["server.listen"] },
    { kind: "reload", ts: 1795320277800, ok: false, message: "config rejected", errors: ["/tmp/x.yaml:14:5: unknown key"] },
  ]);
  assert.deepEqual(evs, [
    { kind: "reload", ts: 1795320277731, ok: true, message: "config reloaded: added x", added: ["x"], removed: [], changed: [], needsRestart: ["server.listen"], errors: [], ...noSupervision },
    { kind: "reload", ts: 1795320277800, ok: false, message: "config rejected", added: [], removed: [], changed: [], needsRestart: [], errors: ["/tmp/x.yaml:14:5: unknown key"], ...noSupervision },
  ]);
});

const noSupervision = {
  source: "", event: "", restarts: 0, error: "", retryAt: 0, delayMs: 0, name: "", severity: "", series: "",
  id: "", from: "", fromSeverity: "", labels: {}, version: "", previous: 0,
};

test("readEvents reads supervision events; members of the wrong type read as absent", () => {
  const [parked, odd] = readEvents([
    { kind: "supervision", ts: 10, source: "flaky", event: "parked", restarts: 6, error: "panic: x", delay_ms: 60000, retry_at: 60010 },
    { kind: "supervision", ts: 11, source: 3, event: null, restarts: "6", error: {}, delay_ms: -5, retry_at: "soon" },
  ]);
  assert.deepEqual({ ...parked }, {
    kind: "supervision", ts: 10, ok: false, message: "", added: [], removed: [], changed: [], needsRestart: [], errors: [],
    source: "flaky", event: "parked", restarts: 6, error: "panic: x", retryAt: 60010, delayMs: 60000,
    name: "", severity: "", series: "", id: "", from: "", fromSeverity: "", labels: {}, version: "", previous: 0,
  });
  assert.deepEqual({ source: odd.source, event: odd.event, restarts: odd.restarts, error: odd.error, retryAt: odd.retryAt, delayMs: odd.delayMs }, { source: "", event: "", restarts: 0, error: "", retryAt: 0, delayMs: 0 });
});

test("readEvents leaves out what is not an event", () => {
  assert.deepEqual(readEvents(undefined), []);
  assert.deepEqual(readEvents({ kind: "reload" }), []);
  const evs = readEvents([null, 3, "reload", { ts: 1 }, { kind: "reload" }, { kind: "reload", ts: "soon" }, { kind: "reload", ts: 5, ok: "yes", added: "x" }]);
  assert.equal(evs.length, 1, "only the last has a kind and a time");
  assert.equal(evs[0].ok, false, "ok must be true, not truthy");
  assert.deepEqual(evs[0].added, [], "a list that is not a list reads as empty");
});

test("readEvents reads alert and server events", () => {
  const [al, srv] = readEvents([
    { kind: "alert", ts: 5, id: "a1", name: "HighCPU", event: "firing", severity: "critical", source: "host", series: "s1", value: 91 },
    { kind: "server", ts: 6, event: "started", version: "1.2.3", previous: 4 },
  ]);
  assert.deepEqual([al.name, al.event, al.severity, al.source, al.series], ["HighCPU", "firing", "critical", "host", "s1"]);
  assert.deepEqual([srv.event, srv.version, srv.previous], ["started", "1.2.3", 4]);
  assert.equal(readEvents([{ kind: "server", ts: 6, previous: "4", version: 3 }])[0].previous, 0);
});

test("readEvents reads what an alert event's change left and its labels; a server that did not say reads as \"\"", () => {
  const [now, old, odd] = readEvents([
    { kind: "alert", ts: 5, id: "a1", name: "ShardHot", event: "resolved", from: "pending", from_severity: "warning", labels: { shard: "2", env: "demo" } },
    { kind: "alert", ts: 6, id: "a1", name: "ShardHot", event: "resolved" },
    { kind: "alert", ts: 7, name: "ShardHot", event: "firing", from: 3, labels: { shard: 2, env: "demo" } },
  ]);
  assert.deepEqual([now.id, now.from, now.fromSeverity, now.labels], ["a1", "pending", "warning", { shard: "2", env: "demo" }]);
  assert.deepEqual([old.from, old.fromSeverity, old.labels], ["", "", {}]);
  assert.deepEqual([odd.from, odd.labels], ["", { env: "demo" }], "members of the wrong type read as absent");
  assert.deepEqual(readEvents([{ kind: "alert", ts: 8, labels: ["shard"] }])[0].labels, {});
});
