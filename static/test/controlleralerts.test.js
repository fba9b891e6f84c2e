import { test } from "node:test";
import assert from "node:assert/strict";
import { fam, T0, harness, hello, live, series, snapshot } from "./fakes/page.js";

// The page controller and the stream's alerts: the panel, the colours of
// cards and source panels, the charts' overlay, the timeline. Fakes:
// test/fakes/page.js.

const alert = (o) => ({
  id: "al1",
  name: "HighA",
  state: "pending",
  severity: "warning",
  labels: { alertname: "HighA" },
  annotations: { summary: "a is high" },
  value: 9,
  threshold: 5,
  series: "a",
  source: "demo",
  active_at: T0,
  ...o,
});

const delta = (seq, alerts, extra = {}) => ({ type: "delta", seq, ts: T0 + seq * 1000, alerts, ...extra });
// told is the server's "alert" event of a's change, which a delta carries beside it.
const told = (a, ts) => ({ kind: "alert", ts, id: a.id, name: a.name, event: a.state, severity: a.severity, source: a.source, series: a.series });

test("an alert sent again with its value alone moved waits for the clock's tick; a new state is shown at once", () => {
  const h = harness();
  const ws = live(h);
  ws.recv(delta(5, [alert({ state: "firing", fired_at: T0 })]));
  assert.equal(h.frame(), 1, "a new alert: at once");
  const updates = h.groups.get("demo").updates.length;
  ws.recv(delta(6, [alert({ state: "firing", fired_at: T0, value: 12 })]));
  assert.equal(h.frame(), 0, "its value alone: no frame of its own");
  assert.equal(h.alerts.list[0].value, 9);
  h.tick();
  assert.equal(h.frame(), 1);
  assert.equal(h.alerts.list[0].value, 12, "the panel at the tick");
  assert.ok(h.groups.get("demo").updates.length > updates, "and the source's panel");
  assert.equal(h.cards.get("a").alerts.get("a").value, 12, "and the card");
  ws.recv(delta(7, [alert({ state: "firing", fired_at: T0, value: 13, severity: "critical" })]));
  assert.equal(h.frame(), 1, "a new severity: at once");
  assert.equal(h.cards.get("a").alerts.get("a").severity, "critical");
});

test("a delta's alert goes pending, fires and resolves: panel, card, source panel, chart and timeline follow", () => {
  const h = harness();
  const ws = live(h);
  assert.deepEqual(h.alerts.list, [], "the panel is drawn empty at first");

  ws.recv(delta(5, [alert()], { events: [told(alert(), T0)] }));
  h.frame();
  assert.deepEqual(h.alerts.list.map((a) => [a.name, a.state]), [["HighA", "pending"]]);
  const card = h.cards.get("a");
  assert.equal(card.alerts.get("a").state, "pending");
  assert.equal(h.cards.get("b").alerts, null, "a card without alerts is left alone");
  assert.equal(h.groups.get("demo").alert.state, "pending");
  assert.ok(h.charts.dirty.has(fam("a")), "the chart redraws with its threshold");
  assert.deepEqual(h.charts.entries.get(fam("a")).overlay(), { thresholds: [{ value: 5, severity: "warning" }], spans: [] });
  assert.deepEqual(h.timeline.events.map((e) => e.kind), ["alert-pending"]);

  ws.recv(delta(6, [alert({ state: "firing", fired_at: T0 + 6000 })], { events: [told(alert({ state: "firing" }), T0 + 6000)] }));
  h.frame();
  assert.equal(h.alerts.list[0].state, "firing");
  assert.equal(card.alerts.get("a").state, "firing");
  assert.equal(h.groups.get("demo").alert.state, "firing");
  assert.deepEqual(h.charts.entries.get(fam("a")).overlay().spans, [{ from: T0 + 6000, to: 0, severity: "warning" }]);
  assert.deepEqual(h.timeline.events.map((e) => e.kind), ["alert-firing", "alert-pending"]);

  h.charts.dirty.clear();
  ws.recv(delta(7, [alert({ state: "resolved", fired_at: T0 + 6000, resolved_at: T0 + 7000 })], { events: [told(alert({ state: "resolved" }), T0 + 7000)] }));
  h.frame();
  assert.deepEqual(h.alerts.list, []);
  assert.equal(card.alerts.get("a"), undefined, "the colour goes");
  assert.equal(h.groups.get("demo").alert, undefined);
  assert.ok(h.charts.dirty.has(fam("a")));
  assert.deepEqual(h.charts.entries.get(fam("a")).overlay(), { thresholds: [], spans: [{ from: T0 + 6000, to: T0 + 7000, severity: "warning" }] });
  assert.deepEqual(h.timeline.events.map((e) => e.kind), ["alert-resolved", "alert-firing", "alert-pending"]);
});

