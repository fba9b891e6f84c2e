import { test } from "node:test";
import assert from "node:assert/strict";
import { columnGroups, figure, figures, formatShared, shareFigures, shareTable } from "../js/sharedscale.js";
import { unitOf } from "../js/format.js";

// row is formatShared's figures as "text unit" strings.
const row = (vs, metric, kind = "gauge", scale = undefined) => formatShared(vs, unitOf(metric, kind), scale).map((f) => (f.unit ? `${f.text} ${f.unit}` : f.text));

test("formatShared: a row of seconds spanning ms and s takes the largest's unit and decimals (trial 12 r10)", () => {
  // min 20.0ms | max 1.50s | mean 113ms | p99 1.50s, each on its own before.
  assert.deepEqual(row([0.02, 1.5, 0.113, 1.5], "request_latency_seconds"), ["0.02 s", "1.50 s", "0.11 s", "1.50 s"]);
  // 0.07 s would be 6 % off 66 ms: a decimal more for all.
  assert.deepEqual(row([0.066, 4.09, 1.63, 4.09], "replication_lag_seconds"), ["0.066 s", "4.090 s", "1.630 s", "4.090 s"]);
  // All under a second: milliseconds for all.
  // 0.4 ms would read "0 ms" beside 250 ms: a decimal more for all.
  assert.deepEqual(row([0.0004, 0.25, 0.0123], "x_seconds"), ["0.4 ms", "250.0 ms", "12.3 ms"]);
  assert.deepEqual(row([0.004, 0.25, 0.0123], "x_seconds"), ["4 ms", "250 ms", "12 ms"]);
  assert.deepEqual(row([0.0004, 0.0123], "x_seconds"), ["0.4 ms", "12.3 ms"]);
  // Past two minutes: minutes for all.
  assert.deepEqual(row([30, 300], "x_seconds"), ["0.50 min", "5.00 min"]);
});

test("formatShared: plain counts share their decimals, whole counts stay whole", () => {
  // MIN 6.70 | MAX 498 | MEAN 321 | P99 498.
  assert.deepEqual(row([6.7, 498, 321.4, 498], "queue_depth"), ["7", "498", "321", "498"]);
  // min 0 | max 1.00 | mean 0.417: zero prints as the others.
  assert.deepEqual(row([0, 1, 0.417, 1], "worker_busy"), ["0.00", "1.00", "0.42", "1.00"]);
  assert.deepEqual(row([3, 25, 14], "jobs"), ["3", "25", "14"]);
  assert.deepEqual(row([3, 25, 14.25], "jobs"), ["3.0", "25.0", "14.3"]);
  // Thousands: one SI prefix for all.
  assert.deepEqual(row([900, 12_345, 4000.5], "jobs"), ["0.9 k", "12.3 k", "4.0 k"]);
  // Below one: three significant digits of the largest.
  assert.deepEqual(row([0, 0.0123, 0.5], "load"), ["0.000", "0.012", "0.500"]);
});

test("formatShared: percent and ratio", () => {
  // batch_progress_ratio min 0% | max 98.0%.
  assert.deepEqual(row([0, 0.98, 0.42], "batch_progress_ratio"), ["0.0 %", "98.0 %", "42.0 %"]);
  // host_cpu_busy_percent min 0% | max 87.4% | mean 8.90%.
  assert.deepEqual(row([0, 87.4, 8.9], "host_cpu_busy_percent"), ["0.0 %", "87.4 %", "8.9 %"]);
  // shard_load_percent in one column: 7.69 %, 94.3 %, 12.3 %.
  assert.deepEqual(row([7.69, 94.3, 12.3], "shard_load_percent"), ["7.7 %", "94.3 %", "12.3 %"]);
  assert.deepEqual(row([64.3, 8.94], "shard_load_percent"), ["64.3 %", "8.9 %"]);
  assert.deepEqual(row([5, 100], "disk_used_percent"), ["5 %", "100 %"]);
});

test("formatShared: bytes spanning KiB to GiB take the largest's binary unit", () => {
  // KiB and MiB beside GiB would read "0.00 GiB": each in its own format then (trial 12 r12, F1).
  assert.deepEqual(row([2048, 5 * 1024 ** 2, 3.5 * 1024 ** 3], "mem_bytes"), ["2.00 KiB", "5.00 MiB", "3.50 GiB"]);
  assert.deepEqual(row([600 * 1024 ** 2, 120 * 1024 ** 3], "mem_bytes"), ["0.6 GiB", "120.0 GiB"], "not 1 GiB");
  assert.deepEqual(row([2048, 512 * 1024], "mem_bytes"), ["2 KiB", "512 KiB"]);
  assert.deepEqual(row([1536, 20 * 1024 ** 2], "mem_bytes"), ["1.50 KiB", "20.0 MiB"]);
  // A counter's rate: per second in the same unit.
  assert.deepEqual(row([1024, 2.5 * 1024 ** 2], "net_bytes_total", "counter"), ["0.001 MiB/s", "2.500 MiB/s"]);
});

test("formatShared: negatives, all-zero and absent members", () => {
  assert.deepEqual(row([-5, 10, 2.5], "offset"), ["-5.0", "10.0", "2.5"]);
  assert.deepEqual(row([-0.001, 2], "offset"), ["-0.001", "2.000"]); // would round to zero: a decimal more
  assert.deepEqual(row([-1500, 20], "offset"), ["-1.50 k", "0.02 k"]);
  assert.deepEqual(row([0, 0, 0], "worker_busy"), ["0", "0", "0"]);
  assert.deepEqual(row([0, 0], "x_seconds"), ["0 s", "0 s"]);
  // NaN, null and undefined are "–" and count for nothing; Infinity is "∞".
  assert.deepEqual(row([NaN, 0.5, null, 0.25, undefined], "worker_busy"), ["–", "0.500", "–", "0.250", "–"]);
  assert.deepEqual(row([Infinity, 0.02, 1.5], "x_seconds"), ["∞", "0.02 s", "1.50 s"]);
  assert.deepEqual(row([null, null], "x_seconds"), ["–", "–"]);
});

