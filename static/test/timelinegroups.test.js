import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { GROUP_MIN, Timeline, alertEvent, groupRuns, groupText, reloadEvent, serverEvent, serverRestartEvent, supervisionEvent } from "../js/timeline.js";
import { readEvents } from "../js/events.js";

// Churn in the event timeline: one alert rule flapping, a source crashing
// over and over, told as one entry each, which opens on its entries.

installDOM();
const { TimelineView } = await import("../js/timelineview.js");

const T = new Date(2024, 0, 1, 14, 2, 0).getTime();
const MIN = 60_000;
const alert = (ts, event, name = "ShardHot", o = {}) =>
  alertEvent(readEvents([{ kind: "alert", ts, name, severity: "critical", source: "spiky", series: "s1", event, ...o }])[0]);
const sup = (ts, event, o = {}) => supervisionEvent(readEvents([{ kind: "supervision", ts, source: "flaky", event, restarts: 1, ...o }])[0]);

// flaps is a rule going pending, firing and resolved n times from t0, a
// round a minute, each event saying what it left (from).
function flaps(n, t0 = T, name = "ShardHot", o = {}) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(
      alert(t0 + i * MIN, "pending", name, { from: "normal", ...o }),
      alert(t0 + i * MIN + 10_000, "firing", name, { from: "pending", from_severity: "critical", ...o }),
      alert(t0 + i * MIN + 40_000, "resolved", name, { from: "firing", from_severity: "critical", ...o }),
    );
  }
  return out;
}
const CYCLE = "normal → pending, pending → firing, firing → normal";
const counted = (n) => CYCLE.split(", ").map((w) => `${w} ${n}×`).join(", ");

const shape = (entries) => entries.map((e) => (e.group ? `${e.source}: ${e.text} [${e.events.length}]` : `${e.kind}@${(e.ts - T) / 1000}`));

test("a rule flapping twenty times is one entry: how often, over when, its newest state first", () => {
  const t = new Timeline();
  t.add(flaps(20));
  assert.equal(t.list().length, 60);
  const entries = groupRuns(t.list());
  assert.deepEqual(shape(entries), [`spiky: ShardHot: ${counted(20)} (14:02:00–14:21:40) [60]`]);
  const [g] = entries;
  assert.equal(g.family, "alert");
  assert.equal(g.events[0].kind, "alert-resolved", "newest first");
  assert.equal(g.events[0].ts, T + 19 * MIN + 40_000);
  assert.equal(g.bad, false, "resolved last: not red");
  assert.equal(t.markers("spiky").length, 20, "the charts still mark each firing");

  t.add([alert(T + 25 * MIN, "pending", "ShardHot", { from: "normal" }), alert(T + 25 * MIN + 10_000, "firing", "ShardHot", { from: "pending" })]);
  const [now] = groupRuns(t.list());
  assert.equal(now.bad, true, "firing now: the group is a failure");
  assert.equal(now.key, g.key, "the same group as it grows: it stays open if opened");
});

test("a short run stays as it is; two rules, and a source's crash cycles, flapping together are a group each; a rule's series are one", () => {
  const t = new Timeline();
  t.add(flaps(1)); // pending, firing, resolved once: read best as they are
  assert.equal(GROUP_MIN, 4);
  assert.deepEqual(shape(groupRuns(t.list())), ["alert-resolved@40", "alert-firing@10", "alert-pending@0"]);

  const u = new Timeline();
  u.add(flaps(5, T, "ShardHot"));
  u.add(flaps(5, T + 5_000, "DiskFull"));
  u.add(flaps(5, T + 2_000, "ShardHot", { series: "s2" }));
  for (let i = 0; i < 3; i++) u.add([sup(T + i * MIN + 20_000, "crashed"), sup(T + i * MIN + 20_000, "restarting"), sup(T + i * MIN + 21_000, "started", { restarts: i + 1 })]);
  assert.deepEqual(shape(groupRuns(u.list())), [
    `spiky: DiskFull: ${counted(5)} (14:02:05–14:06:45) [15]`,
    `spiky: ShardHot: ${counted(10)} (14:02:00–14:06:42) [30]`,
    "flaky: crashed 3×, backing off 3×, restarted 3× (14:02:20–14:04:21) [9]",
  ]);
  assert.deepEqual(shape(groupRuns(u.list("flaky"))), ["flaky: crashed 3×, backing off 3×, restarted 3× (14:02:20–14:04:21) [9]"], "the choice of source still holds");
});

