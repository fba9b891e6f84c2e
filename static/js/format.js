// Units guessed from metric names, and the number formatting of the whole
// page. Pure functions: no DOM, tested with `node --test static/test/`.

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const SI = ["", "k", "M", "G", "T", "P", "E"];

/**
 * unitOf guesses how to show a metric from its name (Prometheus naming:
 * the unit is the last word, `_total` marks a counter) and its kind.
 * A counter is shown as its rate per second.
 * @param {string} metric
 * @param {string} [kind] "gauge" or "counter"
 * @returns {{base: "bytes"|"seconds"|"percent"|"ratio"|"celsius"|"plain", rate: boolean}}
 */
export function unitOf(metric, kind) {
  let name = String(metric || "");
  const rate = kind === "counter" || name.endsWith("_total");
  if (name.endsWith("_total")) name = name.slice(0, -"_total".length);
  let base = "plain";
  if (name.endsWith("_bytes")) base = "bytes";
  else if (name.endsWith("_seconds")) base = "seconds";
  else if (name.endsWith("_percent")) base = "percent";
  else if (name.endsWith("_ratio")) base = "ratio";
  else if (name.endsWith("_celsius")) base = "celsius";
  return { base, rate };
}

/**
 * fixed renders x with about three significant digits, in a stable width:
 * 1234 → "1234", 123.4 → "123", 12.34 → "12.3", 1.234 → "1.23",
 * 0.01234 → "0.0123". Integers below 1000 stay exact.
 * @param {number} x
 */
export function fixed(x) {
  if (x === 0 || Object.is(x, -0)) return "0";
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e4) return String(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.001) return x.toPrecision(3);
  return x.toExponential(1);
}

function scaled(v, step, names) {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= step && i < names.length - 1) {
    x /= step;
    i++;
  }
  return { text: fixed(x), unit: names[i] };
}

/**
 * formatValue renders a value in its guessed unit, as a number and a unit
 * shown apart (the unit is styled smaller). null, undefined and NaN are "–".
 * @param {number|null|undefined} v
 * @param {{base: string, rate: boolean}} unit from unitOf
 * @returns {{text: string, unit: string}}
 */
export function formatValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return { text: "–", unit: "" };
  if (!Number.isFinite(v)) return { text: v > 0 ? "∞" : "−∞", unit: "" };
  const per = unit && unit.rate ? "/s" : "";
  switch (unit && unit.base) {
    case "bytes": {
      const r = scaled(v, 1024, BINARY);
      return { text: r.text, unit: r.unit + per };
    }
    case "seconds":
      return seconds(v, per);
    case "percent":
      return { text: fixed(v), unit: "%" + per };
    case "ratio":
      return { text: fixed(v * 100), unit: "%" + per };
    case "celsius":
      return { text: fixed(v), unit: "°C" + per };
    default: {
      const r = scaled(v, 1000, SI);
      return { text: r.text, unit: r.unit + per };
    }
  }
}

function seconds(v, per) {
  const a = Math.abs(v);
  if (a === 0) return { text: "0", unit: "s" + per };
  if (a < 1e-3) return { text: fixed(v * 1e6), unit: "µs" + per };
  if (a < 1) return { text: fixed(v * 1e3), unit: "ms" + per };
  if (a < 120 || per) return { text: fixed(v), unit: "s" + per };
  if (a < 7200) return { text: fixed(v / 60), unit: "min" };
  return { text: fixed(v / 3600), unit: "h" };
}

/** formatCompact is formatValue in one string, for axes and stats. */
export function formatCompact(v, unit) {
  const f = formatValue(v, unit);
  if (!f.unit) return f.text;
  // Units that read as part of the number go without a space.
  return /^(%|°C)/.test(f.unit) ? f.text + f.unit : `${f.text} ${f.unit}`;
}

/**
 * formatMs renders a poll latency given in milliseconds.
 * @param {number|null|undefined} ms
 */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  return formatCompact(ms / 1000, { base: "seconds", rate: false });
}

const pad2 = (n) => String(n).padStart(2, "0");

/** formatClock renders a unix-ms time as local HH:MM:SS. */
export function formatClock(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * formatTick renders a time-axis tick: HH:MM:SS on spans up to five
 * minutes, HH:MM beyond.
 */
export function formatTick(ms, spanMs) {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return spanMs > 300_000 ? hm : `${hm}:${pad2(d.getSeconds())}`;
}

/**
 * formatAgo renders how long before now a unix-ms time was: "now", "4s
 * ago", "3 min ago", "2 h ago"; "never" for 0 or less.
 */
export function formatAgo(ms, now) {
  if (!ms || ms <= 0) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 1) return "now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** formatLabels renders a label set as `k="v", …` (empty for none). */
export function formatLabels(labels) {
  if (!labels) return "";
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(", ");
}

/**
 * windowMs parses a window name from hello, as the server writes them:
 * "1m", "15m", "1h30m", "90s", "500ms". NaN if it is not one.
 */
export function windowMs(name) {
  const s = String(name);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  const mult = { ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
  let total = 0;
  let parts = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) return NaN;
    total += Number(m[1]) * mult[m[2]];
    parts++;
  }
  return parts ? total : NaN;
}
