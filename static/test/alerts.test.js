import { test } from "node:test";
import assert from "node:assert/strict";
import { Alerts, MAX_SPANS, severityRank, worst } from "../js/alerts.js";
import { Store } from "../js/store.js";

// The page's alerts as the stream gives them (docs/protocol.md, alert):
// a snapshot's are the active ones, a delta's the changed ones, and a
// resolved one leaves, its firing span kept for the charts.

const T = 1_700_000_000_000;
const alert = (o) => ({
  id: "3f9a0c5e7b21d846",
  name: "HighCPU",
  state: "pending",
  severity: "warning",
  labels: { alertname: "HighCPU", severity: "warning", source: "host" },
  annotations: { summary: "CPU at 91.3 %" },
  value: 91.3,
  threshold: 80,
  series: "s1",
  source: "host",
  active_at: T,
  ...o,
});

test("a delta's alert is added, replaced whole by id, and leaves when resolved", () => {
  const al = new Alerts();
  const [d1] = al.delta([alert()]);
  assert.equal(d1.prev, undefined);
  assert.equal(d1.next.state, "pending");
  assert.deepEqual(al.list().map((a) => a.state), ["pending"]);

  const [d2] = al.delta([alert({ state: "firing", fired_at: T + 2000, value: 92 })]);
  assert.equal(d2.prev.state, "pending");
  assert.equal(al.active.get("3f9a0c5e7b21d846").value, 92);

  const [d3] = al.delta([alert({ state: "resolved", fired_at: T + 2000, resolved_at: T + 9000 })]);
  assert.equal(d3.prev.state, "firing");
  assert.equal(al.active.size, 0);
  assert.deepEqual(al.overlay(["s1"]), { thresholds: [], spans: [{ from: T + 2000, to: T + 9000, severity: "warning" }] });
});

test("a snapshot replaces the active alerts; one it no longer lists resolves at its time", () => {
  const al = new Alerts();
  al.delta([alert({ state: "firing", fired_at: T + 1000 }), alert({ id: "b", series: "s2", state: "pending" })]);
  const diffs = al.snapshot([alert({ id: "b", series: "s2", state: "firing", fired_at: T + 3000 })], T + 5000);
  assert.deepEqual(
    diffs.map((d) => [d.next.id, d.prev && d.prev.state, d.next.state]),
    [
      ["b", "pending", "firing"],
      ["3f9a0c5e7b21d846", "firing", "resolved"],
    ],
  );
  assert.deepEqual([...al.active.keys()], ["b"]);
  assert.deepEqual(al.overlay(["s1"]).spans, [{ from: T + 1000, to: T + 5000, severity: "warning" }]);
  assert.deepEqual(al.snapshot(undefined, T + 6000).map((d) => d.next.state), ["resolved"], "absent: none active");
});

test("malformed alerts are dropped, loose members read safely", () => {
  const al = new Alerts();
  const diffs = al.delta([null, 3, { id: "", state: "firing" }, { id: "x" }, { id: "y", state: "pending", value: "7", threshold: null, labels: 5 }]);
  assert.equal(diffs.length, 1);
  const y = al.active.get("y");
  assert.equal(y.value, null);
  assert.equal(y.threshold, undefined);
  assert.deepEqual(y.labels, {});
  assert.deepEqual(y.annotations, {});
  assert.equal(y.series, undefined);
  assert.deepEqual(al.delta("nope"), []);
});

test("the list puts firing first, then critical, then the oldest", () => {
  const al = new Alerts();
  al.delta([
    alert({ id: "p-old", state: "pending", active_at: T }),
    alert({ id: "f-warn", state: "firing", active_at: T + 5 }),
    alert({ id: "f-crit", state: "firing", severity: "critical", active_at: T + 9 }),
    alert({ id: "p-crit", state: "pending", severity: "critical", active_at: T + 1 }),
  ]);
  assert.deepEqual(al.list().map((a) => a.id), ["f-crit", "f-warn", "p-crit", "p-old"]);
});

test("worst weighs firing over pending, then critical over warning", () => {
  assert.equal(worst([]), undefined);
  const pc = alert({ state: "pending", severity: "critical" });
  const fw = alert({ state: "firing", severity: "warning" });
  const fc = alert({ state: "firing", severity: "critical" });
  assert.equal(worst([pc, fw]), fw);
  assert.equal(worst([fw, fc, pc]), fc);
  assert.deepEqual([severityRank(""), severityRank("warning"), severityRank("critical")], [0, 1, 2]);
});

