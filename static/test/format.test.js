import { test } from "node:test";
import assert from "node:assert/strict";
import {
  fixed,
  formatAgo,
  formatClock,
  setAgoAsOf,
  formatCompact,
  formatLabels,
  formatMs,
  binaryIncrements,
  formatTicks,
  formatAt,
  formatSpan,
  formatSpanShort,
  formatTick,
  TIME_INCRS,
  TIME_LABEL_GAP,
  TIME_LABEL_PX,
  timeLabelsShown,
  timeSpace,
  formatValue,
  unitOf,
  windowMs,
} from "../js/format.js";

test("unitOf guesses the unit from the name's last word", () => {
  const g = (base) => ({ base, rate: false, perSecond: false });
  assert.deepEqual(unitOf("node_memory_MemAvailable_bytes", "gauge"), g("bytes"));
  assert.deepEqual(unitOf("request_latency_seconds", "gauge"), g("seconds"));
  assert.deepEqual(unitOf("shard_load_percent"), g("percent"));
  assert.deepEqual(unitOf("batch_progress_ratio"), g("ratio"));
  assert.deepEqual(unitOf("temperature_celsius"), g("celsius"));
  assert.deepEqual(unitOf("queue_depth"), g("plain"));
});

test("unitOf shows counters as rates, by suffix or by kind", () => {
  const c = (base) => ({ base, rate: true, perSecond: true });
  assert.deepEqual(unitOf("requests_total", "gauge"), c("plain"));
  assert.deepEqual(unitOf("network_receive_bytes_total"), c("bytes"));
  assert.deepEqual(unitOf("jobs", "counter"), c("plain"));
  // "_total" alone is not a unit: the word before it is.
  assert.deepEqual(unitOf("cpu_seconds_total"), c("seconds"));
});

test("unitOf reads _per_second gauges as rates already", () => {
  assert.deepEqual(unitOf("disk_read_bytes_per_second"), { base: "bytes", rate: false, perSecond: true });
  assert.deepEqual(unitOf("disk_reads_per_second"), { base: "plain", rate: false, perSecond: true });
  assert.deepEqual(formatValue(16384, unitOf("disk_read_bytes_per_second")), { text: "16", unit: "KiB/s" });
});

