import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { readFileSync } from "node:fs";
import { Timeline, alertEvent, classOf, connectionEvent, reloadEvent, serverEvent, serverRestartEvent, sourceEvent, storageEvent, supervisionEvent } from "../js/timeline.js";
import { readEvents } from "../js/events.js";

installDOM();
const { TimelineView } = await import("../js/timelineview.js");
const { formatClock } = await import("../js/format.js");

const src = (o) => ({ name: "flaky", type: "simulated", state: "running", restarts: 0, last_error: "", last_success: 0, ...o });
const kinds = (evs) => evs.map((e) => [e.kind, e.ts, e.text]);

// sup is a server "supervision" event of flaky, read as the page reads it.
const sup = (ts, event, o = {}) => supervisionEvent(readEvents([{ kind: "supervision", ts, source: "flaky", event, restarts: 0, ...o }])[0]);

test("a crash, its backoff and its restart, as the server tells them", () => {
  const crash = sup(900, "crashed", { error: "panic: boom", restarts: 2 });
  assert.deepEqual(kinds([crash]), [["crash", 900, "crashed"]]);
  assert.equal(crash.detail, "panic: boom");
  assert.equal(crash.bad, true);
  assert.equal(crash.marker, true);
  const at = 1_700_000_001_700;
  const backoff = sup(900, "restarting", { restarts: 2, delay_ms: 800, retry_at: at });
  assert.deepEqual(kinds([backoff]), [["backoff", 900, `backing off 800 ms; restart at ${formatClock(at)}`]]);
  assert.equal(backoff.retryAt, at);
  assert.equal(backoff.marker, false);
  assert.equal(sup(900, "restarting", { delay_ms: 2500 }).text, "backing off 2.5 s; restart at its backoff's end");
  const restart = sup(1700, "started", { restarts: 3 });
  assert.deepEqual(kinds([restart]), [["restart", 1700, "restarted (restart 3)"]]);
  assert.equal(restart.marker, false);
});

test("parked with when it is retried, started, stopped, stuck; a peer's source; what is not known", () => {
  const at = 1_700_000_060_000;
  const parked = sup(10, "parked", { restarts: 5, error: "panic: x", delay_ms: 60_000, retry_at: at });
  assert.deepEqual(kinds([parked]), [["parked", 10, `parked as failed after 5 restarts; next try at ${formatClock(at)}`]]);
  assert.equal(parked.retryAt, at);
  assert.equal(parked.bad && parked.marker, true);
  assert.deepEqual(kinds([sup(20, "started"), sup(30, "stopped"), sup(40, "stuck", { error: "stuck" })]), [
    ["started", 20, "started"],
    ["stopped", 30, "stopped"],
    ["stuck", 40, "did not stop in time; abandoned"],
  ]);
  assert.equal(sup(50, "crashed", { node: "b" }).source, "b/flaky", "a peer's source, named as the stream names it");
  assert.equal(sup(60, "exploded"), null);
  assert.equal(supervisionEvent(readEvents([{ kind: "supervision", ts: 1, event: "crashed" }])[0]), null, "no source");
});

// read is a server event as the page reads it.
const read = (o) => readEvents([o])[0];

test("polls failing and working again, as the server tells them (a snapshot's too)", () => {
  const down = sourceEvent(read({ kind: "source", ts: 70, source: "flaky", event: "down", error: "refused" }));
  assert.deepEqual(kinds([down]), [["down", 70, "polls failing"]]);
  assert.equal(down.detail, "refused");
  assert.equal(down.bad, true);
  assert.equal(down.marker, true, "marked on the source's charts");
  const up = sourceEvent(read({ kind: "source", ts: 95, source: "flaky", event: "up" }));
  assert.deepEqual(kinds([up]), [["up", 95, "polls work again"]]);
  assert.equal(up.marker, false);
  assert.equal(sourceEvent(read({ kind: "source", ts: 95, source: "p", node: "n2", event: "down" })).source, "n2/p", "a peer's");
  assert.equal(sourceEvent(read({ kind: "source", ts: 95, source: "flaky", event: "sideways" })), null);
  assert.equal(sourceEvent(read({ kind: "source", ts: 95, event: "down" })), null);
  // Told twice (a delta, then a snapshot after a resync): one entry.
  const tl = new Timeline();
  tl.add([down, up]);
  tl.add([sourceEvent(read({ kind: "source", ts: 70, source: "flaky", event: "down", error: "refused" }))]);
  assert.equal(tl.events.length, 2);
});

