import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { alertEvent } from "../js/timeline.js";
import { readEvents } from "../js/events.js";

// The alerts panel on a fake DOM, and the alerts in the event timeline.

installDOM();
const { AlertsView, alertFacts } = await import("../js/alertsview.js");
const { formatClock } = await import("../js/format.js");

const T = 1_700_000_000_000;
const alert = (o) => ({
  id: "a1",
  name: "HighCPU",
  state: "pending",
  severity: "warning",
  labels: {},
  annotations: { summary: "CPU at 91.3 %" },
  value: 91.25,
  threshold: 80,
  series: "s1",
  source: "host",
  active_at: T,
  ...o,
});

function view() {
  const els = { list: document.createElement("ol"), count: document.createElement("span") };
  const shown = [];
  return { els, shown, v: new AlertsView(els, (name) => shown.push(name)) };
}

test("the panel lists each alert's state, severity, name, value, since when and summary", () => {
  const { els, shown, v } = view();
  v.show([alert({ state: "firing", severity: "critical", fired_at: T + 30_000 }), alert({ id: "a2", name: "Down", source: undefined, value: null, threshold: undefined, annotations: {} })], T + 90_000);
  const [first, second] = els.list.children;
  assert.deepEqual({ ...first.dataset }, { alert: "a1", state: "firing", severity: "critical", source: "host" });
  assert.equal(first.one("alert-state").textContent, "firing");
  assert.equal(first.one("alert-severity").textContent, "critical");
  assert.equal(first.one("alert-name").textContent, "HighCPU");
  assert.equal(first.one("alert-facts").textContent, `host · value 91.3, threshold 80 · since ${formatClock(T + 30_000)} (1 min ago)`);
  assert.equal(first.one("alert-summary").textContent, "CPU at 91.3 %");
  first.one("alert-name").click();
  assert.deepEqual(shown, ["host"], "the name leads to the source");

  assert.equal(second.one("alert-name").tagName, "SPAN", "no source: nothing to lead to");
  assert.equal(second.one("alert-facts").textContent, `no value · since ${formatClock(T)} (1 min ago)`);
  assert.equal(second.find("alert-summary").length, 0);
  assert.equal(els.count.textContent, "2");
  assert.equal(els.count.title, "1 firing, 1 pending");

  v.tick(T + 200_000);
  assert.match(first.one("alert-facts").textContent, /\(2 min ago\)$/, "the ages move on");
});

test("an alert sent again with a new value is updated in place; a new state makes its item again", () => {
  const { els, v } = view();
  v.show([alert({ state: "firing", fired_at: T }), alert({ id: "a2", name: "Other" })], T + 1000);
  const [first, second] = els.list.children;
  v.show([alert({ state: "firing", fired_at: T, value: 95, annotations: { summary: "CPU at 95 %" } }), alert({ id: "a2", name: "Other" })], T + 2000);
  assert.equal(els.list.children[0], first, "the same item");
  assert.equal(els.list.children[1], second);
  assert.match(first.one("alert-facts").textContent, /value 95, threshold 80/);
  assert.equal(first.one("alert-summary").textContent, "CPU at 95 %");
  v.tick(T + 120_000);
  assert.match(first.one("alert-facts").textContent, /\(2 min ago\)$/, "its age still moves on");

  // Resolved, then another order, then a new state: items go, move, and are made again.
  v.show([alert({ id: "a2", name: "Other" })], T + 3000);
  assert.deepEqual([...els.list.children], [second]);
  v.show([alert({ id: "a2", name: "Other", state: "firing", fired_at: T + 3000 }), alert({ state: "firing", fired_at: T })], T + 4000);
  const [again, back] = els.list.children;
  assert.notEqual(again, second, "firing now: made again");
  assert.equal(again.dataset.state, "firing");
  assert.notEqual(back, first, "an alert that left and came back is made anew");
  assert.equal(back.one("alert-name").textContent, "HighCPU");
  v.tick(T + 64_000);
  assert.match(again.one("alert-facts").textContent, /\(1 min ago\)$/);
});

test("without alerts the panel says so", () => {
  const { els, v } = view();
  v.show([alert()], T);
  v.show([], T);
  assert.equal(els.list.children.length, 1);
  assert.equal(els.list.children[0].className, "alert-none");
  assert.equal(els.count.textContent, "");
  v.tick(T + 1000); // nothing shown: nothing to refresh
});

test("alertFacts: a pending alert is since it became active", () => {
  assert.equal(alertFacts(alert({ value: 0.0123, threshold: 0.5 }), T + 4000), `host · value 0.0123, threshold 0.500 · since ${formatClock(T)} (4s ago)`);
});

const kinds = (evs) => evs.map((e) => [e.kind, e.ts, e.text, e.source, e.bad, e.marker]);

const told = (o) => alertEvent(readEvents([{ kind: "alert", id: "a1", name: "HighCPU", severity: "warning", source: "host", series: "s1", ...o }])[0]);

test("the timeline tells an alert pending, then firing, then resolved, as the server tells it", () => {
  assert.deepEqual(kinds([told({ ts: T, event: "pending" })]), [["alert-pending", T, "HighCPU pending (warning)", "host", false, false]]);
  assert.deepEqual(kinds([told({ ts: T + 30_000, event: "firing" })]), [["alert-firing", T + 30_000, "HighCPU firing (warning)", "host", true, true]]);
  assert.deepEqual(kinds([told({ ts: T + 40_000, event: "firing", severity: "critical" })]), [["alert-firing", T + 40_000, "HighCPU firing (critical)", "host", true, true]]);
  assert.deepEqual(kinds([told({ ts: T + 60_000, event: "resolved" })]), [["alert-resolved", T + 60_000, "HighCPU resolved", "host", false, false]]);
  assert.equal(told({ ts: T, event: "silenced" }), null);
  assert.deepEqual(kinds([told({ ts: T + 2, event: "pending", name: "", source: undefined, severity: "" })]), [["alert-pending", T + 2, "alert pending", "", false, false]]);
  assert.equal(told({ ts: T, event: "firing", node: "n2" }).source, "n2/host", "a peer's");
});

test("while disconnected every alert is unknown, greyed and not ageing; back, as before", () => {
  const { els, v } = view();
  const a = alert({ state: "firing", fired_at: T, severity: "critical" });
  v.show([a], T + 18_000);
  const li = () => els.list.children[0];
  assert.equal(li().dataset.state, "firing");
  assert.match(li().one("alert-facts").textContent, /18 s ago|18s ago/);
  v.setStale(true);
  assert.equal(li().dataset.state, "unknown");
  assert.equal(li().dataset.severity, "unknown", "no critical colour");
  assert.equal(li().dataset.lastState, "firing");
  assert.equal(li().one("alert-state").textContent, "unknown");
  const facts = li().one("alert-facts").textContent;
  assert.match(facts, /last known firing since/);
  assert.doesNotMatch(facts, /ago/);
  v.tick(T + 60_000);
  assert.equal(li().one("alert-facts").textContent, facts, "nothing ages while unknown");
  v.setStale(false);
  assert.equal(li().dataset.state, "firing");
  assert.equal(li().dataset.severity, "critical");
  assert.match(li().one("alert-facts").textContent, /ago/);
});