test("nothing parts a run but a quiet time of over 10 minutes: an entry told alone keeps its place in time beside the group", () => {
  const t = new Timeline();
  t.add(flaps(2));
  t.add([reloadEvent(readEvents([{ kind: "reload", ts: T + 2 * MIN, ok: true }])[0])]);
  t.add(flaps(2, T + 3 * MIN));
  t.add([sup(T + 5 * MIN, "stopped")]);
  t.add([alert(T + 5 * MIN + 1000, "pending", "ShardHot", { source: "spiky", from: "normal" })]);
  t.add(flaps(2, T + 6 * MIN));
  t.add(flaps(2, T + 18 * MIN)); // 10 min 20 s after the last resolution: another group
  assert.deepEqual(shape(groupRuns(t.list())), [
    `spiky: ShardHot: ${counted(2)} (14:20:00–14:21:40) [6]`,
    "spiky: ShardHot: normal → pending 7×, pending → firing 6×, firing → normal 6× (14:02:00–14:09:40) [19]",
    "stopped@300",
    "reload@120",
  ]);
  // A run too short to group keeps each entry in its own place among the others.
  const u = new Timeline();
  u.add([alert(T, "pending"), sup(T + 1000, "crashed"), alert(T + 2000, "firing")]);
  assert.deepEqual(shape(groupRuns(u.list())), ["alert-firing@2", "crash@1", "alert-pending@0"]);
});

test("a group's summary counts its lines in their words, in an alert's life's order: a pending that ended unfired, a firing's end and a severity change each say so", () => {
  // Two shards of one rule: shard 0 fires, goes critical and resolves; shard 2 is pending, and ends unfired, twice.
  const sh = (ts, event, shard, o) => alert(ts, event, "ShardHot", { id: `id${shard}`, series: `s${shard}`, labels: { shard, env: "demo" }, ...o });
  const t = new Timeline();
  t.add([
    sh(T, "pending", "0", { from: "normal", severity: "warning" }),
    sh(T + 2000, "pending", "2", { from: "normal", severity: "warning" }),
    sh(T + 3000, "pending", "2", { from: "pending", severity: "critical", from_severity: "warning" }),
    sh(T + 4000, "resolved", "2", { from: "pending", from_severity: "critical" }),
    sh(T + 5000, "firing", "0", { from: "pending", severity: "warning", from_severity: "warning" }),
    sh(T + 7000, "pending", "2", { from: "normal", severity: "warning" }),
    sh(T + 8000, "firing", "0", { from: "firing", severity: "critical", from_severity: "warning" }),
    sh(T + 9000, "resolved", "2", { from: "pending", from_severity: "warning" }),
    sh(T + 12_000, "resolved", "0", { from: "firing", from_severity: "critical" }),
  ]);
  const [g] = groupRuns(t.list());
  assert.equal(g.text, "ShardHot: normal → pending 3×, pending → firing 1×, severity warning → critical while pending 1×, severity warning → critical 1×, pending → normal 2×, firing → normal 1× (14:02:00–14:02:12)");
  const lines = g.events.map((e) => e.text);
  assert.deepEqual(lines, [
    'ShardHot {shard="0"} firing → normal',
    'ShardHot {shard="2"} pending → normal',
    'ShardHot {shard="0"} severity warning → critical',
    'ShardHot {shard="2"} normal → pending (warning)',
    'ShardHot {shard="0"} pending → firing (warning)',
    'ShardHot {shard="2"} pending → normal',
    'ShardHot {shard="2"} severity warning → critical while pending',
    'ShardHot {shard="2"} normal → pending (warning)',
    'ShardHot {shard="0"} normal → pending (warning)',
  ]);
  // A reader counting the lines finds the summary's numbers.
  for (const part of g.text.slice("ShardHot: ".length, g.text.indexOf(" (")).split(", ")) {
    const [, words, n] = part.match(/^(.*) (\d+)×$/);
    assert.equal(lines.filter((l) => l.slice(l.indexOf("} ") + 2).replace(/ \(\w+\)$/, "") === words).length, Number(n), part);
  }
  // Events of a server that did not say what they left: the state alone, counted as such.
  assert.equal(groupText("alert", [alert(T + 3000, "resolved"), alert(T + 2000, "firing"), alert(T + 1000, "resolved"), alert(T, "pending")]), "ShardHot: pending 1×, firing 1×, resolved 2× (14:02:00–14:02:03)");
});

