import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { Ring } from "../js/ring.js";

// The warning and critical colours of a card, its legend rows and a
// source's panel under an alert, on a fake DOM.

installDOM();
const { SeriesCard } = await import("../js/cards.js");
const { SourceGroup } = await import("../js/sources.js");

const T = 1_700_000_000_000;
function st(id, labels) {
  const ring = new Ring();
  ring.push(T, 1);
  return { id, source: "host", metric: "cpu_percent", labels, kind: "gauge", last: [T, 1], windows: {}, ring, staleSince: 0 };
}
const alert = (state, severity) => ({ id: `${state}-${severity}`, name: "HighCPU", state, severity });

test("a card takes its lines' worst alert, each row its own, and loses them with the alerts", () => {
  const card = new SeriesCard(st("a", { cpu: "0" }));
  card.add(st("b", { cpu: "1" }));
  card.showAlerts(new Map([["a", alert("pending", "critical")], ["b", alert("firing", "warning")], ["gone", alert("firing", "critical")]]));
  assert.deepEqual([card.el.dataset.alert, card.el.dataset.alertState], ["warning", "firing"], "firing outweighs pending");
  const rows = Object.fromEntries([...card.lines].map(([id, l]) => [id, { ...l.row.dataset }]));
  assert.deepEqual([rows.a.alert, rows.a.alertState], ["critical", "pending"]);
  assert.deepEqual([rows.b.alert, rows.b.alertState], ["warning", "firing"]);
  assert.equal(card.el.getAttribute("aria-label"), "cpu_percent of host: HighCPU firing (warning)");

  card.showAlerts(new Map([["a", undefined], ["b", undefined]]));
  assert.equal(card.el.dataset.alert, undefined);
  assert.equal(card.el.dataset.alertState, undefined);
  assert.ok([...card.lines.values()].every((l) => l.row.dataset.alert === undefined));
  assert.equal(card.el.getAttribute("aria-label"), "cpu_percent of host");
});

test("a source's panel is coloured by its worst alert and names it beside its state", () => {
  const g = new SourceGroup("host", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  assert.equal(g.alertTag.hidden, true);
  g.showAlert(alert("pending", "warning"));
  assert.deepEqual([g.el.dataset.alert, g.el.dataset.alertState], ["warning", "pending"]);
  assert.equal(g.alertTag.hidden, false);
  assert.equal(g.alertTag.textContent, "HighCPU pending");
  g.showAlert(alert("firing", "critical"));
  assert.deepEqual([g.alertTag.dataset.severity, g.alertTag.dataset.state, g.el.dataset.alert], ["critical", "firing", "critical"]);
  g.showAlert(undefined);
  assert.equal(g.el.dataset.alert, undefined);
  assert.equal(g.el.dataset.alertState, undefined);
  assert.equal(g.alertTag.hidden, true);
});
