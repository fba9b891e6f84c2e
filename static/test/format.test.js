import { test } from "node:test";
import assert from "node:assert/strict";
import {
  fixed,
  formatAgo,
  formatCompact,
  formatLabels,
  formatMs,
  formatValue,
  unitOf,
  windowMs,
} from "../js/format.js";

test("unitOf guesses the unit from the name's last word", () => {
  assert.deepEqual(unitOf("node_memory_MemAvailable_bytes", "gauge"), { base: "bytes", rate: false });
  assert.deepEqual(unitOf("request_latency_seconds", "gauge"), { base: "seconds", rate: false });
  assert.deepEqual(unitOf("shard_load_percent"), { base: "percent", rate: false });
  assert.deepEqual(unitOf("batch_progress_ratio"), { base: "ratio", rate: false });
  assert.deepEqual(unitOf("temperature_celsius"), { base: "celsius", rate: false });
  assert.deepEqual(unitOf("queue_depth"), { base: "plain", rate: false });
});

test("unitOf shows counters as rates, by suffix or by kind", () => {
  assert.deepEqual(unitOf("requests_total", "gauge"), { base: "plain", rate: true });
  assert.deepEqual(unitOf("network_receive_bytes_total"), { base: "bytes", rate: true });
  assert.deepEqual(unitOf("jobs", "counter"), { base: "plain", rate: true });
  // "_total" alone is not a unit: the word before it is.
  assert.deepEqual(unitOf("cpu_seconds_total"), { base: "seconds", rate: true });
});

test("fixed keeps about three significant digits", () => {
  assert.equal(fixed(0), "0");
  assert.equal(fixed(-0), "0");
  assert.equal(fixed(42), "42");
  assert.equal(fixed(1234.5), "1235");
  assert.equal(fixed(123.45), "123");
  assert.equal(fixed(12.345), "12.3");
  assert.equal(fixed(1.2345), "1.23");
  assert.equal(fixed(0.012345), "0.0123");
  assert.equal(fixed(0.00001234), "1.2e-5");
  assert.equal(fixed(-12.345), "-12.3");
});

test("formatValue scales bytes by 1024", () => {
  const u = unitOf("x_bytes");
  assert.deepEqual(formatValue(512, u), { text: "512", unit: "B" });
  assert.deepEqual(formatValue(1536, u), { text: "1.50", unit: "KiB" });
  assert.deepEqual(formatValue(5 * 1024 ** 3, u), { text: "5", unit: "GiB" });
  assert.deepEqual(formatValue(2048, unitOf("rx_bytes_total")), { text: "2", unit: "KiB/s" });
});

test("formatValue picks µs, ms, s, min, h for seconds", () => {
  const u = unitOf("lat_seconds");
  assert.deepEqual(formatValue(0.0000425, u), { text: "42.5", unit: "µs" });
  assert.deepEqual(formatValue(0.25, u), { text: "250", unit: "ms" });
  assert.deepEqual(formatValue(1.5, u), { text: "1.50", unit: "s" });
  assert.deepEqual(formatValue(600, u), { text: "10", unit: "min" });
  assert.deepEqual(formatValue(7200, u), { text: "2", unit: "h" });
  assert.deepEqual(formatValue(0, u), { text: "0", unit: "s" });
  // A rate of seconds stays in s/s (or ms/s): minutes per second means nothing.
  assert.deepEqual(formatValue(500, unitOf("cpu_seconds_total")), { text: "500", unit: "s/s" });
});

test("formatValue for percent, ratio, celsius and plain numbers", () => {
  assert.deepEqual(formatValue(42.123, unitOf("load_percent")), { text: "42.1", unit: "%" });
  assert.deepEqual(formatValue(0.5, unitOf("progress_ratio")), { text: "50", unit: "%" });
  assert.deepEqual(formatValue(21.456, unitOf("t_celsius")), { text: "21.5", unit: "°C" });
  assert.deepEqual(formatValue(1500, unitOf("queue_depth")), { text: "1.50", unit: "k" });
  assert.deepEqual(formatValue(2_500_000, unitOf("events_total")), { text: "2.50", unit: "M/s" });
  assert.deepEqual(formatValue(50.2, unitOf("events_total")), { text: "50.2", unit: "/s" });
});

test("formatValue marks missing values", () => {
  const u = unitOf("x");
  for (const v of [null, undefined, NaN]) assert.deepEqual(formatValue(v, u), { text: "–", unit: "" });
  assert.equal(formatValue(Infinity, u).text, "∞");
});

test("formatCompact joins number and unit", () => {
  assert.equal(formatCompact(42, unitOf("a_percent")), "42%");
  assert.equal(formatCompact(20, unitOf("t_celsius")), "20°C");
  assert.equal(formatCompact(0.25, unitOf("l_seconds")), "250 ms");
  assert.equal(formatCompact(7, unitOf("depth")), "7");
  assert.equal(formatMs(0.5), "500 µs");
  assert.equal(formatMs(null), "–");
});

test("formatAgo counts back from now", () => {
  const now = 1_000_000_000;
  assert.equal(formatAgo(0, now), "never");
  assert.equal(formatAgo(now - 200, now), "now");
  assert.equal(formatAgo(now - 4000, now), "4s ago");
  assert.equal(formatAgo(now - 180_000, now), "3 min ago");
  assert.equal(formatAgo(now - 7_200_000, now), "2 h ago");
  assert.equal(formatAgo(now - 3 * 86_400_000, now), "3 d ago");
});

test("formatLabels sorts names", () => {
  assert.equal(formatLabels({ b: "2", a: "1" }), 'a="1", b="2"');
  assert.equal(formatLabels({}), "");
  assert.equal(formatLabels(undefined), "");
});

test("windowMs parses the server's window names", () => {
  assert.equal(windowMs("1m"), 60_000);
  assert.equal(windowMs("15m"), 900_000);
  assert.equal(windowMs("1h30m"), 5_400_000);
  assert.equal(windowMs("90s"), 90_000);
  assert.equal(windowMs("500ms"), 500);
  assert.ok(Number.isNaN(windowMs("")));
  assert.ok(Number.isNaN(windowMs("5 minutes")));
  assert.ok(Number.isNaN(windowMs("1m!")));
});
