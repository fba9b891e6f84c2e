import { test } from "node:test";
import assert from "node:assert/strict";
import { customRange, fromLocalInput, includesNow, needsHistory, rangeLabel, rangeMs, rangeSpan, readRange, refreshDue, toLocalInput, writeRange, zoomSpan, RANGES } from "../js/rangechoice.js";
import { readView, viewURL } from "../js/urlstate.js";

// The history range: presets and a custom span, in the address, and when
// the stream's points cannot draw it.

test("presets are lengths that end now; a custom span is its own", () => {
  assert.deepEqual(RANGES, ["1h", "6h", "24h", "7d", "30d"]);
  assert.equal(rangeMs("6h"), 6 * 3_600_000);
  assert.equal(rangeMs("30d"), 30 * 86_400_000);
  assert.ok(Number.isNaN(rangeMs("5m")), "the stream's windows are not ranges");
  assert.deepEqual(rangeSpan({ name: "1h" }, 10_000_000), [10_000_000 - 3_600_000, 10_000_000]);
  const t = 1_700_000_000_000;
  assert.deepEqual(rangeSpan(customRange(t + 5000, t + 9000), t), [t + 5000, t + 9000]);
  assert.equal(customRange(t + 9000, t + 5000), null, "an empty span");
  assert.equal(customRange(NaN, 5), null);
});

test("the range is read from and written into the address; garbage is no range", () => {
  assert.deepEqual(readRange("24h"), { name: "24h" });
  assert.deepEqual(readRange("1700000000000..1700086400000"), { name: "custom", from: 1700000000000, to: 1700086400000 });
  for (const bad of [null, "", "2h", "9..3", "1..x", "-5..3", "1e3..1e4"]) assert.equal(readRange(bad), null, String(bad));
  assert.equal(writeRange(null), "");
  assert.equal(writeRange({ name: "7d" }), "7d");
  assert.equal(writeRange(customRange(1700000001000.4, 1700000005000)), "1700000001000..1700000005000");

  assert.equal(readView("http://h/?range=6h&window=5m").range.name, "6h");
  assert.equal("range" in readView("http://h/?range=bogus"), false, "no range key without a range");
  const [a, b] = [1700000010000, 1700000020000];
  const url = viewURL("http://h/?range=1h", { filter: "", window: "", collapsed: [], zoom: [a + 1000, a + 2000], range: customRange(a, b) });
  assert.equal(url, `/?range=${a}..${b}&from=${a + 1000}&to=${a + 2000}`);
  assert.deepEqual(readView(`http://h${url}`), { filter: "", window: "", collapsed: null, zoom: [a + 1000, a + 2000], range: { name: "custom", from: a, to: b } });
  assert.equal(viewURL("http://h/?range=1h", { filter: "", window: "", collapsed: [], zoom: null, range: null }), "/");
});

test("history is asked for only past what the stream holds; a span is live while it reaches now", () => {
  const now = 100_000_000;
  const liveFrom = now - 900_000;
  assert.equal(needsHistory([now - 900_000, now], liveFrom), false, "the stream's window");
  assert.equal(needsHistory([now - 3_600_000, now], liveFrom), true);
  assert.equal(needsHistory(null, liveFrom), false);
  assert.equal(includesNow([0, now], now), true);
  assert.equal(includesNow([0, now - 60_000], now), false);
  assert.equal(refreshDue(now - 299_000, now, 900_000, 60_000), false);
  assert.equal(refreshDue(now - 300_000, now, 900_000, 60_000), true, "a third of the stream's history");
  assert.equal(refreshDue(now - 400_000, now, 900_000, 600_000), false, "not more often than a step");
});

test("datetime-local values are the page's local time, to the minute", () => {
  const ms = new Date(2026, 0, 2, 3, 4).getTime();
  assert.equal(toLocalInput(ms), "2026-01-02T03:04");
  assert.equal(fromLocalInput("2026-01-02T03:04"), ms);
  assert.ok(Number.isNaN(fromLocalInput("")));
  assert.ok(Number.isNaN(fromLocalInput("yesterday")));
  assert.equal(rangeLabel(customRange(ms, ms + 3_600_000)), "2026-01-02 03:04 to 2026-01-02 04:04");
  assert.equal(rangeLabel({ name: "24h" }), "24h");
});

test("a custom range is at most the longest preset long", async () => {
  const { customRange, MAX_SPAN_MS } = await import("../js/rangechoice.js");
  assert.equal(MAX_SPAN_MS, 30 * 86_400_000);
  const t = Date.UTC(2020, 0, 1);
  assert.deepEqual(customRange(t, t + MAX_SPAN_MS), { name: "custom", from: t, to: t + MAX_SPAN_MS });
  assert.equal(customRange(t, t + MAX_SPAN_MS + 1), null);
  assert.equal(customRange(t, t + 100_000, t + 1000), null, "ends past now and its slack");
  assert.ok(customRange(t, t + 50_000, t + 1000), "within the slack: the server's clock may run ahead");
});

test("a span shorter than a second or starting before 2000 is no span the page shows", async () => {
  const { customRange, EARLIEST_MS, MIN_SPAN_MS } = await import("../js/rangechoice.js");
  assert.equal(EARLIEST_MS, 946_684_800_000);
  assert.equal(customRange(1, 2), null, "1970, a millisecond");
  assert.equal(customRange(EARLIEST_MS - 1000, EARLIEST_MS + 3_600_000), null, "before 2000");
  assert.ok(customRange(EARLIEST_MS, EARLIEST_MS + 3_600_000), "from 2000 on");
  const t = Date.UTC(2024, 5, 1);
  assert.equal(customRange(t, t + MIN_SPAN_MS - 1), null, "shorter than a second");
  assert.ok(customRange(t, t + MIN_SPAN_MS), "a second");
});

test("a zoom narrower than a second widens about its middle; one the address could not hold is none", () => {
  const t = 1_700_000_000_000;
  assert.deepEqual(zoomSpan(t, t + 5000), [t, t + 5000]);
  assert.deepEqual(zoomSpan(t + 1000, t + 1200), [t + 600, t + 1600]);
  assert.equal(zoomSpan(250, t), null, "a start before 2000: a chart's scale misread");
  assert.equal(zoomSpan(NaN, t), null);
  assert.equal(zoomSpan(t + 10, t), null, "an empty span");
  assert.equal(zoomSpan(t, t + 400 * 86_400_000 * 10), null, "longer than the longest range");
});
