import { test } from "node:test";
import assert from "node:assert/strict";
import { fam, harness, hello, live, series, snapshot, T0 } from "./fakes/page.js";

// The history range on the page: the controller over fakes
// (test/fakes/page.js), a fake WebSocket carrying its requests and the
// server's answers.

const DAY = 86_400_000;
const rangeSent = (ws) => ws.sent.filter((m) => m.type === "range");

function answer(req, series, extra = {}) {
  return { type: "range", id: req.id, from: req.from, to: req.to, step: 60_000, tier: "1m", series, ...extra };
}

test("a long range asks for the series in sight, draws bands carried on by the stream, and the cards' statistics follow it", () => {
  const h = harness();
  const ws = live(h);
  h.controller.selectRange("24h");
  assert.deepEqual(h.page.range, { name: "24h" });
  assert.equal(h.page.checked, "", "no window checked while a range is shown");
  assert.match(h.replaced.at(-1), /[?&]range=24h/);
  h.frame();
  const [req] = rangeSent(ws);
  assert.deepEqual({ ...req, points: undefined }, { type: "range", id: req.id, series: ["a", "b"], from: T0 - DAY, to: T0, points: undefined });
  assert.ok(req.points >= 200 && req.points <= 2000);
  h.frame();
  assert.equal(rangeSent(ws).length, 1, "asked once");

  const spec = h.charts.entries.get(fam("a"));
  assert.deepEqual(spec.range(), [T0 - DAY, T0]);
  ws.recv(
    answer(req, [
      { id: "a", points: [[T0 - 240_000, 2, 1, 5], [T0 - 180_000, 3]] },
      { id: "b", points: [], error: "unknown series" },
    ]),
  );
  ws.recv({ type: "delta", seq: 5, ts: T0 + 1000, points: { a: [[T0 + 500, 7]] } });
  h.tick();
  h.frame();
  const [xs, mean, min, max] = spec.data()[0];
  // The answer's points, a gap where neither it nor the stream reaches,
  // then the stream's points (the snapshot's and the delta's) in their steps.
  assert.deepEqual(xs, [-240, -180, -120, -60, 0].map((s) => T0 / 1000 + s));
  assert.deepEqual(mean, [2, 3, null, 1, 7]);
  assert.deepEqual(min, [1, 3, null, 1, 7]);
  assert.deepEqual(max, [5, 3, null, 1, 7]);
  assert.deepEqual(spec.history(), { tier: "1m", step: 60_000 });

  const st = h.cards.get("a").ranges.at(-1);
  assert.equal(st.windowName, "24h");
  assert.equal(st.spanMs, DAY);
  const a = st.range.stats.get("a");
  assert.deepEqual([a.min, a.max, a.mean, a.count], [1, 7, 3.25, 4]);

  h.controller.selectWindow("1m");
  assert.equal(h.page.range, null);
  assert.equal(h.page.checked, "1m");
  assert.equal(spec.data()[0].length, 2, "the stream's points, as before");
  assert.equal(spec.history(), null);
  assert.doesNotMatch(h.replaced.at(-1), /range=/);
});

test("a stretch without data in a raw answer, or between it and the stream, is drawn as a break, not a line across", () => {
  const h = harness();
  const ws = live(h);
  h.controller.selectRange("1h");
  h.frame();
  const [req] = rangeSent(ws);
  // Samples every 10 s; the server was down for 5 minutes after T0 - 1200 s.
  const pts = [];
  for (let s = 1300; s >= 1200; s -= 10) pts.push([T0 - s * 1000, 1]);
  for (let s = 900; s >= 860; s -= 10) pts.push([T0 - s * 1000, 2]);
  ws.recv(answer(req, [{ id: "a", points: pts }, { id: "b", points: [] }], { step: 0, tier: "raw" }));
  h.frame();
  const [xs, mean] = h.charts.entries.get(fam("a")).data()[0];
  const at = (s) => xs.indexOf(T0 / 1000 - s);
  const breaks = mean.flatMap((v, i) => (v === null ? [i] : []));
  assert.equal(breaks.length, 2, "the outage, and the stretch before the stream's point at T0 - 1 s");
  assert.ok(breaks[0] > at(1200) && breaks[0] < at(900), "a break in the outage");
  assert.ok(breaks[1] > at(860) && breaks[1] < at(1), "a break before the stream's point");
  assert.equal(mean.at(-1), 1, "the stream's point drawn");
});

test("an answer overtaken by a newer range is dropped", () => {
  const h = harness();
  const ws = live(h);
  h.controller.selectRange("24h");
  h.frame();
  h.controller.selectRange("7d");
  h.frame();
  const [old, cur] = rangeSent(ws);
  assert.equal(cur.from, T0 - 7 * DAY);
  ws.recv(answer(old, [{ id: "a", points: [[T0 - 3_600_000, 99]] }]));
  h.frame();
  assert.deepEqual(h.charts.entries.get(fam("a")).data()[0][1], [1], "the stream's point alone: nothing from the old answer");
  ws.recv(answer(cur, [{ id: "a", points: [[T0 - 3_600_000, 5]] }]));
  assert.deepEqual(h.charts.entries.get(fam("a")).data()[0][1], [5, null, 1]);
});