test("a server's start or restart ends every run: what came after is another group, and the restart sits between them in time order", () => {
  const t = new Timeline();
  t.add(flaps(4, T, "WorkerBusy"));
  t.add([alert(T + 4 * MIN, "pending", "WorkerBusy", { from: "normal" }), alert(T + 4 * MIN + 10_000, "firing", "WorkerBusy", { from: "pending" })]);
  t.add([serverRestartEvent(T + 4 * MIN + 45_000, "1.2.3")]);
  t.add(flaps(2, T + 5 * MIN, "WorkerBusy"));
  const entries = groupRuns(t.list());
  assert.deepEqual(shape(entries), [
    `spiky: WorkerBusy: ${counted(2)} (14:07:00–14:08:40) [6]`,
    "server-restart@285",
    "spiky: WorkerBusy: normal → pending 5×, pending → firing 5×, firing → normal 4× (14:02:00–14:06:10) [14]",
  ]);
  assert.equal(entries[2].events[0].text, "WorkerBusy pending → firing (critical)", "firing when the server stopped: its latest says so");
  for (let i = 1; i < entries.length; i++) {
    const ts = (e) => (e.group ? e.events[0].ts : e.ts);
    assert.ok(ts(entries[i - 1]) >= ts(entries[i]), "newest first, groups by their newest");
  }
  // The server's own event of its start, a reload after the restart.
  const u = new Timeline();
  u.add(flaps(2, T, "WorkerBusy"));
  u.add([serverEvent(readEvents([{ kind: "server", ts: T + 110_000, event: "started", previous: T + 100_000 }])[0])]);
  u.add(flaps(2, T + 2 * MIN, "WorkerBusy"));
  assert.deepEqual(shape(groupRuns(u.list())), [`spiky: WorkerBusy: ${counted(2)} (14:04:00–14:05:40) [6]`, "server-restart@110", `spiky: WorkerBusy: ${counted(2)} (14:02:00–14:03:40) [6]`]);
});

test("an alert's lines name its instance by the labels that tell the rule's apart, once it has more than one", () => {
  const t = new Timeline();
  const one = alert(T, "pending", "ShardHot", { id: "a0", labels: { shard: "0", env: "demo" }, from: "normal" });
  t.add([one]);
  assert.equal(one.text, "ShardHot normal → pending (critical)", "one instance: nothing to tell apart");
  t.add([alert(T + 1000, "pending", "ShardHot", { id: "a2", labels: { shard: "2", env: "demo" }, from: "normal" })]);
  assert.deepEqual(t.list().map((e) => e.text), ['ShardHot {shard="2"} normal → pending (critical)', 'ShardHot {shard="0"} normal → pending (critical)']);
  assert.equal(t.markers("spiky").length, 0);
  assert.equal(t.add([alert(T, "pending", "ShardHot", { id: "a0", labels: { shard: "0", env: "demo" }, from: "normal" })]), 0, "told again (a resync's snapshot): not taken twice");
  const other = alert(T + 2000, "firing", "DiskFull", { id: "d1", labels: { shard: "0" }, from: "pending" });
  t.add([other]);
  assert.equal(other.text, "DiskFull pending → firing (critical)", "another rule's instances are its own");
  // An older server's events carry no labels: the rule's instances stay unnamed.
  const u = new Timeline();
  u.add([alert(T, "pending", "ShardHot", { series: "s0" }), alert(T + 1000, "pending", "ShardHot", { series: "s2" })]);
  assert.deepEqual(u.list().map((e) => e.text), ["ShardHot pending (critical)", "ShardHot pending (critical)"]);
});

test("sources started at once (a server's start) are one entry, \"45 sources started\", that opens on them", () => {
  const t = new Timeline();
  const starts = Array.from({ length: 45 }, (_, i) =>
    supervisionEvent(readEvents([{ kind: "supervision", ts: T + i * 20, source: `sim${i}`, event: "started", restarts: 0 }])[0]),
  );
  t.add(starts);
  t.add([supervisionEvent(readEvents([{ kind: "supervision", ts: T + 5 * MIN, source: "late", event: "started", restarts: 0 }])[0])]);
  const entries = groupRuns(t.list());
  assert.deepEqual(shape(entries), ["started@300", ": 45 sources started (14:02:00) [45]"]);
  assert.equal(entries[1].family, "start");
  assert.deepEqual(shape(groupRuns(t.list("sim3"))), ["started@0.06"], "one source's own start is its own");
});

