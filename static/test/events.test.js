import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_MARKERS, Markers, readEvents } from "../js/events.js";

test("readEvents reads reload events, filling in the lists left out", () => {
  const evs = readEvents([
    { kind: "reload", ts: 1795320277731, ok: true, message: "config reloaded: added x", added: ["x"], needs_restart: ["server.listen"] },
    { kind: "reload", ts: 1795320277800, ok: false, message: "config rejected", errors: ["/tmp/x.yaml:14:5: unknown key"] },
  ]);
  assert.deepEqual(evs, [
    { kind: "reload", ts: 1795320277731, ok: true, message: "config reloaded: added x", added: ["x"], removed: [], changed: [], needsRestart: ["server.listen"], errors: [] },
    { kind: "reload", ts: 1795320277800, ok: false, message: "config rejected", added: [], removed: [], changed: [], needsRestart: [], errors: ["/tmp/x.yaml:14:5: unknown key"] },
  ]);
});

test("readEvents leaves out what is not an event", () => {
  assert.deepEqual(readEvents(undefined), []);
  assert.deepEqual(readEvents({ kind: "reload" }), []);
  const evs = readEvents([null, 3, "reload", { ts: 1 }, { kind: "reload" }, { kind: "reload", ts: "soon" }, { kind: "reload", ts: 5, ok: "yes", added: "x" }]);
  assert.equal(evs.length, 1, "only the last has a kind and a time");
  assert.equal(evs[0].ok, false, "ok must be true, not truthy");
  assert.deepEqual(evs[0].added, [], "a list that is not a list reads as empty");
});

test("markers stay in time order", () => {
  const m = new Markers();
  assert.equal(m.add(3000, true), true);
  m.add(1000, false);
  m.add(2000, true);
  m.add(3000, false);
  assert.deepEqual(
    m.list.map((x) => [x.ts, x.ok]),
    [
      [1000, false],
      [2000, true],
      [3000, true],
      [3000, false],
    ],
  );
  assert.equal(m.add(NaN, true), false);
  assert.equal(m.length, 4);
});

test("markers are trimmed with the history", () => {
  const m = new Markers();
  for (const ts of [1000, 2000, 3000]) m.add(ts, true);
  assert.equal(m.trimBefore(500), false);
  assert.equal(m.trimBefore(2000), true);
  assert.deepEqual(
    m.list.map((x) => x.ts),
    [2000, 3000],
    "a marker exactly at the bound stays",
  );
  assert.deepEqual(
    m.within(2500, 4000).map((x) => x.ts),
    [3000],
  );
  assert.equal(m.trimBefore(Infinity), true);
  assert.equal(m.length, 0);
});

test("markers are bounded in number, the oldest going first", () => {
  const m = new Markers();
  for (let i = 0; i < 10 * MAX_MARKERS; i++) m.add(i * 1000, i % 2 === 0);
  assert.equal(m.length, MAX_MARKERS);
  assert.equal(m.list[0].ts, (10 * MAX_MARKERS - MAX_MARKERS) * 1000);
  const small = new Markers(2);
  small.add(3, true);
  small.add(2, true);
  small.add(1, true); // older than all it holds: it goes at once
  assert.deepEqual(
    small.list.map((x) => x.ts),
    [2, 3],
  );
});
