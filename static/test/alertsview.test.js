import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { alertEvents } from "../js/timeline.js";

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

test("the timeline tells an alert pending, then firing, then resolved", () => {
  const pending = alert();
  assert.deepEqual(kinds(alertEvents({ prev: undefined, next: pending }, T + 5)), [["alert-pending", T, "HighCPU pending (warning)", "host", false, false]]);
  const firing = alert({ state: "firing", fired_at: T + 30_000 });
  const ev = alertEvents({ prev: pending, next: firing }, T + 30_100);
  assert.deepEqual(kinds(ev), [["alert-firing", T + 30_000, "HighCPU firing (warning)", "host", true, true]]);
  assert.equal(ev[0].detail, "CPU at 91.3 %");
  assert.deepEqual(alertEvents({ prev: firing, next: alert({ state: "firing", fired_at: T + 30_000, value: 92 }) }, T + 31_000), [], "a new value is no news");
  const resolved = alert({ state: "resolved", fired_at: T + 30_000, resolved_at: T + 60_000 });
  assert.deepEqual(kinds(alertEvents({ prev: firing, next: resolved }, T + 60_100)), [["alert-resolved", T + 60_000, "HighCPU resolved", "host", false, false]]);
  assert.deepEqual(alertEvents({ prev: undefined, next: resolved }, T), [], "resolved before the page saw it: nothing to tell");
});

test("the timeline: a rule without `for` fires at once, and a firing alert turning critical is told", () => {
  const firing = alert({ state: "firing", fired_at: T });
  assert.deepEqual(kinds(alertEvents({ prev: undefined, next: firing }, T + 1)).map((k) => k[0]), ["alert-firing"]);
  const crit = alert({ state: "firing", severity: "critical", fired_at: T });
  assert.deepEqual(kinds(alertEvents({ prev: firing, next: crit }, T + 9000)), [["alert-firing", T + 9000, "HighCPU now critical", "host", true, true]]);
  const health = alert({ name: "", source: undefined, series: undefined, annotations: {}, active_at: 0 });
  assert.deepEqual(kinds(alertEvents({ prev: undefined, next: health }, T + 2)), [["alert-pending", T + 2, "alert pending (warning)", "", false, false]]);
});