test("formatShared: tiny magnitudes share the largest's exponent; float noise is 0", () => {
  assert.deepEqual(row([1e-7, 3e-8], "tiny"), ["1.00e-7", "0.30e-7"]);
  // 2.2e-11 beside 50 is noise, not data.
  assert.deepEqual(row([2.2e-11, 50, 25.5], "jobs"), ["0.0", "50.0", "25.5"]);
});

test("figure and shareFigures: figures made alone are written again in one format", () => {
  const u = unitOf("request_latency_seconds", "gauge");
  const alone = [0.02, 1.5, 0.113].map((v) => figure(v, u));
  assert.deepEqual(
    alone.map((f) => `${f.text} ${f.unit}`),
    ["20.0 ms", "1.50 s", "113 ms"],
  );
  const shared = shareFigures([...alone, { text: "12", unit: "" }]);
  assert.deepEqual(
    shared.map((f) => `${f.text} ${f.unit}`.trim()),
    ["0.02 s", "1.50 s", "0.11 s", "12"],
  );
  // A suffix stays after the unit.
  const total = { ...figure(12_000, { base: "plain" }), suffix: "since 14:02" };
  assert.deepEqual(shareFigures([total, figure(500, { base: "plain" })]).map((f) => `${f.text} ${f.unit}`), ["12.0 k since 14:02", "0.5 k"]);
});

test("shareTable: a gauge table is one format; a counter's rates, increase and total each their own", () => {
  const u = unitOf("shard_load_percent", "gauge");
  const rows = [
    [7.69, 2, 12, 6],
    [94.3, 40, 99, 70],
  ].map((r) => r.map((v) => figure(v, u)));
  const t = shareTable(rows, columnGroups(false));
  assert.deepEqual(
    t.map((r) => r.map((f) => f.text)),
    [
      ["7.7", "2.0", "12.0", "6.0"],
      ["94.3", "40.0", "99.0", "70.0"],
    ],
  );
  const c = unitOf("reqs_total", "counter");
  const plain = { ...c, rate: false, perSecond: false };
  const crow = [figure(0.5, c), figure(12.25, c), figure(50, plain), figure(1_800_000, plain)];
  assert.deepEqual(
    shareTable([crow], columnGroups(true))[0].map((f) => `${f.text} ${f.unit}`.trim()),
    ["0.5 /s", "12.3 /s", "50", "1.80 M"],
  );
});

test("figures: values formatted together carry what they were made from, and share again with others", () => {
  const u = unitOf("request_latency_seconds", "gauge");
  const fs = figures([0.02, 1.5, null], u, 1.5);
  assert.deepEqual(fs.map((f) => f.text), ["0.02", "1.50", "–"]);
  assert.deepEqual(fs.map((f) => f.v), [0.02, 1.5, null]);
  assert.deepEqual(shareFigures([...fs, figure(150, u)]).map((f) => `${f.text} ${f.unit}`.trim()), ["20.0 ms", "1.50 s", "–", "2.50 min"]);
});

test("shareTable: lines of sizes too far apart for one format get a format each, never 0 for a line that moves (trial 12 r12, F1)", () => {
  // host_network_transmit_bytes_total: lo in GiB, eth0 in KiB; mean rate, increase, total.
  const c = unitOf("host_network_transmit_bytes_total", "counter");
  const plain = { ...c, rate: false, perSecond: false };
  const row = (now, mean, inc, total) => [figure(now, c), figure(mean, c), figure(inc, plain), figure(total, plain)];
  const lo = row(1.2 * 1024 ** 3, 1.1 * 1024 ** 3, 66 * 1024 ** 3, 900 * 1024 ** 3);
  const eth0 = row(250, 263, 159 * 1024, 8.37 * 1024 ** 2);
  const t = shareTable([lo, eth0], columnGroups(true)).map((r) => r.map((f) => `${f.text} ${f.unit}`));
  assert.deepEqual(t[1], ["250 B/s", "263 B/s", "159 KiB", "8.37 MiB"]);
  assert.deepEqual(t[0], ["1.20 GiB/s", "1.10 GiB/s", "66.0 GiB", "900 GiB"]);
  // Lines of like sizes still share one format per column.
  const a = row(7.69, 2, 12, 6);
  const b = row(94.3, 40, 99, 70);
  const u = shareTable([a, b], columnGroups(true)).map((r) => r.map((f) => f.text));
  assert.deepEqual(u.map((r) => r.slice(0, 2)), [["7.7", "2.0"], ["94.3", "40.0"]]);
  // 0.92 KiB/s beside 160 KiB/s would read "1 KiB/s" (8 % off): a decimal more for the column.
  const k = shareTable([row(2.16 * 1024, 0.92 * 1024, 0, 0), row(160 * 1024, 107 * 1024, 0, 0)], columnGroups(true)).map((r) => r.slice(0, 2).map((f) => `${f.text} ${f.unit}`));
  assert.deepEqual(k, [["2.2 KiB/s", "0.9 KiB/s"], ["160.0 KiB/s", "107.0 KiB/s"]]);
});
