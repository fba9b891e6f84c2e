import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { Ring } from "../js/ring.js";

// The metric card as the reader sees it, on a fake DOM (test/fakes/dom.js).

installDOM();
const { SeriesCard, staleText } = await import("../js/cards.js");
const { formatAt, formatClock } = await import("../js/format.js");

const T = 1_700_000_000_000;
const win = (v) => ({ "1m": { count: 3, min: v - 1, max: v + 1, mean: v, last: v, rate: null, p50: v, p90: v, p99: v } });

function st(id, labels, v, staleSince = 0) {
  const ring = new Ring();
  ring.push(T, v);
  return { id, source: "host", metric: "cpu_percent", labels, kind: "gauge", last: [T, v], windows: win(v), ring, staleSince };
}

test("a lone stale series is greyed and says since when; live again it reads as current", () => {
  const s = st("a", {}, 42, T + 5000);
  const card = new SeriesCard(s);
  card.update("1m", 60_000);
  assert.ok(card.el.classList.contains("is-stale"));
  assert.equal(card.note.textContent, `stale since ${formatClock(T + 5000)}`);
  assert.match(card.value.title, /not current/);
  assert.deepEqual(card.chartLines(false).map((l) => l.stale), [true]);

  s.staleSince = 0;
  card.update("1m", 60_000);
  assert.ok(!card.el.classList.contains("is-stale"));
  assert.equal(card.note.textContent, "");
  assert.equal(card.value.title, "");
  assert.equal(card.value.textContent, "42", "its value shown again");
});

test("in a family, a stale line says so in its value column; the card is stale only when all are", () => {
  const a = st("a", { cpu: "0" }, 10);
  const b = st("b", { cpu: "1" }, 20, T + 1000);
  const card = new SeriesCard(a);
  card.add(b);
  card.update("1m", 60_000);
  const rows = card.legendBody.children;
  assert.deepEqual(rows.map((r) => r.classList.contains("is-stale")), [false, true]);
  assert.equal(rows[1].children[1].textContent, staleText(b));
  assert.equal(rows[0].children[1].textContent, "10 %", "the live line's value");
  assert.ok(!card.el.classList.contains("is-stale"));
  a.staleSince = T + 2000;
  card.update("1m", 60_000);
  assert.ok(card.el.classList.contains("is-stale"));
});

test("a card's lines are matched by the filter as their chips read", () => {
  const card = new SeriesCard(st("a", { cpu: "1", host: "x" }, 1));
  card.add(st("b", { cpu: "10", host: "x" }, 2));
  assert.deepEqual(card.lineTexts(), [
    ["host", "cpu_percent", "cpu=1", "host=x", 'cpu="1", host="x"', "1"],
    ["host", "cpu_percent", "cpu=10", "host=x", 'cpu="10", host="x"', "10"],
  ]);
});

test("the filter box keeps a family's matching lines on its chart and legend", async () => {
  const { filterGroups } = await import("../js/summary.js");
  let redraws = 0;
  const card = new SeriesCard(st("a", { cpu: "0" }, 1), { onLines: () => redraws++ });
  card.add(st("b", { cpu: "1" }, 2));
  card.add(st("c", { cpu: "total" }, 3));
  const other = new SeriesCard(st("d", {}, 4));
  other.metric = "load1";
  const group = { name: "host", el: { hidden: false }, cards: new Map([["x", card], ["y", other]]) };
  const shown = (c) => c.chartLines(false).filter((l) => !l.hidden).map((l) => l.id);

  const f = filterGroups([group], "cpu=1");
  assert.equal(f.count, "1 of 4 series");
  assert.deepEqual(shown(card), ["b"], "cpu=1 draws CPU 1 alone");
  assert.deepEqual(card.legendBody.children.map((r) => r.hidden), [true, false, true]);
  assert.equal(other.el.hidden, true, "a card with no match is hidden whole");
  assert.equal(redraws, 1);

  filterGroups([group], "cpu=1");
  assert.equal(redraws, 1, "no redraw when nothing changed");
  filterGroups([group], "");
  assert.deepEqual(shown(card), ["a", "b"], "cleared: every line back (the total is figures, not a line)");
  assert.deepEqual(card.legendBody.children.map((r) => r.hidden), [false, false, false]);
  assert.equal(other.el.hidden, false);
});

test("the filter's count with Hide zeros on counts the lines that show", async () => {
  const { filterGroups } = await import("../js/summary.js");
  const card = new SeriesCard(st("a", { nic: "eth0" }, 5));
  const lo = st("b", { nic: "lo" }, 0);
  lo.windows["1m"] = { count: 3, min: 0, max: 0, mean: 0, last: 0 };
  card.add(lo);
  card.add(st("c", { nic: "eth1" }, 7));
  const group = { name: "host", el: { hidden: false }, cards: new Map([["x", card]]) };
  assert.equal(card.update("1m", 60_000), true, "a line became all zero");
  assert.equal(card.update("1m", 60_000), false, "and stays so");
  assert.equal(filterGroups([group], "host").count, "3 of 3 series", "Hide zeros off: every match");
  assert.equal(filterGroups([group], "host", true).count, "2 of 3 series, 1 all-zero hidden", "the all-zero line is not shown, and said hidden");
  assert.equal(filterGroups([group], "", true).count, "2 of 3 series, 1 all-zero hidden", "without a filter too");
  assert.equal(filterGroups([group], "", false).count, "", "neither: nothing to say");
  lo.windows["1m"] = win(1)["1m"];
  assert.equal(card.update("1m", 60_000), true, "it moved again");
  assert.equal(filterGroups([group], "host", true).count, "3 of 3 series, 0 all-zero hidden");
});

