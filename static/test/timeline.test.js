import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { Timeline, connectionEvent, reloadEvent, serverRestartEvent, sourceEvents } from "../js/timeline.js";
import { readEvents } from "../js/events.js";

installDOM();
const { TimelineView } = await import("../js/timelineview.js");
const { formatClock } = await import("../js/format.js");

const src = (o) => ({ name: "flaky", type: "simulated", state: "running", restarts: 0, last_error: "", last_success: 0, ...o });
const kinds = (evs) => evs.map((e) => [e.kind, e.ts, e.text]);

test("a crash into backoff, then its restart", () => {
  const crash = sourceEvents(src({}), src({ state: "backoff", last_error: "panic: boom", last_error_at: 900 }), 1000);
  assert.deepEqual(kinds(crash), [["crash", 900, "crashed; backing off before a restart"]]);
  assert.equal(crash[0].detail, "panic: boom");
  assert.equal(crash[0].bad, true);
  assert.equal(crash[0].marker, true);
  const restart = sourceEvents(src({ state: "backoff", last_error: "panic: boom" }), src({ restarts: 1, last_error: "panic: boom" }), 2000);
  assert.deepEqual(kinds(restart), [["restart", 2000, "restarted (restart 1)"]]);
  assert.equal(restart[0].marker, false);
});

test("a crash seen only through its restart count, several at once", () => {
  const evs = sourceEvents(src({ restarts: 1 }), src({ restarts: 3, last_error: "panic: x" }), 5000);
  assert.deepEqual(kinds(evs), [
    ["crash", 5000, "crashed"],
    ["restart", 5000, "restarted 2 times (restart 3)"],
  ]);
});

test("parked, tried again, stopped; nothing for a new source or no change", () => {
  assert.deepEqual(kinds(sourceEvents(src({ state: "backoff", restarts: 5 }), src({ state: "failed", restarts: 5 }), 10)), [["parked", 10, "parked as failed after 5 restarts"]]);
  assert.deepEqual(kinds(sourceEvents(src({ state: "failed", restarts: 5 }), src({ state: "starting", restarts: 5 }), 20)), [["restart", 20, "tried again after its cool-down"]]);
  assert.deepEqual(kinds(sourceEvents(src({}), src({ state: "stopped" }), 30)), [["stopped", 30, "stopped"]]);
  assert.deepEqual(sourceEvents(undefined, src({ state: "backoff" }), 40), []);
  assert.deepEqual(sourceEvents(src({ polls: 1 }), src({ polls: 2 }), 50), []);
  assert.deepEqual(sourceEvents(src({ restarts: 4 }), src({ restarts: 0 }), 60), [], "a new server counts from 0");
});

