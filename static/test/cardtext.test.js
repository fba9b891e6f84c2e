import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../js/ring.js";
import { coverageCaption, coverageSince } from "../js/cardtext.js";
import { formatClock } from "../js/format.js";

// A card's captions over spans of days: their times carry the day, as the
// time axis does (format.js formatAt).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test("statistics since a time over a range of days say which day", () => {
  const to = new Date(2024, 0, 3, 9, 0, 0).getTime(); // Wednesday 3 January
  const first = new Date(2024, 0, 1, 14, 5, 12).getTime(); // Monday 1
  assert.equal(coverageSince([first], 7 * DAY, to), "Mon 1 14:05", "the 7d range");
  assert.equal(coverageSince([first], 30 * DAY, to), "Jan 1 14:05", "the 30d range");
  assert.equal(coverageSince([to - 2 * HOUR], 6 * HOUR, to), "07:00:00", "within a day: the clock to the second");
  const stats = new Map([["a", { first }]]);
  const c = coverageCaption([{ id: "a", since: 0, ring: null }], "7d", 7 * DAY, to, { stats, to });
  assert.equal(c.text, "Statistics since Mon 1 14:05");
});

test("a gap in a window of a day or more says which day it was", () => {
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime(); // Tuesday 2 January
  const gap = new Date(2024, 0, 1, 22, 30, 0).getTime(); // Monday 1, before midnight
  const ring = new Ring();
  for (let t = now - DAY - HOUR; t <= now; t += HOUR) ring.push(t === gap - 30 * 60_000 ? gap : t, t === gap - 30 * 60_000 ? null : 1);
  const series = [{ id: "a", since: now - DAY - HOUR, ring }];
  assert.equal(coverageCaption(series, "24h", DAY, now).text, "Includes a gap at Mon 1 22:30");
  assert.equal(coverageCaption(series, "1h", HOUR, now).text, "", "not in the last hour");
});

test("a window holding a stretch the chart draws as a gap says so, with or without its null point", () => {
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime();
  const ring = new Ring();
  for (let t = now - 900_000; t <= now - 400_000; t += 1000) ring.push(t, 1);
  for (let t = now - 300_000; t <= now; t += 1000) ring.push(t, 1); // down for 100 s, no null point
  const series = [{ id: "a", since: now - 900_000, ring }];
  assert.equal(coverageCaption(series, "15m", 900_000, now).text, `Includes a gap at ${formatClock(now - 400_000)}`);
  assert.equal(coverageCaption(series, "1m", 60_000, now).text, "", "not in the last minute");
  const even = new Ring();
  for (let t = now - 900_000; t <= now; t += 1000) even.push(t, 1);
  assert.equal(coverageCaption([{ id: "b", since: now - 900_000, ring: even }], "15m", 900_000, now).text, "", "no gap");
});

test("a window whose start lies in the server's downtime says since when, the run before being held", async () => {
  const { restartGap } = await import("../js/store.js");
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime();
  const started = now - 30_000; // down for 80 s: the run before ended 110 s ago
  const points = [];
  for (let t = now - 600_000; t <= now - 110_000; t += 1000) points.push([t, 1]);
  for (let t = started; t <= now; t += 1000) points.push([t, 1]);
  const st = { id: "a", since: now - 600_000, ring: new Ring() };
  st.ring.replace(restartGap(points, started));
  assert.equal(coverageCaption([st], "1m", 60_000, now).text, "Statistics since 09:59:30");
  assert.equal(coverageCaption([st], "5m", 300_000, now).text, "Includes a gap at 09:58:10", "a window reaching over the outage");
  const ring = new Ring();
  for (let t = now - 120_000; t <= now - 90_000; t += 1000) ring.push(t, 1);
  for (let t = now - 40_000; t <= now; t += 1000) ring.push(t, 1);
  assert.equal(coverageCaption([{ id: "b", since: now - 120_000, ring }], "1m", 60_000, now).text, "Statistics since 09:59:20", "a gap without its null point");
  const whole = new Ring();
  for (let t = now - 120_000; t <= now; t += 1000) whole.push(t, 1);
  assert.equal(coverageCaption([{ id: "c", since: now - 120_000, ring: whole }], "1m", 60_000, now).text, "", "data across the window");
});

test("a window not yet full that holds a gap says both: since when, and the gap", () => {
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime();
  const ring = new Ring();
  for (let t = now - 700_000; t <= now - 400_000; t += 1000) ring.push(t, 1);
  for (let t = now - 380_000; t <= now; t += 1000) ring.push(t, 1); // down for 20 s
  const c = coverageCaption([{ id: "a", since: now - 700_000, ring }], "15m", 900_000, now);
  assert.equal(c.text, `Statistics since ${formatClock(now - 700_000)}, with a gap at ${formatClock(now - 400_000)}`);
  assert.match(c.title, /stretch without data/);
});

test("a gap before the statistics' start is what \"since\" says: not told twice", () => {
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime();
  const ring = new Ring();
  for (let t = now - 100_000; t <= now - 50_000; t += 1000) ring.push(t, 1);
  ring.push(now - 49_000, null); // the server restarted
  for (let t = now - 30_000; t <= now; t += 1000) ring.push(t, 1);
  assert.equal(coverageCaption([{ id: "a", since: now - 30_000, ring }], "1m", 60_000, now).text, `Statistics since ${formatClock(now - 30_000)}`);
});

test("a break at the statistics' start (a restart heard a moment after the new server's first point) is what \"since\" says", () => {
  const now = new Date(2024, 0, 2, 10, 0, 0).getTime();
  const ring = new Ring();
  for (let t = now - 100_000; t <= now - 50_000; t += 1000) ring.push(t, 1);
  ring.push(now - 30_000, 1);
  ring.push(now - 29_000, null); // the page heard of the restart a second later
  for (let t = now - 28_000; t <= now; t += 1000) ring.push(t, 1);
  assert.equal(coverageCaption([{ id: "a", since: now - 30_000, ring }], "1m", 60_000, now).text, `Statistics since ${formatClock(now - 30_000)}`);
});
