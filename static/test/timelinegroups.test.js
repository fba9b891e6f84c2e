import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { GROUP_MIN, Timeline, alertEvent, groupRuns, groupText, reloadEvent, supervisionEvent } from "../js/timeline.js";
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

// flaps is a rule going pending, firing and resolved n times from t0, a round a minute.
function flaps(n, t0 = T, name = "ShardHot", o = {}) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(alert(t0 + i * MIN, "pending", name, o), alert(t0 + i * MIN + 10_000, "firing", name, o), alert(t0 + i * MIN + 40_000, "resolved", name, o));
  return out;
}

const shape = (entries) => entries.map((e) => (e.group ? `${e.source}: ${e.text} [${e.events.length}]` : `${e.kind}@${(e.ts - T) / 1000}`));

test("a rule flapping twenty times is one entry: how often, over when, its newest state first", () => {
  const t = new Timeline();
  t.add(flaps(20));
  assert.equal(t.list().length, 60);
  const entries = groupRuns(t.list());
  assert.deepEqual(shape(entries), ["spiky: ShardHot: fired 20×, resolved 20× (14:02–14:21) [60]"]);
  const [g] = entries;
  assert.equal(g.family, "alert");
  assert.equal(g.events[0].kind, "alert-resolved", "newest first");
  assert.equal(g.events[0].ts, T + 19 * MIN + 40_000);
  assert.equal(g.bad, false, "resolved last: not red");
  assert.equal(t.markers("spiky").length, 20, "the charts still mark each firing");

  t.add([alert(T + 25 * MIN, "pending"), alert(T + 25 * MIN + 10_000, "firing")]);
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
    "spiky: DiskFull: fired 5×, resolved 5× (14:02–14:06) [15]",
    "spiky: ShardHot: fired 10×, resolved 10× (14:02–14:06) [30]",
    "flaky: crashed 3×, restarted 3× (14:02–14:04) [9]",
  ]);
  assert.deepEqual(shape(groupRuns(u.list("flaky"))), ["flaky: crashed 3×, restarted 3× (14:02–14:04) [9]"], "the choice of source still holds");
});

test("nothing parts a run but a quiet time of over 10 minutes: an entry told alone keeps its place in time beside the group", () => {
  const t = new Timeline();
  t.add(flaps(2));
  t.add([reloadEvent(readEvents([{ kind: "reload", ts: T + 2 * MIN, ok: true }])[0])]);
  t.add(flaps(2, T + 3 * MIN));
  t.add([sup(T + 5 * MIN, "stopped")]);
  t.add([alert(T + 5 * MIN + 1000, "pending", "ShardHot", { source: "spiky" })]);
  t.add(flaps(2, T + 6 * MIN));
  t.add(flaps(2, T + 18 * MIN)); // 10 min 20 s after the last resolution: another group
  assert.deepEqual(shape(groupRuns(t.list())), [
    "spiky: ShardHot: fired 2×, resolved 2× (14:20–14:21) [6]",
    "spiky: ShardHot: fired 6×, resolved 6× (14:02–14:09) [19]",
    "stopped@300",
    "reload@120",
  ]);
  // A run too short to group keeps each entry in its own place among the others.
  const u = new Timeline();
  u.add([alert(T, "pending"), sup(T + 1000, "crashed"), alert(T + 2000, "firing")]);
  assert.deepEqual(shape(groupRuns(u.list())), ["alert-firing@2", "crash@1", "alert-pending@0"]);
});

test("a group's counts explain themselves: resolutions of firings before it say so", () => {
  // WorkerBusy fired before the list's oldest entry: its resolution comes first.
  const run = [alert(T, "resolved", "WorkerBusy"), ...flaps(2, T + MIN, "WorkerBusy")];
  const t = new Timeline();
  t.add(run);
  assert.deepEqual(shape(groupRuns(t.list())), ["spiky: WorkerBusy: fired 2×, resolved 3× (1 fired before) (14:02–14:04) [7]"]);
  // Two series of a rule: each resolution pairs with its own series' firing.
  const two = [alert(T, "firing", "R", { series: "a" }), alert(T + 1000, "firing", "R", { series: "b" }), alert(T + 2000, "resolved", "R", { series: "b" }), alert(T + 3000, "resolved", "R", { series: "a" })];
  assert.equal(groupText("alert", two.reverse()), "R: fired 2×, resolved 2× (14:02:00–14:02:03)");
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

test("a group's times: to the second within a minute, with the day over midnight; the pending counted when none fired", () => {
  const quick = [alert(T + 30_000, "resolved"), alert(T + 20_000, "pending"), alert(T + 10_000, "resolved"), alert(T, "pending")];
  assert.equal(groupText("alert", quick), "ShardHot: pending 2×, resolved 2× (14:02:00–14:02:30)");
  const late = new Date(2024, 0, 1, 23, 58, 0).getTime(); // Monday
  const night = [sup(late + 5 * MIN, "started", { restarts: 2 }), sup(late + 4 * MIN, "crashed"), sup(late + MIN, "parked"), sup(late, "crashed")];
  assert.equal(groupText("cycle", night), "crashed 2×, restarted 1×, parked 1× (Mon 1 23:58–Tue 2 00:03)");
});

test("an alert's group counts state changes: a severity change is no new firing, a pending that ended unfired no resolution of one", () => {
  const a = (ts, event, severity) => ({ ...alert(ts, event), text: `ShardHot ${event} (${severity})` });
  // pending → firing (warning) → firing (critical) → firing (warning) → resolved, then pending → resolved unfired.
  const run = [
    a(T + 60_000, "resolved"), a(T + 50_000, "pending"),
    a(T + 40_000, "resolved"), a(T + 30_000, "firing", "warning"), a(T + 20_000, "firing", "critical"), a(T + 10_000, "firing", "warning"), a(T, "pending"),
  ];
  assert.equal(groupText("alert", run), "ShardHot: fired 1×, resolved 1×, severity changed 2×, pending cleared 1× (14:02–14:03)");
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
  assert.equal(count.textContent, "22", "every entry counted");
  assert.equal(list.children.length, 2);
  const [crash, group] = list.children;
  assert.equal(crash.dataset.kind, "crash");
  assert.ok(group.classList.contains("event-group"));
  assert.deepEqual({ ...group.dataset }, { family: "alert", source: "spiky", kind: "alert-resolved" });
  const toggle = group.one("event-toggle");
  assert.equal(toggle.tagName, "BUTTON", "a keyboard reaches it and opens it (Enter, Space)");
  assert.equal(toggle.getAttribute("aria-expanded"), "false");
  assert.equal(toggle.textContent.slice(8), "spikyShardHot: fired 7×, resolved 7× (14:02–14:08)latest: ShardHot resolved");
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
  t.add([alert(T + 11 * MIN, "pending")]);
  view.show(t.list(), ["flaky", "spiky"], "");
  const again = list.find("event-toggle")[0];
  assert.notEqual(again, toggle, "redrawn");
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
