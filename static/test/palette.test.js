import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { lineTint, tintColor } from "../js/palette.js";

// The theme's colours as app.css gives them: the light block, then the dark one.
function themes() {
  const css = readFileSync(new URL("../css/app.css", import.meta.url), "utf8");
  const out = [];
  for (const at of [css.indexOf("--series-0:"), css.lastIndexOf("--series-0:")]) {
    const block = css.slice(Math.max(0, at - 3000), at + 400);
    const get = (name) => [...block.matchAll(new RegExp(`--${name}:\\s*(#[0-9a-f]{6})`, "gi"))].at(-1)[1];
    out.push({ series: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => get(`series-${i}`)), text: get("chart-text"), panel: get("panel") });
  }
  return out;
}

// deltaE is the CIE76 distance of two "#rrggbb" colours (CIELAB, D65): about 2 is barely seen, 10 plainly.
function deltaE(a, b) {
  const [la, lb] = [a, b].map(lab);
  return Math.hypot(la[0] - lb[0], la[1] - lb[1], la[2] - lb[2]);
}

function lab(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [16, 8, 0].map((s) => ((n >> s) & 255) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const f = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047);
  const y = f(r * 0.2126 + g * 0.7152 + b * 0.0722);
  const z = f((r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

test("every line of a 12-line chart has a colour plainly its own, in both themes", () => {
  for (const theme of themes()) {
    for (const base of [0, 3]) {
      const colors = Array.from({ length: 12 }, (_, k) => tintColor(lineTint(base, k), theme));
      for (let i = 0; i < colors.length; i++) {
        for (let j = i + 1; j < colors.length; j++) {
          const d = deltaE(colors[i], colors[j]);
          assert.ok(d >= 15, `lines ${i} and ${j} (${colors[i]}, ${colors[j]}) on ${theme.panel}: ΔE ${d.toFixed(1)}`);
        }
      }
    }
  }
});
