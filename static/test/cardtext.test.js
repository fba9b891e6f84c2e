import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../js/ring.js";
import { coverageCaption, coverageSince } from "../js/cardtext.js";

// A card's captions over spans of days: their times carry the day, as the
// time axis does (format.js formatAt).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test("statistics since a time over a range of days say which day", () => {
  const to = new Date(2024, 0, 3, 9, 0, 0).getTime(); // Wednesday 3 January
  const first = new Date(2024, 0, 1, 14, 5, 12).getTime(); // Monday 1
  assert.equal(coverageSince([first], 7 * DAY, to), "Mon 1 14:05", "the 7d range");
  assert.equal(coverageSince([first], 30 * DAY, to), "Jan 1 14:05", "the 30d range");
  assert.equal(coverageSince([to - 2 * HOUR], 6 * HOUR, to), "07:00", "within a day: the clock");
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