test("the server's start: a restart marked on every chart after a reload, once beside the hello's", () => {
  const first = serverEvent(read({ kind: "server", ts: 1000, event: "started", version: "1.2.3" }));
  assert.deepEqual(kinds([first]), [["server-start", 1000, "server started (1.2.3)"]]);
  assert.equal(first.marker, false, "no run before: nothing restarted");
  const again = serverEvent(read({ kind: "server", ts: 9000, event: "started", version: "1.2.3", previous: 8000 }));
  assert.deepEqual(kinds([again]), [["server-restart", 9000, "server restarted (1.2.3)"]]);
  assert.equal(again.marker, true);
  assert.equal(serverEvent(read({ kind: "server", ts: 9000, event: "started", previous: 8000 }), serverRestartEvent(9004, "")), null,
    "the page saw the restart in its hello: told once");
  assert.ok(serverEvent(read({ kind: "server", ts: 900_000, event: "started", previous: 8000 }), serverRestartEvent(9004, "")), "another restart");
  assert.equal(serverEvent(read({ kind: "server", ts: 9000, event: "stopping" })), null);
});

test("reloads, the connection and the server", () => {
  const [ok, bad] = readEvents([
    { kind: "reload", ts: 5, ok: true, added: ["x"], changed: ["y"], needs_restart: ["server.listen"] },
    { kind: "reload", ts: 6, ok: false, message: "m", errors: ["a.yaml:1:2: bad", "a.yaml:3:4: worse"] },
  ]);
  assert.deepEqual(kinds([reloadEvent(ok), reloadEvent(bad)]), [
    ["reload", 5, "config reloaded: added x; changed y"],
    ["reload-refused", 6, "config refused; the running config is unchanged"],
  ]);
  assert.equal(reloadEvent(ok).detail, "needs a restart: server.listen");
  assert.equal(reloadEvent(bad).detail, "a.yaml:1:2: bad\na.yaml:3:4: worse");
  assert.deepEqual(kinds([connectionEvent(true, 7), connectionEvent(false, 8), serverRestartEvent(9, "v2")]), [
    ["connection-lost", 7, "connection to the server lost"],
    ["connection-resumed", 8, "connection resumed"],
    ["server-restart", 9, "server restarted (v2)"],
  ]);
});

test("the timeline: newest first, by source, bounded, trimmed; markers per chart", () => {
  const t = new Timeline(4);
  t.add([sup(100, "crashed")]);
  t.add([serverRestartEvent(50, ""), { kind: "x", ts: NaN }]);
  t.add([{ ...sup(200, "parked", { restarts: 5 }), source: "b" }]);
  assert.deepEqual(t.list().map((e) => [e.kind, e.source]), [["parked", "b"], ["crash", "flaky"], ["server-restart", ""]]);
  assert.deepEqual(t.list("flaky").map((e) => e.kind), ["crash", "server-restart"], "a source's own and the page's");
  assert.deepEqual(t.sources(), ["flaky", "b"]);
  const restart = { ts: 50, ok: true, kind: "server-restart", source: "", text: "server restarted", series: "" };
  assert.deepEqual(t.markers("flaky"), [restart, { ts: 100, ok: false, kind: "crash", source: "flaky", text: "crashed", series: "" }]);
  assert.equal(t.latest("b", "parked").ts, 200);
  assert.equal(t.latest("flaky", "parked"), undefined);
  assert.equal(t.markers("flaky"), t.markers("flaky"), "kept until the entries change");
  assert.deepEqual(t.markers("other"), [restart]);
  t.add([connectionEvent(false, 300), connectionEvent(false, 301)]);
  assert.equal(t.list().length, 5, "each class within its bound of 4 (the bounds: the class tests below)");
  assert.equal(t.list().at(-1).kind, "server-restart");
  assert.equal(t.trimBefore(150), true, "a marked entry went");
  assert.equal(t.trimBefore(250), true, "the parking went");
  assert.equal(t.trimBefore(260), false, "nothing went");
  assert.deepEqual(t.list().map((e) => e.kind), ["connection-resumed", "connection-resumed"]);
});