test("a _per_second of every base unit keeps its unit: metres per second read m/s, not /s", () => {
  const cases = {
    lane_speed_meters_per_second: [4.24, "m/s"],
    disk_read_bytes_per_second: [512, "B/s"],
    busy_seconds_per_second: [0.5, "%"], // a share of the time
    temperature_celsius_per_second: [0.5, "°C/s"],
    sag_volts_per_second: [2, "V/s"],
    draw_amperes_per_second: [2, "A/s"],
    energy_joules_per_second: [2500, "kJ/s"],
    feed_grams_per_second: [2, "g/s"],
    power_watts_per_second: [2, "W/s"],
    error_ratio_per_second: [0.1, "%/s"],
    load_percent_per_second: [2, "%/s"],
    reads_per_second: [2, "/s"],
  };
  for (const [metric, [v, unit]] of Object.entries(cases)) {
    const u = unitOf(metric, "gauge");
    assert.equal(u.perSecond, true, metric);
    assert.equal(formatValue(v, u).unit, unit, metric);
    assert.match(formatCompact(v, u), new RegExp(`${unit.replace("/", "\\/")}$`), metric);
  }
  assert.deepEqual(formatValue(1500, unitOf("distance_meters")), { text: "1.50", unit: "km" });
  assert.deepEqual(formatValue(3, unitOf("distance_meters_total")), { text: "3", unit: "m/s" });
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
  // A rate of seconds is a share of the time: percent, as top shows CPU.
  assert.deepEqual(formatValue(0.455, unitOf("host_cpu_seconds_total")), { text: "45.5", unit: "%" });
  assert.deepEqual(formatValue(2, unitOf("cpu_seconds_total")), { text: "200", unit: "%" }, "two cores' worth");
  assert.deepEqual(formatValue(0.0004, unitOf("cpu_seconds_total")), { text: "0.0400", unit: "%" });
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

test("paused, formatAgo says how long before the pause, as of its time, whatever now is", () => {
  const at = 1_000_000_000;
  setAgoAsOf(at);
  try {
    assert.equal(formatAgo(at - 16_000, at + 40_000), `16s ago, as of ${formatClock(at)}`, "not 56s ago, nor 16s ago alone");
    assert.equal(formatAgo(at - 200, at + 40_000), `now, as of ${formatClock(at)}`);
    assert.equal(formatAgo(0, at), "never");
  } finally {
    setAgoAsOf(0);
  }
  assert.equal(formatAgo(at - 16_000, at + 40_000), "56s ago", "resumed: from now again");
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

test("formatTicks gives neighbouring ticks different labels", () => {
  const u = unitOf("jobs_total");
  assert.deepEqual(formatTicks([14.9, 14.95, 15, 15.05], u, 0.05), ["14.90 /s", "14.95 /s", "15.00 /s", "15.05 /s"]);
  assert.deepEqual(formatTicks([0, 50, 100], unitOf("load_percent"), 50), ["0%", "50%", "100%"]);
  assert.deepEqual(formatTicks([0, 0.25, 0.5], unitOf("lat_seconds"), 0.25), ["0 ms", "250 ms", "500 ms"]);
  // One unit for the axis, from its largest tick.
  assert.deepEqual(formatTicks([0, 1048576, 2097152], unitOf("mem_bytes"), 1048576), ["0 MiB", "1 MiB", "2 MiB"]);
  assert.deepEqual(formatTicks([1500, 2000, 2500], unitOf("depth"), 500), ["1.5 k", "2.0 k", "2.5 k"]);
  assert.deepEqual(formatTicks([1, 2], unitOf("depth")), ["1", "2"]);
  assert.deepEqual(formatTicks([null, 2], unitOf("depth"), 1), ["", "2"]);
  assert.deepEqual(formatTicks([0, 0.25, 0.5], unitOf("load_percent"), 0.25), ["0.00%", "0.25%", "0.50%"]);
});

test("formatTicks stays short for steps that are not round in the unit", () => {
  // 10 MB steps on a GiB axis: as many decimals as tell the ticks apart.
  const gib = 1024 ** 3;
  const ticks = [13.74 * gib, 13.74 * gib + 1e7, 13.74 * gib + 2e7];
  assert.deepEqual(formatTicks(ticks, unitOf("used_bytes"), 1e7), ["13.740 GiB", "13.749 GiB", "13.759 GiB"]);
  assert.deepEqual(formatTicks([0, 1e4, 2e4], unitOf("rx_bytes"), 1e4), ["0 KiB", "10 KiB", "20 KiB"]);
});

test("binaryIncrements are powers of two within each binary unit", () => {
  const incrs = binaryIncrements();
  assert.equal(incrs[0], 1);
  assert.ok(incrs.includes(8 * 1024));
  assert.ok(incrs.includes(512 * 1024 ** 2));
  assert.ok(incrs.every((v, i) => i === 0 || v > incrs[i - 1]));
  assert.deepEqual(formatTicks([0, 8192, 16384], unitOf("rx_bytes"), 8192), ["0 KiB", "8 KiB", "16 KiB"]);
});

test("float noise reads as 0, not as 2.2e-11 %", () => {
  assert.deepEqual(formatValue(2.2e-11, unitOf("cpu_percent")), { text: "0", unit: "%" });
  assert.deepEqual(formatValue(-3e-12, unitOf("jobs_total", "counter")), { text: "0", unit: "/s" });
  assert.deepEqual(formatValue(2e-6, unitOf("lat_seconds")), { text: "2", unit: "µs" }, "a small value that is not noise");
  assert.deepEqual(formatTicks([-2.2e-11, 0.5, 1], unitOf("load_percent"), 0.5), ["0.0%", "0.5%", "1.0%"]);
});

test("noise is judged by the series' own size: a tiny series is data, noise beside large values is 0", async () => {
  const { seriesScale } = await import("../js/format.js");
  const ratio = unitOf("tiny_ratio");
  assert.deepEqual(formatValue(2e-7, ratio, 3e-7), { text: "2.0e-5", unit: "%" }, "a series of 1e-7 … 3e-7");
  assert.deepEqual(formatValue(2e-12, ratio, 3e-12), { text: "2.0e-10", unit: "%" }, "below the absolute bound, still data at its own size");
  assert.deepEqual(formatValue(2e-12, ratio), { text: "0", unit: "%" }, "with no size known, the absolute bound");
  const cpu = unitOf("cpu_seconds_total", "counter");
  assert.deepEqual(formatValue(2.2e-13, cpu, 1e5), { text: "0", unit: "%" }, "a rate of equal readings of a total of 1e5: noise");
  assert.deepEqual(formatValue(2.2e-6, cpu, 1e5), { text: "2.2e-4", unit: "%" }, "a slow real rate of a large total");
  assert.deepEqual(formatValue(0, ratio, 0), { text: "0", unit: "%" });
  assert.equal(seriesScale(null, -3, 2, undefined, NaN), 3);
  assert.equal(seriesScale(null, undefined), undefined);
  assert.equal(seriesScale(0, 0), 0);
});

test("ticks of a tiny series are its values, in exponent form as the card's figures", () => {
  const ratio = unitOf("tiny_ratio");
  assert.deepEqual(formatTicks([1e-7, 2e-7, 3e-7], ratio, 1e-7), ["1.0e-5%", "2.0e-5%", "3.0e-5%"]);
  assert.deepEqual(formatTicks([1e-7, 1.5e-7, 2e-7], ratio, 5e-8), ["1.0e-5%", "1.5e-5%", "2.0e-5%"]);
  assert.deepEqual(formatTicks([1e-7, 1.01e-7, 1.02e-7], ratio, 1e-9), ["1.00e-5%", "1.01e-5%", "1.02e-5%"], "digits until neighbours differ");
  assert.deepEqual(formatTicks([-2e-15, 1e-7, 2e-7], ratio, 1e-7), ["0%", "1.0e-5%", "2.0e-5%"], "a tick a millionth of a step from 0 is 0");
});

test("time ticks: seconds shown unless the ticks fall on whole minutes", () => {
  const t = new Date(2024, 0, 1, 14, 2, 0).getTime();
  assert.equal(formatTick(t, 10_000), "14:02:00");
  assert.equal(formatTick(t + 30_000, 30_000), "14:02:30");
  assert.equal(formatTick(t, 60_000), "14:02");
  assert.equal(formatTick(t, 300_000), "14:02");
  assert.equal(formatTick(t, 0), "14:02:00");
  assert.ok(TIME_INCRS.every((s, i) => i === 0 || s > TIME_INCRS[i - 1]));
  assert.ok(TIME_INCRS.filter((s) => s >= 60).every((s) => s % 60 === 0), "steps of a minute or more are whole minutes");
});

test("time ticks over days read as dates: weekday and day, month and day for weeks, the date at midnight", () => {
  const mon = new Date(2024, 0, 1).getTime(); // Monday 1 January, midnight
  const hour = 3_600_000;
  const day = 24 * hour;
  assert.equal(formatTick(mon, day), "Mon 1");
  assert.equal(formatTick(mon + 2 * day, 2 * day), "Wed 3");
  assert.equal(formatTick(mon + 14 * day, 7 * day), "Jan 15");
  assert.equal(formatTick(mon - 2 * day, 14 * day), "Dec 30");
  // Hours: the times, and the day where it starts.
  assert.deepEqual([0, 6, 12, 18, 24].map((h) => formatTick(mon + h * hour, 6 * hour)), ["Mon 1", "06:00", "12:00", "18:00", "Tue 2"]);
  assert.equal(formatTick(mon + 30_000, 10_000), "00:00:30", "not midnight itself");
});

test("a point's time reads by its chart's span, in the axis' words: the day over a day, the month over a week", () => {
  const t = new Date(2024, 0, 1, 14, 5, 12).getTime(); // Monday 1 January
  const hour = 3_600_000;
  const day = 24 * hour;
  assert.equal(formatAt(t, 15 * 60_000), "14:05:12");
  assert.equal(formatAt(t, 6 * hour), "14:05:12");
  assert.equal(formatAt(t, 0), "14:05:12", "no span known: the clock");
  assert.equal(formatAt(t, day), "Mon 1 14:05:12", "the 24h range: a clock time may be yesterday's");
  assert.equal(formatAt(t, 3 * day + hour), "Mon 1 14:05:12");
  assert.equal(formatAt(t, 7 * day), "Mon 1 14:05:12", "the 7d range");
  assert.equal(formatAt(t, 30 * day), "Jan 1 14:05", "the 30d range");
  assert.equal(formatAt(t, 6 * hour, false), "14:05");
  assert.equal(formatAt(t, 2 * day, false), "Mon 1 14:05");
  assert.equal(formatAt(t, 30 * day, false), "Jan 1 14:05");
  assert.equal(formatSpan(t, t + 10 * 60_000), "14:05:12–14:15:12");
  assert.equal(formatSpan(t - 2 * day, t), "Sat 30 14:05–Mon 1 14:05");
  assert.equal(formatSpan(t - 30 * day, t), "Dec 2 14:05–Jan 1 14:05");
  // The pill's: as short as tells the span.
  assert.equal(formatSpanShort(t, t + 10 * 60_000), "14:05:12–14:15:12");
  assert.equal(formatSpanShort(t - 14.5 * hour, t - 14 * hour), "Sun 23:35–Mon 00:05", "across midnight: the weekdays");
  assert.equal(formatSpanShort(t - 28 * hour, t - 4 * hour), "Sun 10:05–Mon 10:05");
  assert.equal(formatSpanShort(t - 7 * day, t), "Mon 14:05–Mon 14:05", "a week: the weekdays yet");
  assert.equal(formatSpanShort(t - 30 * day, t), "Dec 2–Jan 1");
});

// uPlot's choice of time step (axes incrs and space): the least step of
// TIME_INCRS whose ticks are at least space CSS px apart.
function ticksOf(spanMs, dim, labelPx) {
  const space = timeSpace(dim, labelPx);
  const incr = TIME_INCRS.find((s) => (s * 1000 * dim) / spanMs >= space);
  if (!incr) return { incr, count: 0, px: 0 };
  return { incr, count: Math.floor(spanMs / (incr * 1000)), px: (incr * 1000 * dim) / spanMs };
}

test("the time axis has two ticks or more on a narrow chart, and they never overlap", () => {
  const spans = { "1m": 60e3, "5m": 300e3, "15m": 900e3, "1h": 3600e3, "6h": 6 * 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 };
  for (const [name, ms] of Object.entries(spans)) {
    for (const dim of [200, 240, 320, 500, 900, 1400]) {
      const { incr, count, px } = ticksOf(ms, dim);
      assert.ok(incr, `${name} at ${dim} px: a step fits`);
      assert.ok(count >= 2, `${name} at ${dim} px: ${count} ticks of ${incr} s`);
      assert.ok(px >= TIME_LABEL_PX, `${name} at ${dim} px: ${px} px apart`);
    }
  }
  assert.ok(TIME_INCRS.every((s, i) => i === 0 || s <= 2.5 * TIME_INCRS[i - 1]), "no step over 2.5 times the one before");
});

test("time labels keep apart in a wide font: the space is the measured label and a gap", () => {
  // "05:56:30" is 52 px in Chromium's fallback font: ticks 48 px apart ran together.
  for (const labelPx of [40, 52, 61]) {
    for (const dim of [120, 200, 320, 500, 900]) {
      for (const ms of [60e3, 300e3, 900e3, 3600e3]) {
        const { incr, px } = ticksOf(ms, dim, labelPx);
        if (incr) assert.ok(px >= Math.max(labelPx, TIME_LABEL_PX) + TIME_LABEL_GAP, `${labelPx} px labels at ${dim} px over ${ms} ms: ${px} px apart`);
      }
    }
  }
});

test("timeLabelsShown leaves out a label reaching past the plot's left edge or its right padding", () => {
  // Ticks at 5 px (its label would cover the y axis' "0%"), 60 and 115 px; labels 50 px wide.
  assert.deepEqual(timeLabelsShown([5, 60, 115, 190], 25, 200, 26), [false, true, true, true]);
  assert.deepEqual(timeLabelsShown([25, 205], 25, 200, 26), [true, false]);
  assert.deepEqual(timeLabelsShown([], 25, 200, 26), []);
});