test("a zoom narrows the range and asks for finer points; a double-click goes back to the range picked", () => {
  const h = harness();
  const ws = live(h);
  h.controller.selectRange("7d");
  h.frame();
  h.charts.opts.onZoom(T0 - 2 * DAY, T0 - DAY);
  assert.deepEqual(h.page.zoom, [T0 - 2 * DAY, T0 - DAY]);
  assert.match(h.replaced.at(-1), /range=7d&from=\d+&to=\d+/);
  h.frame();
  const zoomed = rangeSent(ws).at(-1);
  assert.deepEqual([zoomed.from, zoomed.to], [T0 - 2 * DAY, T0 - DAY]);
  // A zoom a day long is named by its ends with their days, not two clock times that read the same.
  ws.recv(answer(zoomed, [{ id: "a", points: [[T0 - 1.5 * DAY, 2]] }]));
  h.frame();
  assert.match(h.cards.get("a").ranges.at(-1).windowName, /^[A-Z][a-z]{2} \d+ \d\d:\d\d–[A-Z][a-z]{2} \d+ \d\d:\d\d$/);
  h.charts.opts.onLive();
  h.frame();
  const back = rangeSent(ws).at(-1);
  assert.deepEqual([back.from, back.to], [T0 - 7 * DAY, T0]);
  assert.equal(rangeSent(ws).length, 3);

  // A zoom within the stream's own points is drawn from them alone, as before.
  h.charts.opts.onZoom(T0 - 60_000, T0);
  h.frame();
  assert.equal(rangeSent(ws).length, 3);
  assert.equal(h.charts.entries.get(fam("a")).data()[0].length, 2);
});

test("a range from the address is asked for once the stream is there; a custom one too", () => {
  const h = harness({ href: `http://h/?range=${T0 - 3 * DAY}..${T0 - 2 * DAY}` });
  const ws = live(h);
  assert.deepEqual(h.page.range, { name: "custom", from: T0 - 3 * DAY, to: T0 - 2 * DAY });
  h.frame();
  assert.deepEqual(h.page.zoom, [T0 - 3 * DAY, T0 - 2 * DAY], "opened from the address: the way back to live shows");
  assert.equal(h.pastEnd, T0 - 2 * DAY, "and the pill says history");
  assert.deepEqual(rangeSent(ws).map((m) => [m.from, m.to]), [[T0 - 3 * DAY, T0 - 2 * DAY]]);
  assert.equal(h.controller.setCustomRange(T0, T0 - 1), false, "an empty span is refused");
  // A span of the future drew empty charts, and its address was refused when opened.
  assert.equal(h.controller.setCustomRange(T0 + 30 * DAY, T0 + 31 * DAY), false, "a span ending after now is refused");
  assert.equal(h.page.range.from, T0 - 3 * DAY, "and nothing changed");
  assert.equal(h.controller.setCustomRange(T0 - 5 * DAY, T0 - 4 * DAY), true);
  assert.match(h.replaced.at(-1), new RegExp(`range=${T0 - 5 * DAY}\\.\\.${T0 - 4 * DAY}`));
  h.frame();
  assert.deepEqual(rangeSent(ws).at(-1).series, ["a", "b"]);
  // Past, not live: the stream's points are not carried on to it.
  ws.recv(answer(rangeSent(ws).at(-1), [{ id: "a", points: [[T0 - 4.5 * DAY, 3]] }]));
  assert.deepEqual(h.charts.entries.get(fam("a")).data()[0][1], [3]);
  // Nor does the page say it is: the chip shows the span and leads back.
  assert.deepEqual(h.page.zoom, [T0 - 5 * DAY, T0 - 4 * DAY]);
  h.controller.setZoom(T0 - 4.8 * DAY, T0 - 4.6 * DAY);
  assert.deepEqual(h.page.zoom, [T0 - 4.8 * DAY, T0 - 4.6 * DAY]);
  h.controller.goLive();
  assert.deepEqual(h.page.zoom, [T0 - 5 * DAY, T0 - 4 * DAY], "out of the zoom: the custom range again");
  h.controller.goLive();
  assert.equal(h.page.zoom, null, "then live");
  assert.equal(h.page.range, null);
  h.controller.selectRange("24h");
  assert.equal(h.page.zoom, null, "a preset follows the live edge: no chip");
});