test("a snapshot's alerts colour the page without telling the timeline; the panel's ages tick", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv({ type: "hello", version: "1", windows: ["1m"], history_seconds: 900, instance: "a" });
  ws.recv({ ...snapshot(4, [series("a"), series("b")]), alerts: [alert({ state: "firing", fired_at: T0, series: "b" })] });
  h.frame();
  assert.deepEqual(h.alerts.list.map((a) => a.series), ["b"]);
  assert.equal(h.cards.get("b").alerts.get("b").state, "firing");
  assert.equal(h.groups.get("demo").alert.state, "firing");
  assert.ok(!h.timeline.events.some((e) => e.kind.startsWith("alert-")), "a state, not news");

  // A resync's snapshot without it: resolved, colours gone.
  ws.recv(snapshot(9, [series("a"), series("b")]));
  h.frame();
  assert.deepEqual(h.alerts.list, []);
  assert.equal(h.cards.get("b").alerts.get("b"), undefined);
  assert.equal(h.groups.get("demo").alert, undefined);

  const ticks = h.alertTicks;
  h.intervals[0].fn();
  h.frame();
  assert.equal(h.alertTicks, ticks + 1);
});

test("an alert on a series added in the same delta, and a card made again under an alert, are coloured", () => {
  const h = harness();
  const ws = live(h);
  const c = { ...series("c"), points: [[T0, 1]] };
  ws.recv(delta(5, [alert({ id: "c1", series: "c", state: "firing", fired_at: T0 })], { added: [c] }));
  h.frame();
  assert.equal(h.cards.get("c").alerts.get("c").state, "firing");

  ws.recv(delta(6, [], { removed: ["c"] }));
  h.frame();
  ws.recv(delta(7, [], { added: [c] }));
  h.frame();
  assert.equal(h.cards.get("c").alerts.get("c").state, "firing", "the new card is coloured at once");

  // An alert about a source without a group yet, and one without a series: the panel only.
  ws.recv(delta(8, [alert({ id: "x", series: undefined, source: "elsewhere" }), alert({ id: "y", series: undefined, source: undefined })]));
  h.frame();
  assert.equal(h.alerts.list.length, 3);
});

test("an alert's link (#series=…) shows its card once the stream brings it; #source=… its group", () => {
  const h = harness({ href: "http://127.0.0.1:8080/#series=b" });
  const ws = live(h);
  const card = h.cards.get("b");
  assert.equal(card.el.scrolled, 1, "scrolled to");
  assert.equal(card.el.focused, 1);
  assert.ok(card.el.classList.contains("is-target"));
  assert.equal(h.cards.get("a").el.scrolled, 0);
  ws.recv(delta(5, [], { added: [{ ...series("c"), points: [[T0, 1]] }] }));
  assert.equal(card.el.scrolled, 1, "once");

  const later = harness({ href: "http://127.0.0.1:8080/#series=late" });
  const ws2 = live(later);
  ws2.recv(delta(5, [], { added: [{ ...series("late"), points: [[T0, 1]] }] }));
  assert.equal(later.cards.get("late").el.scrolled, 1, "a series that comes after the snapshot");

  const collapsed = harness({ href: "http://127.0.0.1:8080/?collapsed=demo#series=a" });
  live(collapsed);
  assert.equal(collapsed.groups.get("demo").collapsed, false, "its group is opened");

  const src = harness({ href: "http://127.0.0.1:8080/#source=demo" });
  live(src);
  assert.equal(src.groups.get("demo").el.scrolled, 1);
});

test("while disconnected every alert chip and card reads unknown, not the last state; back live they read it again", () => {
  const h = harness();
  let ws = live(h);
  ws.recv(delta(5, [alert({ state: "firing", fired_at: T0 })]));
  h.frame();
  assert.equal(h.groups.get("demo").alert.state, "firing");
  ws.drop();
  h.frame();
  const chip = h.groups.get("demo").alert;
  assert.deepEqual([chip.name, chip.state, chip.severity, chip.lastState], ["HighA", "unknown", "unknown", "firing"]);
  assert.equal(h.cards.get("a").alerts.get("a").state, "unknown", "the card's colour too");
  h.clock.advance(500);
  ws = h.ws();
  ws.open();
  ws.recv(hello);
  h.frame();
  assert.equal(h.groups.get("demo").alert.state, "firing");
});