test("the timeline's panel lists entries with their time and offers the sources", () => {
  const list = document.createElement("ol");
  const filter = document.createElement("select");
  const count = document.createElement("span");
  const chosen = [];
  const view = new TimelineView({ list, filter, count }, (s) => chosen.push(s));
  const t = new Timeline();
  t.add([sup(1_700_000_000_000, "crashed", { error: "panic: boom" })]);
  view.show(t.list(), ["demo", "flaky"], "");
  assert.deepEqual(filter.children.map((o) => o.textContent), ["All sources", "demo", "flaky"]);
  const [li] = list.children;
  assert.equal(li.dataset.kind, "crash");
  assert.ok(li.classList.contains("is-bad"));
  assert.equal(li.textContent, `${formatClock(1_700_000_000_000)}flakycrashedpanic: boom`);
  assert.equal(count.textContent, "1");
  filter.value = "demo";
  filter.dispatch("change");
  assert.deepEqual(chosen, ["demo"]);
  view.show([], ["demo", "flaky"], "demo");
  assert.equal(list.textContent, "Nothing has happened to demo yet.");
  assert.equal(count.textContent, "");
  // The server keeps events for its history span: a quiet server's start
  // leaves the log after it, and "yet" would be false.
  view.show([], ["demo", "flaky"], "", [], 15 * 60_000);
  assert.equal(list.textContent, "Nothing has happened in the last 15 min.");
  view.show([], ["demo", "flaky"], "demo", [], 24 * 3_600_000);
  assert.equal(list.textContent, "Nothing has happened to demo in the last 24 h.");
});

test("an entry told twice (a snapshot after a resync repeats the server's events) is one entry", () => {
  const t = new Timeline();
  const first = [sup(900, "crashed", { error: "panic: boom" }), sup(900, "restarting", { retry_at: 1700 }), sup(1700, "started", { restarts: 1 })];
  assert.equal(t.add(first), 3);
  assert.equal(t.add([sup(900, "crashed", { error: "panic: boom" }), sup(900, "restarting", { retry_at: 1700 }), sup(1700, "started", { restarts: 1 })]), 0);
  assert.deepEqual(t.list().map((e) => [e.kind, e.ts]), [["restart", 1700], ["backoff", 900], ["crash", 900]]);
  t.add([sup(5000, "crashed", { error: "panic: again" })]);
  assert.equal(t.list().filter((e) => e.kind === "crash").length, 2, "another crash, another time: told");
  t.add([{ ...sup(900, "crashed"), source: "other" }]);
  assert.equal(t.list().filter((e) => e.kind === "crash").length, 3, "another source's crash at the same time: told");
  const full = new Timeline(2);
  full.add([sup(10, "started"), sup(20, "stopped")]);
  assert.equal(full.add([sup(5, "crashed")]), 0, "older than all a full timeline holds: not taken");
});

test("an alert's marker is on the chart of the series it is about only; a crash on every chart of its source", () => {
  const tl = new Timeline();
  tl.add([
    alertEvent({ kind: "alert", ts: 1000, name: "ShardHot", event: "firing", severity: "critical", source: "spiky", series: "spiky/shard_load{shard=1}" }),
    supervisionEvent({ kind: "supervision", ts: 2000, source: "spiky", event: "crashed", error: "boom", restarts: 0 }),
    alertEvent({ kind: "alert", ts: 3000, name: "Lone", event: "firing", source: "spiky", series: "" }),
  ]);
  const texts = (ids) => tl.chartMarkers("spiky", ids).map((m) => m.text);
  assert.deepEqual(texts(["spiky/shard_load{shard=0}", "spiky/shard_load{shard=1}"]), ["ShardHot firing (critical)", "crashed", "Lone firing"]);
  assert.deepEqual(texts(["spiky/batch_progress_ratio"]), ["crashed", "Lone firing"], "not on a chart of another metric");
  assert.deepEqual(tl.chartMarkers("other", ["x"]).map((m) => m.text), []);
});

test("a flapping rule's changes do not push a crash or the server's restart off the timeline: each class keeps its newest", () => {
  const t = new Timeline(3);
  t.add([sup(100, "crashed", { error: "panic: boom" }), sup(150, "started", { restarts: 1 })]);
  for (let i = 0; i < 10; i++) {
    t.add([alertEvent({ kind: "alert", ts: 1000 + i * 100, name: "Flap", event: i % 2 ? "resolved" : "firing", severity: "warning", source: "spiky", series: "" })]);
  }
  const kinds = t.list().map((e) => e.kind);
  assert.ok(kinds.includes("crash"), `the crash stays: ${kinds}`);
  assert.ok(kinds.includes("restart"), "the restart stays");
  assert.equal(kinds.filter((k) => k.startsWith("alert")).length, 3, "the 3 newest changes");
  assert.equal(t.add([alertEvent({ kind: "alert", ts: 500, name: "Flap", event: "firing", severity: "warning", source: "spiky", series: "" })]), 0, "older than all its full class holds: not taken");
});