test("statistics that cover less than the window say since when", async () => {
  const { coverageSince } = await import("../js/cards.js");
  const now = new Date(2024, 0, 1, 14, 10, 0).getTime();
  assert.equal(coverageSince([now - 120_000], 60_000, now), "", "covers the 1m window");
  assert.equal(coverageSince([now - 59_000], 60_000, now), "", "within the slack");
  assert.equal(coverageSince([now - 30_000], 60_000, now), "14:09:30");
  assert.equal(coverageSince([now - 600_000, now - 240_000], 900_000, now), "14:06:00", "the latest line's; seconds in every window");
  assert.equal(coverageSince([0], 60_000, now), "", "unknown");
  assert.equal(coverageSince([now - 30_000], 60_000, 0), "");

  const s = st("a", {}, 1);
  s.since = now - 30_000;
  const card = new SeriesCard(s);
  card.update("1m", 60_000, now);
  assert.equal(card.coverage.hidden, false);
  assert.equal(card.coverage.textContent, "Statistics since 14:09:30");
  assert.match(card.coverage.title, /less than the 1m window/);
  card.update("1m", 60_000, now + 60_000);
  assert.equal(card.coverage.hidden, true);
});

test("a window holding the server's restart or an outage says so, although its first point is older", () => {
  const now = new Date(2024, 0, 1, 3, 31, 40).getTime();
  const s = st("a", {}, 1);
  s.kind = "counter";
  s.ring = new Ring();
  // An earlier run's points, the restart's break, the new run's.
  for (let t = now - 120_000; t <= now - 40_000; t += 1000) s.ring.push(t, t / 1000);
  s.ring.push(now - 40_000 + 1, null);
  for (let t = now - 28_000; t <= now; t += 1000) s.ring.push(t, (t - now + 28_000) / 1000);
  s.since = now - 120_000;
  const card = new SeriesCard(s);
  card.update("1m", 60_000, now);
  assert.equal(card.coverage.hidden, false, "the 1m window holds the restart");
  assert.equal(card.coverage.textContent, `Includes a gap at ${formatClock(now - 40_000 + 1)}`);
  assert.match(card.coverage.title, /1m window holds a stretch without data/);
  card.update("1m", 60_000, now + 30_000);
  assert.equal(card.coverage.hidden, true, "once the window has passed it, nothing");
  card.update("15m", 900_000, now);
  assert.equal(card.coverage.textContent, `Statistics since 03:29:40, with a gap at ${formatClock(now - 40_000 + 1)}`, "a window reaching before the first point: since when, to the second in any window, and the gap it holds");
});

test("a card is named, and its chart has a text alternative: values and statistics", () => {
  const a = st("a", { cpu: "0" }, 10);
  const card = new SeriesCard(a);
  assert.equal(card.el.getAttribute("aria-label"), "cpu_percent of host");
  assert.equal(card.chart.getAttribute("role"), "img");
  assert.equal(card.chart.getAttribute("tabindex"), "0", "reached with Tab");
  card.update("1m", 60_000);
  assert.equal(card.chart.getAttribute("aria-label"), 'cpu_percent {cpu="0"}: 10 % now; over 1m min 9 %, max 11 %, mean 10 %');
  card.add(st("b", { cpu: "1" }, 20, T));
  card.update("1m", 60_000);
  assert.equal(
    card.chart.getAttribute("aria-label"),
    `cpu_percent: 0: 10 % now; over 1m min 9 %, max 11 %, mean 10 %; 1: stale since ${formatClock(T)}, last 20 %`,
  );
});