test("a group's times are always to the second, with the day over midnight", () => {
  const quick = [alert(T + 30_000, "resolved"), alert(T + 20_000, "pending"), alert(T + 10_000, "resolved"), alert(T, "pending")];
  assert.equal(groupText("alert", quick), "ShardHot: pending 2×, resolved 2× (14:02:00–14:02:30)");
  const long = quick.map((e, i) => ({ ...e, ts: T + 17_000 + (3 - i) * 14 * 1000 }));
  long[0] = { ...long[0], ts: T + 59_000 + MIN };
  assert.equal(groupText("alert", long), "ShardHot: pending 2×, resolved 2× (14:02:17–14:03:59)", "over a minute, still to the second");
  const late = new Date(2024, 0, 1, 23, 58, 0).getTime(); // Monday
  const night = [sup(late + 5 * MIN, "started", { restarts: 2 }), sup(late + 4 * MIN, "crashed"), sup(late + MIN, "parked"), sup(late, "crashed")];
  assert.equal(groupText("cycle", night), "crashed 2×, restarted 1×, parked 1× (Mon 1 23:58:00–Tue 2 00:03:00)");
});

function panel() {
  const list = document.createElement("ol");
  const filter = document.createElement("select");
  const count = document.createElement("span");
  return { list, filter, count, view: new TimelineView({ list, filter, count }, () => {}) };
}

test("the panel shows a group as a button that opens on its entries, and keeps it open and focused as entries come", () => {
  const { list, count, view } = panel();
  const t = new Timeline();
  t.add(flaps(7));
  t.add([sup(T + 10 * MIN, "crashed", { error: "panic: boom" })]);
  view.show(t.list(), ["flaky", "spiky"], "");
  assert.equal(count.textContent, "2", "the rows listed counted, a group one");
  assert.equal(count.title, "22 events in 2 rows", "every entry told in its title");
  assert.equal(list.children.length, 2);
  const [crash, group] = list.children;
  assert.equal(crash.dataset.kind, "crash");
  assert.ok(group.classList.contains("event-group"));
  assert.deepEqual({ ...group.dataset }, { family: "alert", source: "spiky", kind: "alert-resolved" });
  const toggle = group.one("event-toggle");
  assert.equal(toggle.tagName, "BUTTON", "a keyboard reaches it and opens it (Enter, Space)");
  assert.equal(toggle.getAttribute("aria-expanded"), "false");
  assert.equal(toggle.textContent.slice(8), `spikyShardHot: ${counted(7)} (14:02:00–14:08:40)latest: ShardHot firing → normal`);
  const runs = group.one("event-run");
  assert.equal(toggle.getAttribute("aria-controls"), runs.getAttribute("id"));
  assert.equal(runs.hidden, true);
  assert.equal(runs.children.length, 21, "each entry, in the group");
  assert.deepEqual(runs.children.slice(0, 2).map((li) => [li.className, li.dataset.kind, li.dataset.source]), [
    ["event", "alert-resolved", "spiky"],
    ["event is-bad", "alert-firing", "spiky"],
  ]);

  toggle.click();
  assert.equal(toggle.getAttribute("aria-expanded"), "true");
  assert.equal(runs.hidden, false);
  toggle.focus();
  t.add([alert(T + 11 * MIN, "pending", "ShardHot", { from: "normal" })]);
  view.show(t.list(), ["flaky", "spiky"], "");
  const again = list.find("event-toggle")[0];
  assert.equal(again, toggle, "the same button, brought up to date");
  assert.match(again.textContent, /ShardHot: normal → pending 8×.*–14:13:00\)latest: ShardHot normal → pending/, "its counts, times and latest entry");
  assert.equal(again.getAttribute("aria-expanded"), "true", "still open");
  assert.equal(list.one("event-run").hidden, false);
  assert.equal(list.one("event-run").children.length, 22);
  assert.equal(document.activeElement, again, "the focus stays on it");
  again.click();
  view.show(t.list(), ["flaky", "spiky"], "");
  assert.equal(list.one("event-toggle").getAttribute("aria-expanded"), "false");
  assert.equal(list.one("event-run").hidden, true);

  view.show(t.list("flaky"), ["flaky", "spiky"], "flaky");
  assert.deepEqual(list.children.map((li) => li.dataset.kind), ["crash"], "one source's: none of spiky's churn");
});