test("a crash-looping source's events do not push the server's restart off the timeline", () => {
  const t = new Timeline(3);
  t.add([serverRestartEvent(50, "dev")]);
  for (let i = 0; i < 10; i++) t.add([{ ...sup(1000 + i * 10, "crashed", { error: "panic: loop" }), source: "boom" }]);
  const list = t.list();
  assert.equal(list.filter((e) => e.source === "boom").length, 3, "the loop's newest 3");
  assert.ok(list.some((e) => e.kind === "server-restart"), "the server's restart is a class of its own");
});

// The server's event log and the page's timeline bound their entries by
// the same classes: both read this fixture (aggregator eventlog_class_test.go).
const classCases = JSON.parse(readFileSync(new URL("../../aggregator/testdata/event_classes.json", import.meta.url), "utf8")).cases;

test("each event of the stream is counted in the class the server's log counts it in (the shared fixture)", () => {
  const entryOf = { alert: alertEvent, supervision: supervisionEvent, server: (e) => serverEvent(e), source: sourceEvent, reload: reloadEvent, storage: storageEvent };
  assert.ok(classCases.length > 0);
  for (const c of classCases) {
    const [e] = readEvents([c.event]);
    const entry = entryOf[e.kind](e);
    assert.ok(entry, `an entry of ${JSON.stringify(c.event)}`);
    assert.equal(classOf(entry), c.class, JSON.stringify(c.event));
  }
  assert.deepEqual([...new Set(classCases.map((c) => c.class))].sort(), [0, 1, 2, 3], "every class has a case");
  assert.equal(classOf(connectionEvent(true, 1)), classOf(serverRestartEvent(1, "")), "the page's own: the server's class");
});

// flap is an alert rule's change at ts.
const flap = (ts) => alertEvent({ kind: "alert", ts, name: "Flap", event: ts % 2 ? "resolved" : "firing", severity: "warning", source: "spiky", series: "" });

test("where the bound cuts a class, the timeline says how many went and up to when, and its panel says so", () => {
  const t = new Timeline(3);
  t.add([sup(100, "crashed")]);
  for (let i = 0; i < 10; i++) t.add([flap(1000 + i * 100)]);
  assert.deepEqual(t.cuts(), [{ what: "alert changes", n: 7, until: 1600 }]);
  t.add([flap(500)]); // older than all the full class holds
  assert.deepEqual(t.cuts(), [{ what: "alert changes", n: 8, until: 1600 }]);

  const list = document.createElement("ol");
  const view = new TimelineView({ list, filter: document.createElement("select"), count: document.createElement("span") }, () => {});
  view.show(t.list(), ["spiky"], "", t.cuts());
  const last = list.children.at(-1);
  assert.equal(last.className, "event-cut");
  assert.equal(last.textContent, `8 older alert changes not shown (up to ${formatClock(1600)}), nor marked on the charts: the timeline keeps the newest 300 of each kind`);
  view.show(t.list(), ["spiky"], "");
  assert.notEqual(list.children.at(-1).className, "event-cut", "no cut, no note");

  t.trimBefore(1650);
  assert.deepEqual(t.cuts(), [], "what went for the bound is older than the history kept: nothing more to say");
});

test("the bound's counts stay those of the entries, through adds out of order, trims and age", () => {
  const t = new Timeline(5);
  let x = 7;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  const makers = [(ts) => sup(ts, "crashed", { error: String(ts) }), flap, (ts) => serverRestartEvent(ts, String(ts)), (ts) => sourceEvent({ source: "web", event: "down", ts, error: String(ts) })];
  for (let round = 0; round < 300; round++) {
    const batch = [];
    for (let k = Math.floor(rnd() * 4); k >= 0; k--) batch.push(makers[Math.floor(rnd() * 4)](Math.floor(1000 + round * 10 + (rnd() - 0.7) * 200)));
    t.add(batch);
    if (round % 50 === 49) t.trimBefore(round * 10);
    const count = [0, 0, 0, 0];
    const oldest = [Infinity, Infinity, Infinity, Infinity];
    for (const e of t.events) {
      count[classOf(e)]++;
      oldest[classOf(e)] = Math.min(oldest[classOf(e)], e.ts);
    }
    assert.deepEqual(t.count, count, `round ${round}`);
    assert.deepEqual(t.oldest, oldest, `round ${round}`);
    assert.ok(count.every((n) => n <= 5));
    for (let i = 1; i < t.events.length; i++) assert.ok(t.events[i - 1].ts <= t.events[i].ts, "oldest first");
  }
});