test("over a span of the past, a card shows the last value within it, with its time, not the stream's latest", () => {
  const s = st("a", {}, 42);
  const card = new SeriesCard(s);
  const at = T - 3_600_000;
  const past = { stats: new Map([["a", { count: 2, min: 5, max: 7, mean: 6, last: 7, lastAt: at, first: at - 60_000 }]]), to: at, live: false };
  card.update("13:00:00–14:00:00", 3_600_000, T, past);
  assert.equal(card.value.textContent, "7", "the span's last value, not 42");
  assert.equal(card.note.textContent, `last point at ${formatClock(at)}`);
  assert.match(card.value.title, /not current/);
  // A zoom ending 4 s after the line's last point (a slower source): the note says it is the last point, not the span's end.
  card.update("2s zoom", 2000, T, { ...past, to: at + 4000 });
  assert.equal(card.note.textContent, `last point at ${formatClock(at)}`);
  assert.match(card.value.title, /last point within the span shown \(at or before the span's end\)/);
  card.update("13:00:00–14:00:00", 3_600_000, T, past);
  assert.equal(card.chart.getAttribute("aria-label"), `cpu_percent: 7 % at ${formatClock(at)}; over 13:00:00–14:00:00 min 5 %, max 7 %, mean 6 %`);

  // A span that reaches now keeps the stream's latest value.
  card.update("1h", 3_600_000, T, { ...past, live: true });
  assert.equal(card.value.textContent, "42");
  assert.equal(card.note.textContent, "");
  card.update("1m", 60_000, T);
  assert.equal(card.value.textContent, "42");

  // In a family, the legend's first column is the last value, so headed.
  card.add(st("b", { cpu: "1" }, 20));
  past.stats.set("b", { count: 1, min: 3, max: 3, mean: 3, last: 3, lastAt: at - 5000, first: at - 5000 });
  card.update("x", 3_600_000, T, past);
  const rows = card.legendBody.children;
  assert.deepEqual(rows.map((r) => r.children[1].textContent), ["7 %", "3 %"]);
  assert.equal(rows[1].children[1].title, `last point at ${formatClock(at - 5000)}`);
  assert.equal(card.legend.children[1].children[0].children[1].textContent, "last");
  card.update("1m", 60_000, T);
  assert.equal(card.legend.children[1].children[0].children[1].textContent, "now");
  assert.deepEqual(rows.map((r) => r.children[1].textContent), ["42 %", "20 %"]);
});

test("over a span of the past, a counter's headline is its latest rate there and its total its count at the span's end", () => {
  const ring = new Ring();
  ring.push(T, 5000);
  const s = { id: "k", source: "host", metric: "requests_total", labels: {}, kind: "counter", last: [T, 5000], windows: {}, ring, staleSince: 0 };
  const card = new SeriesCard(s);
  const at = T - 600_000;
  const stats = { count: 3, rate: 2, increase: 1200, latestRate: 2.5, resetAt: 0, last: 1500, lastAt: at, first: at - 600_000 };
  card.update("x", 600_000, T, { stats: new Map([["k", stats]]), to: at, live: false });
  assert.equal(card.value.textContent, "2.50");
  assert.equal(card.note.textContent, `last point at ${formatClock(at)}`);
  // The total is the counter's count as of the span's last point: it says so, as the caption says since when the statistics are.
  assert.equal(card.chart.getAttribute("aria-label"), `requests_total: 2.50 /s at ${formatClock(at)}; over x mean rate 2.00 /s, increase 1.20 k, total 1.50 k at ${formatClock(at)}`);
  const shown = () => Object.fromEntries([...card.stats.children].map((d) => [d.children[0].textContent, d.children[1].textContent]));
  assert.equal(shown().total, `1.50k at ${formatClock(at)}`);
  // A history range that reaches now: its latest rate too, not the stream's last two points.
  card.update("30d", 30 * 86_400_000, T, { stats: new Map([["k", { ...stats, latestRate: 1, lastAt: T - 60_000 }]]), to: T, live: true });
  assert.equal(card.value.textContent, "1");
  assert.equal(shown().total, `5.00k at ${formatAt(T, 30 * 86_400_000, false)}`, "reaching now: the stream's latest count, and when; over 30 days the day and the minute");
  // Restarted within the span: since the restart.
  card.update("30d", 30 * 86_400_000, T, { stats: new Map([["k", { ...stats, resetAt: T - 3_600_000 }]]), to: T, live: true });
  assert.equal(shown().total, `5.00k since ${formatAt(T - 3_600_000, 30 * 86_400_000, false)}`);
  // Live, over a window: the count now, as it was.
  card.update("1m", 60_000, T);
  assert.doesNotMatch(shown().total, / at /);
});

test("a tiny, never-zero series reads at its own size, and is not all zero; a counter's noise beside its total reads 0", () => {
  const ring = new Ring();
  ring.push(T, 2e-7);
  const w = { "1m": { count: 20, min: 1e-7, max: 3e-7, mean: 2e-7, last: 2e-7, rate: null, p99: 2.9e-7 } };
  const card = new SeriesCard({ id: "t", source: "long", metric: "tiny_ratio", labels: {}, kind: "gauge", last: [T, 2e-7], windows: w, ring, staleSince: 0 });
  card.update("1m", 60_000, T);
  assert.equal(`${card.value.textContent} ${card.unitEl.textContent}`, "2.00e-5 %");
  assert.deepEqual(card.zeroLines(), [false], "Hide zeros hides exact zeros only");
  assert.ok(!card.el.classList.contains("is-all-zero"));
  assert.equal(card.chart.getAttribute("aria-label"), "tiny_ratio: 2.00e-5 % now; over 1m min 1.00e-5 %, max 3.00e-5 %, mean 2.00e-5 %");
  card.hover(T / 1000, new Map([["t", 1.5e-7]]));
  assert.equal(card.value.textContent, "1.50e-5", "under the cursor too");

  // A CPU's seconds counter at 1e5 s, its last two readings equal: a rate of float noise.
  const cr = new Ring();
  cr.push(T - 1000, 100000.1);
  cr.push(T, 100000.1 + 2.2e-13);
  const c = { id: "c", source: "host", metric: "cpu_seconds_total", labels: {}, kind: "counter", last: [T, 100000.1 + 2.2e-13], windows: { "1m": { count: 2, rate: 2.2e-13 } }, ring: cr, staleSince: 0 };
  const cc = new SeriesCard(c);
  cc.update("1m", 60_000, T);
  assert.equal(`${cc.value.textContent} ${cc.unitEl.textContent}`, "0 %");
});

test("the chart's text alternative names the markers it shows, and forgets them when they go", () => {
  const card = new SeriesCard(st("a", {}, 10));
  card.showMarks(["spiky: ShardHot firing (critical) at 14:02:10"]);
  assert.equal(card.chart.getAttribute("aria-label"), "cpu_percent: no data yet. Marked: spiky: ShardHot firing (critical) at 14:02:10");
  card.update("1m", 60_000);
  assert.equal(
    card.chart.getAttribute("aria-label"),
    "cpu_percent: 10 % now; over 1m min 9 %, max 11 %, mean 10 %. Marked: spiky: ShardHot firing (critical) at 14:02:10",
  );
  card.showMarks([]);
  assert.equal(card.chart.getAttribute("aria-label"), "cpu_percent: 10 % now; over 1m min 9 %, max 11 %, mean 10 %");
});

test("a counter's headline is its rate now, between its last two points; the window's mean rate is over the time with data", () => {
  const ring = new Ring();
  // 100 /s, a restart gap, then 120 /s: the mean over the 20 s with data, 110 /s (the server's, over the window, 87.9).
  ring.push(T - 60_000, 0);
  ring.push(T - 50_000, 1000);
  ring.push(T - 20_000, null);
  ring.push(T - 10_000, 1000);
  ring.push(T, 2200);
  const s = { id: "k", source: "host", metric: "requests_total", labels: {}, kind: "counter", last: [T, 2200], ring, staleSince: 0,
    windows: { "1m": { count: 4, rate: 87.9, min: 0, max: 2200, mean: 1000 } } };
  const card = new SeriesCard(s);
  card.update("1m", 60_000, T);
  assert.equal(card.value.textContent, "120", "the rate now");
  const stats = Object.fromEntries([...card.stats.children].map((d) => [d.children[0].textContent, d.children[1].textContent]));
  assert.equal(stats["mean rate"], "110/s");
  assert.equal(card.chart.getAttribute("aria-label"), "requests_total: 120 /s now; over 1m mean rate 110 /s, increase 2.20 k, total 2.20 k");

  // A family: the legend has the rate now and the mean rate apart.
  const t = { ...s, id: "t", labels: { code: "500" }, ring: new Ring(), last: [T, 7], windows: { "1m": { count: 1, rate: 0.5 } } };
  t.ring.push(T, 7);
  const fam = new SeriesCard({ ...s, labels: { code: "200" } });
  fam.add(t);
  fam.update("1m", 60_000, T);
  const head = fam.legend.children[1].children[0].children.map((c) => c.textContent);
  assert.deepEqual(head.slice(1), ["now", "mean rate", "increase", "total"]);
  const rows = fam.legendBody.children.map((r) => r.children.slice(1).map((c) => c.textContent));
  // The rates' columns share the format of their largest, 120 /s: whole, but 0.5 /s would read
  // "1 /s", off by all of it, so a decimal more for the column (sharedscale.js).
  assert.deepEqual(rows[0].slice(0, 2), ["120.0 /s", "110.0 /s"]);
  assert.deepEqual(rows[1].slice(0, 2), ["–", "0.5 /s"], "one point: no rate now, the server's mean rate");
});

test("currentRate is the rate between a counter's last two points: none across a gap or a reset", async () => {
  const { currentRate } = await import("../js/cardtext.js");
  const ring = new Ring();
  const s = { ring };
  assert.equal(currentRate(s), null);
  ring.push(T, 10);
  assert.equal(currentRate(s), null);
  ring.push(T + 2000, 30);
  assert.equal(currentRate(s), 10);
  ring.push(T + 4000, 5);
  assert.equal(currentRate(s), null, "a reset");
  ring.push(T + 6000, null);
  assert.equal(currentRate(s), null, "a gap");
});

test("the legend says what a click on a name does: under its rows and on each name", () => {
  const card = new SeriesCard(st("a", { cpu: "0" }, 10));
  card.add(st("b", { cpu: "1" }, 20));
  const caption = card.legend.children[0];
  assert.equal(caption.tagName, "CAPTION");
  assert.match(caption.textContent, /Click a name .* alone, Ctrl\/⌘-click to hide it \(keys: Enter, Ctrl\/⌘\+Enter\)/);
  for (const r of card.legendBody.children) assert.match(r.children[0].children[0].getAttribute("title"), /Ctrl\/⌘-click or Ctrl\/⌘\+Enter: hide or show it/);
});

test("the value under the cursor says when it was, with the day over a span of days", () => {
  const card = new SeriesCard(st("a", {}, 1));
  const at = new Date(2024, 0, 1, 14, 5, 12).getTime(); // Monday 1 January
  card.update("1m", 60_000, at);
  card.hover(at / 1000, new Map([["a", 3]]));
  assert.equal(card.note.textContent, "at 14:05:12");
  card.hover(null, null);
  const fam = new SeriesCard(st("a", { cpu: "0" }, 1));
  fam.add(st("b", { cpu: "1" }, 2));
  fam.update("1m", 60_000, at);
  assert.equal(fam.nowHead.textContent, "now");
  fam.hover(at / 1000, new Map([["a", 3], ["b", 4]]));
  assert.equal(fam.nowHead.textContent, "at 14:05:12", "the legend's column says when its values are");
  fam.update("1m", 60_000, at + 1000);
  assert.equal(fam.nowHead.textContent, "at 14:05:12", "and keeps saying it as the data comes");
  fam.hover(null, null);
  assert.equal(fam.nowHead.textContent, "now");
  card.update("7d", 7 * 86_400_000, at, { stats: new Map(), to: at });
  card.hover(at / 1000, new Map([["a", 3]]));
  assert.equal(card.note.textContent, "at Mon 1 14:05:12");
});

test("an aggregate is figures in the legend, not a line: hide and solo work on every line, and no two lines share a colour", () => {
  let redraws = 0;
  const modes = ["busy", "idle"];
  const card = new SeriesCard(st("0 busy", { cpu: "0", mode: "busy" }, 1), { color: 2, onLines: () => redraws++ });
  for (const cpu of ["0", "1", "2", "3", "4", "total"]) for (const mode of modes) card.add(st(`${cpu} ${mode}`, { cpu, mode }, 1));
  const rows = card.legendBody.children;
  const total = rows.filter((r) => r.classList.contains("is-aggregate"));
  assert.deepEqual(total.map((r) => r.dataset.series), ["total busy", "total idle"]);
  for (const r of total) {
    assert.equal(r.children[0].children[0].tagName.toLowerCase(), "span", "no toggle for a line that is not drawn");
    assert.equal(r.dataset.color, undefined, "no swatch");
  }
  const drawn = card.chartLines(false);
  assert.deepEqual(drawn.map((l) => l.id), ["0 busy", "0 idle", "1 busy", "1 idle", "2 busy", "2 idle", "3 busy", "3 idle", "4 busy", "4 idle"]);

  // Every row with a toggle solos its line, which the chart then draws.
  card.clickLine("total busy", false);
  assert.equal(redraws, 0, "an aggregate's row toggles nothing");
  card.clickLine("4 idle", false);
  assert.deepEqual(card.chartLines(false).filter((l) => !l.hidden).map((l) => l.id), ["4 idle"]);
  card.clickLine("4 idle", false);
  assert.equal(card.chartLines(false).filter((l) => !l.hidden).length, 10, "again: all back");

  // Ten drawn lines, ten colours: past the palette's eight, mixes of it.
  const swatch = (r) => `${r.dataset.color}|${r.style.getPropertyValue("--lc")}`;
  const colours = rows.filter((r) => !r.classList.contains("is-aggregate")).map(swatch);
  assert.equal(new Set(colours).size, 10, colours.join(", "));
  assert.equal(colours[0], "2|", "the first line takes the group's colour");
});

test("a counter restarted in its window (the demo after SIGTERM): mean rate as the chart, total since the restart", () => {
  // 120 /s for 20 s, the server down 20 s, then the counter from 0 again at 120 /s for 24 s.
  const ring = new Ring();
  for (let t = T - 64_000; t <= T - 44_000; t += 1000) ring.push(t, 3000 + (t - (T - 64_000)) * 0.12);
  ring.push(T - 43_999, null); // the restart's gap (store.js restartGap)
  for (let t = T - 24_000; t <= T; t += 1000) ring.push(t, 120 + (t - (T - 24_000)) * 0.12);
  const s = { id: "k", source: "demo", metric: "requests_total", labels: {}, kind: "counter", last: [T, ring.valueAt(ring.length - 1)], ring, staleSince: 0,
    windows: { "1m": { count: 45, rate: 79.6 } } };
  const card = new SeriesCard(s);
  card.update("1m", 60_000, T);
  const stats = Object.fromEntries([...card.stats.children].map((d) => [d.children[0].textContent, d.children[1].textContent]));
  assert.equal(card.value.textContent, "120");
  assert.equal(stats["mean rate"], "120/s", "the increase over the time with data, not over the window");
  assert.equal(stats.increase, "4.80k", "16 s before the gap and 24 s after it at 120 /s");
  assert.equal(stats.total, `3.00k since ${formatClock(T - 24_000)}`, "the total counts from the restart, and says so");
  assert.equal(card.coverage.textContent, `Includes a gap at ${formatClock(T - 43_999)}`);
});

test("every legend row follows the cursor, the total's too, and each column has one format", () => {
  const gauge = (id, cpu, pts) => {
    const ring = new Ring();
    for (const [t, v] of pts) ring.push(t, v);
    const v = pts.at(-1)[1];
    return { id, source: "host", metric: "cpu_percent", labels: { cpu }, kind: "gauge", last: [T, v], windows: win(v), ring, staleSince: 0 };
  };
  const card = new SeriesCard(gauge("a", "0", [[T - 2000, 20], [T - 1000, 25], [T, 30]]));
  card.add(gauge("b", "1", [[T - 2000, 70], [T - 1000, 72.04], [T, 80.04]]));
  card.add(gauge("t", "total", [[T - 2000, 45], [T - 1000, 48.52], [T, 55.02]]));
  card.update("1m", 60_000, T);
  const now = () => card.legendBody.children.map((r) => r.children[1].textContent);
  assert.deepEqual(now(), ["30.0 %", "80.0 %", "55.0 %"], "live: one format in the column");
  assert.deepEqual(card.legendBody.children.map((r) => r.children[2].textContent), ["29.0 %", "79.0 %", "54.0 %"], "min: whole numbers written as their neighbours");
  card.hover((T - 1000) / 1000, new Map([["a", 25], ["b", 72.04]]));
  assert.deepEqual(now(), ["25.0 %", "72.0 %", "48.5 %"], "at the cursor: the total's value then, not its live one");
  card.hover((T - 60_000) / 1000, new Map([["a", null], ["b", null]]));
  assert.deepEqual(now(), ["–", "–", "–"], "before the total's first point");
});

test("a family card not yet on screen is laid out at its legend's height, a single card at the stylesheet's", async () => {
  const { familyHeight } = await import("../js/cards.js");
  const card = new SeriesCard(st("a", { cpu: "0" }, 10));
  assert.equal(card.el.style.containIntrinsicSize, "", "one line: the stylesheet's placeholder");
  for (let i = 1; i < 10; i++) card.add(st(`s${i}`, { cpu: String(i) }, 10));
  assert.equal(card.el.style.containIntrinsicSize, `auto ${familyHeight(10)}px`);
  assert.ok(familyHeight(10) > 400 && familyHeight(2) < familyHeight(10), "grows with the legend");
});

test("an update writes only what changed: the same figures again change no text node", () => {
  const card = new SeriesCard(st("a", { cpu: "0" }, 10));
  card.add(st("b", { cpu: "1" }, 20, T - 5000)); // stale: its value column says since when
  card.update("1m", 60_000, T);
  const cells = [...card.legendBody.children].flatMap((r) => r.children.slice(1));
  const before = cells.map((c) => c.firstChild);
  const writes = [];
  for (const c of cells) {
    const t = c.firstChild;
    let data = t.data;
    Object.defineProperty(t, "data", { get: () => data, set: (v) => { writes.push(v); data = v; } });
  }
  const alt = card.chart.getAttribute("aria-label");
  card.update("1m", 60_000, T);
  assert.deepEqual(writes, [], "no text written twice");
  assert.deepEqual(cells.map((c) => c.firstChild), before, "no node replaced");
  assert.match(cells[4].textContent, /^stale since/);
  assert.equal(card.chart.getAttribute("aria-label"), alt);
});

test("a family's legend statistics cover a span zoomed to while the cursor is on the chart, and its values come back when it leaves", () => {
  const fam = new SeriesCard(st("a", { cpu: "0" }, 50));
  fam.add(st("b", { cpu: "1" }, 60));
  fam.update("1m", 60_000, T);
  const cells = (r) => fam.legendBody.children[r].children.slice(1).map((c) => c.textContent);
  assert.deepEqual(cells(0), ["50 %", "49 %", "51 %", "50 %"]);
  // A drag ends with the cursor on the chart: the zoom's update comes while hovering.
  fam.hover(T / 1000, new Map([["a", 3], ["b", 4]]));
  const z = (min, max, mean) => ({ count: 4, min, max, mean, samples: null, first: T - 16_000, last: mean, lastAt: T - 1000 });
  fam.update("13:23:32–13:23:48", 16_000, T, { stats: new Map([["a", z(0, 30, 15)], ["b", z(90, 100, 95)]]), to: T - 1000, live: false });
  assert.deepEqual(cells(0), ["3 %", "0 %", "30 %", "15 %"], "min, max and mean over the zoom; the value is the cursor's");
  assert.deepEqual(cells(1).slice(1), ["90 %", "100 %", "95 %"]);
  fam.hover(null, null);
  assert.equal(cells(0)[0], "15 %", "the last value within the zoom again, not the cursor's");
});

test("a line's name tells assistive tech whether the line is shown, by pressed and in its description, and Ctrl/⌘+Enter hides it", () => {
  const card = new SeriesCard(st("a", { cpu: "0" }, 10));
  card.add(st("b", { cpu: "1" }, 20));
  card.add(st("c", { cpu: "2" }, 30));
  const buttons = card.legendBody.children.map((r) => r.children[0].children[0]);
  const state = () => buttons.map((b) => `${b.getAttribute("aria-pressed")} ${b.title.split(".")[0]}`);
  assert.deepEqual(state(), ["true Shown", "true Shown", "true Shown"]);
  buttons[1].click();
  assert.deepEqual(state(), ["false Hidden", "true Shown", "false Hidden"], "the line alone: the others hidden, and said so");
  buttons[1].click();
  assert.deepEqual(state(), ["true Shown", "true Shown", "true Shown"]);
  buttons[2].dispatch("keydown", { key: "Enter", ctrlKey: true });
  assert.deepEqual(state(), ["true Shown", "true Shown", "false Hidden"], "Ctrl+Enter hides the line alone");
  buttons[2].dispatch("keydown", { key: "Enter", metaKey: true });
  assert.deepEqual(state(), ["true Shown", "true Shown", "true Shown"]);
  buttons[0].dispatch("keydown", { key: "Enter" });
  assert.deepEqual(state(), ["true Shown", "true Shown", "true Shown"], "plain Enter is the button's click, not a hide");
});

test("over a zoom or a range, a lone card's p99 and samples say why they are missing, live they say nothing", () => {
  const card = new SeriesCard(st("a", {}, 10));
  card.update("1m", 60_000, T);
  const p99 = card.statEls.get("p99").num;
  assert.equal(p99.textContent, "10", "the unit apart");
  assert.equal(p99.title, "");
  card.update("13:23:32–13:23:48", 16_000, T, { stats: new Map([["a", { count: 4, min: 1, max: 2, mean: 1.5, samples: null, first: T - 16_000, last: 2, lastAt: T }]]), to: T, live: true });
  assert.equal(p99.textContent, "–");
  assert.match(p99.title, /^No p99 over a zoom or a range: a percentile needs every sample/);
  const why = card.statEls.get("p99").why;
  assert.equal(why.textContent, "live only", "said on the card, not only on hover");
  assert.equal(why.hidden, false);
  assert.equal(card.statEls.get("min").why.hidden, true, "a figure shown needs no word");
  card.update("1m", 60_000, T);
  assert.equal(p99.title, "", "live again: the server's p99, nothing to explain");
  assert.equal(why.hidden, true);

  const ring = new Ring();
  ring.push(T, 5);
  const counter = new SeriesCard({ id: "k", source: "host", metric: "requests_total", labels: {}, kind: "counter", last: [T, 5], windows: {}, ring, staleSince: 0 });
  counter.update("24h", 86_400_000, T, { stats: new Map([["k", { count: 3, rate: 2, increase: 10, resetAt: 0, samples: null, last: 5, lastAt: T, first: T - 1000 }]]), to: T, live: true });
  const samples = counter.statEls.get("samples").num;
  assert.equal(samples.textContent, "–");
  assert.match(samples.title, /^No count of samples over a zoom or a range/);
  assert.equal(counter.statEls.get("samples").why.textContent, "live only");
});

test("whyMissing: a few words for a figure the card cannot have, none for one it shows or an empty window's", async () => {
  const { whyMissing } = await import("../js/cardtext.js");
  assert.equal(whyMissing("p99", "–", {}, true), "live only");
  assert.equal(whyMissing("samples", "–", {}, true), "live only");
  assert.equal(whyMissing("min", "–", {}, true), "", "a span with no point: nothing to explain");
  assert.equal(whyMissing("p99", "12", {}, true), "");
  assert.equal(whyMissing("mean rate", "–", { count: 1 }, false), "needs 2 samples");
  assert.equal(whyMissing("increase", "–", { count: 1 }, false), "needs 2 samples");
  assert.equal(whyMissing("mean rate", "–", { count: 0 }, false), "", "no sample at all: the card says so already");
  assert.equal(whyMissing("p99", "–", { count: 0 }, false), "");
});

test("a gauge's statistics share one format: not \"max 26, mean 26.0\", on a lone card and in a legend's row", () => {
  const s = st("a", {}, 26);
  s.windows = { "1m": { count: 9, min: 25.8, max: 26, mean: 25.97, last: 26, rate: null, p50: 26, p90: 26, p99: 26 } };
  const card = new SeriesCard(s);
  card.update("1m", 60_000);
  const stats = Object.fromEntries(card.stats.children.map((d) => [d.children[0].textContent, d.children[1].children[0].textContent]));
  assert.deepEqual(stats, { min: "25.8", max: "26.0", mean: "26.0", p99: "26.0" });
  assert.equal(card.value.textContent, "26", "the headline is read alone, at its own precision");

  // A latency's headline keeps its precision beside a row of seconds: 20.3 ms, not the row's 0.02 s.
  const lat = { ...st("l", {}, 0.0203), metric: "request_latency_seconds" };
  lat.windows = { "1m": { count: 9, min: 0.02, max: 1.5, mean: 0.113, last: 0.0203, rate: null, p50: 0.05, p90: 1, p99: 1.5 } };
  const latCard = new SeriesCard(lat);
  latCard.update("1m", 60_000);
  assert.equal(`${latCard.value.textContent} ${latCard.unitEl ? latCard.unitEl.textContent : ""}`.trim().startsWith("20.3"), true, latCard.el.textContent);
  const latStats = Object.fromEntries(latCard.stats.children.map((d) => [d.children[0].textContent, d.children[1].children[0].textContent + " " + d.children[1].children[1].textContent]));
  assert.deepEqual(latStats, { min: "0.02 s", max: "1.50 s", mean: "0.11 s", p99: "1.50 s" });

  const b = st("b", { cpu: "1" }, 26);
  b.windows = s.windows;
  const family = new SeriesCard(st("c", { cpu: "0" }, 30));
  family.add(b);
  family.update("1m", 60_000);
  const row = family.legendBody.children[1].children.slice(1).map((c) => c.textContent);
  assert.deepEqual(row, ["26.0 %", "25.8 %", "26.0 %", "26.0 %"], "the value and the statistics in one format");
});

test("the filter's matches inside a collapsed group are told, in its header and in the count: never a count of what the page does not show", async () => {
  const { filterGroups } = await import("../js/summary.js");
  const { SourceGroup } = await import("../js/sources.js");
  const host = new SourceGroup("host", { color: 0, collapsed: true, onToggle() {}, onCrash() {} });
  const cpu = new SeriesCard(st("a", { cpu: "0" }, 1));
  cpu.add(st("b", { cpu: "1" }, 2));
  host.place(cpu);
  host.place(new SeriesCard({ ...st("c", {}, 3), metric: "load1" }));
  const demo = new SourceGroup("demo", { color: 1, collapsed: false, onToggle() {}, onCrash() {} });
  demo.place(new SeriesCard(st("d", { cpu: "1" }, 4)));
  const count = (g) => g.count.textContent;
  assert.equal(count(host), "3 series");

  assert.equal(filterGroups([host, demo], "cpu=1").count, "2 of 4 series, 1 in collapsed host");
  assert.equal(count(host), "1 of 3 series", "the collapsed header says what it holds");
  assert.equal(count(demo), "1 series", "a group the filter does not narrow keeps its plain count");
  demo.setCollapsed(true, false);
  assert.equal(filterGroups([host, demo], "cpu=1").count, "2 of 4 series, 2 in 2 collapsed groups");
  host.setCollapsed(false, false);
  demo.setCollapsed(false, false);
  assert.equal(filterGroups([host, demo], "cpu=1").count, "2 of 4 series", "open, every match shows");
  assert.equal(count(host), "1 of 3 series", "an open group's header counts alike");
  assert.equal(filterGroups([host, demo], "").count, "");
  assert.equal(count(host), "3 series", "no filter: the plain count");
});

test("disconnected, a card's figures are marked stale: dimmed, \"(stale)\" by the headline, and first in its text alternative; connected, as before", () => {
  const card = new SeriesCard(st("a", {}, 42));
  card.update("1m", 60_000);
  const alt = card.chart.getAttribute("aria-label");
  assert.equal(card.offlineNote.hidden, true);
  card.setOffline(true);
  assert.ok(card.el.classList.contains("is-offline"));
  assert.equal(card.offlineNote.hidden, false);
  assert.equal(card.offlineNote.textContent, "(stale)");
  assert.equal(card.chart.getAttribute("aria-label"), `Stale, the connection is lost: ${alt}`);
  card.showMarks(["connection lost at 12:00:00"]);
  assert.match(card.chart.getAttribute("aria-label"), /^Stale, the connection is lost: .*Marked: connection lost/, "a marker added while away keeps it said");
  card.setOffline(false);
  assert.ok(!card.el.classList.contains("is-offline"));
  assert.equal(card.offlineNote.hidden, true);
  assert.doesNotMatch(card.chart.getAttribute("aria-label"), /Stale/);
});

test("disconnected, a family's legend says \"(stale)\" in its value column's head, as a lone card by its headline; connected, not", () => {
  const fam = new SeriesCard(st("a", { shard: "0" }, 42));
  fam.add(st("b", { shard: "1" }, 7));
  fam.update("1m", 60_000);
  const head = () => fam.legend.children[1].children[0].children[1];
  assert.equal(head().textContent, "now");
  fam.setOffline(true);
  assert.equal(head().textContent, "now (stale)", "seen, and read with the column's figures");
  assert.match(fam.chart.getAttribute("aria-label"), /^Stale, the connection is lost: /);
  fam.hover(1_700_000_000, new Map([["a", 1], ["b", 2]]));
  assert.match(head().textContent, /^at \d\d:\d\d:\d\d \(stale\)$/, "the cursor's time keeps the mark");
  fam.hover(null, null);
  fam.setOffline(false);
  assert.equal(head().textContent, "now");
  assert.doesNotMatch(fam.chart.getAttribute("aria-label"), /Stale/);
});

test("a total summed over the CPUs says over how many in its legend row and the chart's text: a percent over 100 reads right", () => {
  const card = new SeriesCard(st("a", { cpu: "0" }, 80));
  card.add(st("b", { cpu: "1" }, 77));
  card.add(st("c", { cpu: "total" }, 157));
  card.update("1m", 60_000);
  const names = card.legendBody.children.map((r) => r.children[0].textContent);
  assert.deepEqual(names, ["0", "1", "total of 2 CPUs"]);
  assert.match(card.chart.getAttribute("aria-label"), /total of 2 CPUs: 157 % now/);
});