test("a range the stream holds is drawn from it, statistics over the range; a reconnection asks again", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv({ ...hello, history_seconds: 7200 });
  ws.recv(snapshot(4, [series("a", { points: [[T0 - 3000, 4], [T0 - 2000, 6]] }), series("b")]));
  h.frame();
  h.controller.selectRange("1h");
  h.frame();
  assert.equal(rangeSent(ws).length, 0, "the stream's 2 h hold the hour");
  const a = h.cards.get("a").ranges.at(-1).range.stats.get("a");
  assert.deepEqual([a.min, a.max, a.mean], [4, 6, 5]);
  assert.equal(h.charts.entries.get(fam("a")).data()[0].length, 2, "lines, not bands");

  h.controller.selectRange("6h");
  h.frame();
  const first = rangeSent(ws);
  assert.equal(first.length, 1);
  // The connection drops before the answer; the new snapshot asks again.
  ws.drop();
  h.clock.advance(1000);
  const ws2 = h.ws();
  ws2.open();
  ws2.recv({ ...hello, history_seconds: 7200 });
  ws2.recv(snapshot(9, [series("a"), series("b")]));
  h.frame();
  assert.equal(rangeSent(ws2).length, 1);
  ws2.recv(answer(first[0], [{ id: "a", points: [[T0 - 3 * 3_600_000, 1]] }]));
  assert.equal(h.controller.rangeLoader.answer("a"), undefined, "the lost request's answer is not taken");
});

test("a live range is asked for again before the stream's points that carry it run out", () => {
  const h = harness();
  const ws = live(h);
  h.controller.selectRange("24h");
  h.frame();
  ws.recv(answer(rangeSent(ws)[0], [{ id: "a", points: [] }, { id: "b", points: [] }]));
  ws.recv({ type: "delta", seq: 5, ts: T0 + 299_000 });
  h.intervals[0].fn();
  h.frame();
  assert.equal(rangeSent(ws).length, 1);
  ws.recv({ type: "delta", seq: 6, ts: T0 + 300_000 });
  h.intervals[0].fn();
  h.frame();
  const again = rangeSent(ws).at(-1);
  assert.equal(rangeSent(ws).length, 2);
  assert.deepEqual([again.from, again.to], [T0 + 300_000 - DAY, T0 + 300_000]);
});

test("a zoom or a custom range that ends before now: the cards show its statistics and last values, the pill says history; back to live returns both", () => {
  const h = harness();
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv(snapshot(4, [series("a", { points: [[T0 - 3000, 4], [T0 - 2000, 6], [T0 - 1000, 1]] }), series("b")]));
  h.frame();
  assert.equal(h.pastEnd, 0, "live");
  assert.equal(h.cards.get("a").ranges.length, 0, "the window's statistics");

  h.charts.opts.onZoom(T0 - 3500, T0 - 1500);
  h.frame();
  assert.equal(h.pastEnd, T0 - 1500);
  const z = h.cards.get("a").ranges.at(-1);
  assert.equal(z.range.live, false);
  const a = z.range.stats.get("a");
  assert.deepEqual([a.min, a.max, a.last, a.lastAt], [4, 6, 6, T0 - 2000], "over the zoom, its last value and when");
  assert.equal(z.spanMs, 2000);

  h.charts.opts.onLive();
  h.frame();
  assert.equal(h.pastEnd, 0, "back to live: the pill too");
  const updates = h.cards.get("a").updates.length;
  assert.equal(h.cards.get("a").ranges.length, 1, "and the window's statistics again");
  assert.ok(updates >= 3);

  // A zoom up to now is live; once now has moved on, it is not.
  h.charts.opts.onZoom(T0 - 3500, T0);
  h.frame();
  assert.equal(h.pastEnd, 0);
  assert.equal(h.cards.get("a").ranges.at(-1).range.live, true);
  ws.recv({ type: "delta", seq: 5, ts: T0 + 5000, points: { a: [[T0 + 4000, 9]] } });
  h.tick();
  h.frame();
  assert.equal(h.pastEnd, T0);
  assert.equal(h.cards.get("a").ranges.at(-1).range.live, false);
  h.controller.goLive();

  h.controller.setCustomRange(T0 - 2 * DAY, T0 - DAY);
  h.frame();
  assert.equal(h.pastEnd, T0 - DAY);
  h.controller.goLive();
  h.frame();
  assert.equal(h.pastEnd, 0);
  h.controller.selectRange("24h");
  h.frame();
  assert.equal(h.pastEnd, 0, "a preset ends now");
});

test("over 30d, a card's statistics are since the first sample the stream holds, not since the start of the 6 h step it falls in", () => {
  const h = harness();
  const ws = live(h); // a's first point: T0 - 1000
  h.controller.selectRange("30d");
  h.frame();
  const step = 6 * 3_600_000;
  const bucket = Math.floor((T0 - 1000) / step) * step;
  ws.recv(answer(rangeSent(ws)[0], [{ id: "a", points: [[bucket, 1, 1, 1]] }, { id: "b", points: [[bucket, 1, 1, 1]] }], { step, tier: "1h" }));
  h.charts.markAllDirty();
  h.frame();
  const stats = h.cards.get("a").ranges.at(-1).range.stats.get("a");
  assert.equal(stats.first, T0 - 1000, `not the step's start, ${bucket}`);
});