test("the overlay: each threshold once, the spans of the series asked for, a firing span open", () => {
  const al = new Alerts();
  al.delta([
    alert({ id: "a", series: "s1", state: "firing", fired_at: T + 10 }),
    alert({ id: "b", series: "s2", state: "pending" }), // same threshold and severity
    alert({ id: "c", series: "s2", state: "pending", severity: "critical", threshold: 95 }),
    alert({ id: "d", series: "s3", state: "firing", fired_at: T, threshold: undefined }), // a stale rule: no line
  ]);
  const o = al.overlay(["s1", "s2"]);
  assert.deepEqual(o.thresholds, [
    { value: 80, severity: "warning" },
    { value: 95, severity: "critical" },
  ]);
  assert.deepEqual(o.spans, [{ from: T + 10, to: 0, severity: "warning" }], "pending has no span");
  assert.deepEqual(al.overlay(["s3"]), { thresholds: [], spans: [{ from: T, to: 0, severity: "warning" }] });
  assert.deepEqual(al.ofSource("host").length, 4);
  assert.deepEqual(al.ofSeries("s2").map((a) => a.id), ["b", "c"]);
});

test("resolved spans are bounded per series, trimmed by age and forgotten with their series", () => {
  const al = new Alerts();
  for (let i = 0; i < MAX_SPANS + 5; i++) {
    al.delta([alert({ id: `a${i}`, state: "resolved", fired_at: T + i * 10, resolved_at: T + i * 10 + 5 })]);
  }
  // Fired and resolved within one merged delta: never seen active, its span still counts.
  let spans = al.overlay(["s1"]).spans;
  assert.equal(spans.length, MAX_SPANS);
  assert.equal(spans[0].from, T + 50, "the oldest went");
  assert.equal(al.trimBefore(T + 100), true);
  spans = al.overlay(["s1"]).spans;
  assert.ok(spans.every((s) => s.to >= T + 100));
  assert.equal(al.trimBefore(T + 100), false, "nothing more to trim");
  al.forget("s1");
  assert.deepEqual(al.overlay(["s1"]).spans, []);
});

test("the store applies alerts of snapshots and deltas, after the series they name", () => {
  const s = new Store();
  s.hello({ version: "1", windows: ["1m"], history_seconds: 60 });
  const s1 = { id: "s1", source: "host", metric: "cpu", labels: {}, kind: "gauge", points: [[T, 1]] };
  let ch = s.snapshot({ type: "snapshot", seq: 1, ts: T, sources: [], series: [s1], alerts: [alert({ state: "firing", fired_at: T })] });
  assert.deepEqual(ch.alerts.map((d) => d.next.state), ["firing"]);
  ch = s.delta({
    type: "delta",
    seq: 2,
    ts: T + 1000,
    added: [{ id: "s9", source: "host", metric: "m", labels: {}, kind: "gauge", points: [[T + 900, 1]] }],
    alerts: [alert({ id: "n", series: "s9" })],
  });
  assert.deepEqual(ch.added, ["s9"]);
  assert.deepEqual(ch.alerts.map((d) => d.next.id), ["n"]);
  assert.equal(s.alerts.active.size, 2);
  ch = s.delta({ type: "delta", seq: 3, ts: T + 2000, alerts: [alert({ state: "resolved", fired_at: T, resolved_at: T + 2000 })] });
  assert.equal(s.alerts.active.size, 1);
  assert.equal(s.alerts.overlay(["s1"]).spans.length, 1);
  s.delta({ type: "delta", seq: 4, ts: T + 3000, removed: ["s1"] });
  assert.equal(s.alerts.overlay(["s1"]).spans.length, 0, "a series gone takes its spans");
  assert.deepEqual(s.delta({ type: "delta", seq: 5, ts: T + 4000 }).alerts, []);
  s.now = T + 200_000;
  s.alerts.delta([alert({ id: "old", series: "s9", state: "firing", fired_at: T })]);
  s.alerts.delta([alert({ id: "old", series: "s9", state: "resolved", fired_at: T, resolved_at: T + 1 })]);
  s.trimAll();
  assert.deepEqual(s.alerts.overlay(["s9"]).spans, [], "older than the history");
});