test("the panel keeps the lines it shows: an entry come is one line inserted at the top, and the oldest past the bound go", () => {
  const list = document.createElement("ol");
  const view = new TimelineView({ list, filter: document.createElement("select"), count: document.createElement("span") }, () => {});
  const t = new Timeline();
  t.add([sup(1_700_000_000_000, "crashed", { error: "one" })]);
  t.add([sup(1_700_000_060_000, "crashed", { error: "two" })]);
  view.show(t.list(), ["flaky"], "");
  const before = [...list.children];
  t.add([sup(1_700_000_120_000, "crashed", { error: "three" })]);
  view.show(t.list(), ["flaky"], "");
  assert.equal(list.children.length, 3);
  assert.deepEqual(list.children.slice(1), before, "the lines shown before, the same elements");
  assert.match(list.children[0].textContent, /three/);
  view.show(t.list().slice(0, 1), ["flaky"], "");
  assert.deepEqual(list.children.map((li) => li.textContent.slice(-5)), ["three"], "the rest removed");
});

test("a flapping rule's markers are one a burst, counted in its label; a crash among them and another rule's stay their own", () => {
  const tl = new Timeline();
  const sev = (ts, from, to, series = "spiky/shard_load{shard=0}") =>
    alertEvent({ kind: "alert", ts, name: "ShardHot", event: "firing", from: "firing", fromSeverity: from, severity: to, source: "spiky", series });
  const list = [alertEvent({ kind: "alert", ts: 1000, name: "ShardHot", event: "firing", from: "pending", severity: "warning", source: "spiky", series: "spiky/shard_load{shard=0}" })];
  for (let i = 1; i <= 12; i++) list.push(sev(1000 + i * 2000, i % 2 ? "warning" : "critical", i % 2 ? "critical" : "warning", i % 3 ? "spiky/shard_load{shard=0}" : "spiky/shard_load{shard=1}"));
  list.push(supervisionEvent({ kind: "supervision", ts: 9000, source: "spiky", event: "crashed", error: "boom", restarts: 0 }));
  list.push(alertEvent({ kind: "alert", ts: 10_000, name: "Lone", event: "firing", source: "spiky", series: "" }));
  list.sort((a, b) => a.ts - b.ts);
  tl.add(list);
  const ids = ["spiky/shard_load{shard=0}", "spiky/shard_load{shard=1}"];
  const marks = tl.chartMarkers("spiky", ids);
  assert.deepEqual(
    marks.map((m) => [m.ts, m.text, m.members ? m.members.length : 0]),
    [
      [1000, "ShardHot: pending → firing 1×, severity warning → critical 6×, severity critical → warning 6×", 13],
      [9000, "crashed", 0],
      [10_000, "Lone firing", 0],
    ],
  );
  assert.equal(marks[0].until, 25_000);
  assert.equal(marks[0].ok, false, "a firing burst is drawn as a failure");
  assert.equal(tl.chartMarkers("spiky", ids), marks, "kept until the entries change: every draw asks");
  // A chart of one instance folds that instance's own markers: 9 of them.
  assert.equal(tl.chartMarkers("spiky", ["spiky/shard_load{shard=0}"])[0].members.length, 9);
  // A quiet time over RUN_GAP_MS, or a server's restart, starts another burst; three are not churn.
  tl.add([serverRestartEvent(30_000, "dev"), sev(31_000, "warning", "critical"), sev(33_000, "critical", "warning"), sev(35_000, "warning", "critical")]);
  const after = tl.chartMarkers("spiky", ids).filter((m) => m.ts > 25_000);
  assert.deepEqual(after.map((m) => [m.kind, m.members ? m.members.length : 0]), [["server-restart", 0], ["alert-firing", 0], ["alert-firing", 0], ["alert-firing", 0]]);
});

test("the events panel's count counts the rows listed of the source chosen, a run of entries one row", () => {
  const list = document.createElement("ol");
  const count = document.createElement("span");
  const view = new TimelineView({ list, filter: document.createElement("select"), count }, () => {});
  const t = new Timeline();
  // Ten crashes of flaky in a row: one row (a run), and one of demo.
  for (let i = 0; i < 10; i++) t.add([sup(1_700_000_000_000 + i * 1000, "crashed", { error: "panic: boom" })]);
  t.add([sup(1_700_000_100_000, "crashed", { source: "demo", error: "panic: boom" })]);
  view.show(t.list("flaky"), ["demo", "flaky"], "flaky");
  assert.equal(count.textContent, String(list.children.length), `as many as listed: ${list.children.length}`);
  assert.equal(count.title, "10 events in 1 row");
  view.show(t.list(), ["demo", "flaky"], "");
  assert.equal(count.textContent, String(list.children.length));
});