test("polls failing and working again, from up (absent from older servers)", () => {
  const down = sourceEvents(src({ up: true }), src({ up: false, last_error: "refused", last_error_at: 70 }), 80);
  assert.deepEqual(kinds(down), [["down", 70, "polls failing"]]);
  assert.deepEqual(kinds(sourceEvents(src({ up: false }), src({ up: true, last_success: 95 }), 100)), [["up", 95, "polls work again"]]);
  assert.deepEqual(sourceEvents(src({}), src({ up: false }), 100), [], "no up before: nothing to compare");
  // A crash takes a source down and its restart brings it up: the crash
  // and the restart tell it, with no down or up beside them.
  assert.deepEqual(kinds(sourceEvents(src({ up: true }), src({ state: "backoff", up: false, last_error_at: 110 }), 120)),
    [["crash", 110, "crashed; backing off before a restart"]]);
  assert.deepEqual(kinds(sourceEvents(src({ state: "backoff", up: false }), src({ restarts: 1, up: true, last_success: 125 }), 130)),
    [["restart", 130, "restarted (restart 1)"]]);
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
  t.add(sourceEvents(src({}), src({ state: "backoff" }), 100));
  t.add([serverRestartEvent(50, ""), { kind: "x", ts: NaN }]);
  t.add(sourceEvents(src({ name: "b" }), src({ name: "b", state: "failed" }), 200));
  assert.deepEqual(t.list().map((e) => [e.kind, e.source]), [["parked", "b"], ["crash", "flaky"], ["server-restart", ""]]);
  assert.deepEqual(t.list("flaky").map((e) => e.kind), ["crash", "server-restart"], "a source's own and the page's");
  assert.deepEqual(t.sources(), ["flaky", "b"]);
  const restart = { ts: 50, ok: true, kind: "server-restart", source: "", text: "server restarted" };
  assert.deepEqual(t.markers("flaky"), [restart, { ts: 100, ok: false, kind: "crash", source: "flaky", text: "crashed; backing off before a restart" }]);
  assert.equal(t.markers("flaky"), t.markers("flaky"), "kept until the entries change");
  assert.deepEqual(t.markers("other"), [restart]);
  t.add([connectionEvent(false, 300), connectionEvent(false, 301)]);
  assert.equal(t.list().length, 4, "the oldest go beyond the bound");
  assert.equal(t.list().at(-1).kind, "crash");
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
  t.add(sourceEvents(src({}), src({ state: "backoff", last_error: "panic: boom", last_error_at: 1_700_000_000_000 }), 1_700_000_001_000));
  view.show(t.list(), ["demo", "flaky"], "");
  assert.deepEqual(filter.children.map((o) => o.textContent), ["All sources", "demo", "flaky"]);
  const [li] = list.children;
  assert.equal(li.dataset.kind, "crash");
  assert.ok(li.classList.contains("is-bad"));
  assert.equal(li.textContent, `${formatClock(1_700_000_000_000)}flakycrashed; backing off before a restartpanic: boom`);
  assert.equal(count.textContent, "1");
  filter.value = "demo";
  filter.dispatch("change");
  assert.deepEqual(chosen, ["demo"]);
  view.show([], ["demo", "flaky"], "demo");
  assert.equal(list.textContent, "Nothing has happened to demo yet.");
  assert.equal(count.textContent, "");
});

test("a source the page sees first tells its last restart, if it had one", () => {
  assert.deepEqual(kinds(sourceEvents(undefined, src({ restarts: 3, last_restart_at: 1234 }), 5000)),
    [["restart", 1234, "restarted (restart 3; the last before this page opened)"]]);
  assert.deepEqual(sourceEvents(undefined, src({ restarts: 0 }), 5000), [], "never restarted");
  assert.deepEqual(sourceEvents(undefined, src({ restarts: 2 }), 5000), [], "a server that does not say when");
  assert.deepEqual(sourceEvents(src({}), undefined, 5000), []);
});

test("a crash told twice (as a backoff, then through its restart) is one entry", () => {
  const t = new Timeline();
  const backoff = sourceEvents(src({}), src({ state: "backoff", last_error: "panic: boom", last_error_at: 900 }), 1000);
  const starting = sourceEvents(src({ state: "backoff", last_error_at: 900 }), src({ state: "starting", last_error: "panic: boom", last_error_at: 900 }), 1100);
  const restart = sourceEvents(src({ state: "starting", last_error_at: 900 }), src({ restarts: 1, last_error: "panic: boom", last_error_at: 900 }), 1200);
  t.add(backoff);
  t.add(starting);
  t.add(restart);
  assert.deepEqual(t.list().map((e) => [e.kind, e.ts]), [["restart", 1200], ["crash", 900]]);
  t.add(sourceEvents(src({ restarts: 1 }), src({ state: "backoff", restarts: 1, last_error: "panic: again", last_error_at: 5000 }), 5100));
  assert.equal(t.list().filter((e) => e.kind === "crash").length, 2, "another crash, another time: told");
  t.add([{ ...backoff[0], source: "other", seq: 0 }]);
  assert.equal(t.list().filter((e) => e.kind === "crash").length, 3, "another source's crash at the same time: told");
});
