import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PALETTE, lineTint, tintColor } from "../js/palette.js";

// The theme's colours as app.css gives them: the light block, then the dark one.
function themes() {
  const css = readFileSync(new URL("../css/app.css", import.meta.url), "utf8");
  const out = [];
  for (const at of [css.indexOf("--series-0:"), css.lastIndexOf("--series-0:")]) {
    const block = css.slice(Math.max(0, at - 3000), at + 600);
    const get = (name) => [...block.matchAll(new RegExp(`--${name}:\\s*(#[0-9a-f]{6})`, "gi"))].at(-1)[1];
    out.push({ series: Array.from({ length: PALETTE }, (_, i) => get(`series-${i}`)), text: get("chart-text"), panel: get("panel") });
  }
  return out;
}

// lab is a "#rrggbb" colour in CIELAB (D65).
function lab(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [16, 8, 0].map((s) => ((n >> s) & 255) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const f = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047);
  const y = f(r * 0.2126 + g * 0.7152 + b * 0.0722);
  const z = f((r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

// ciede2000 is the CIEDE2000 difference of two CIELAB colours (Sharma, Wu
// and Dalal 2005). Unlike CIE76's plain distance it weighs hue and chroma
// as the eye does: the old palette's teal and cyan (#0d9488, #0891b2),
// which read alike on a chart, are 27.8 apart in CIE76 but 17.3 here;
// its dark orange and amber 28.4 and 16.3. About 2 is barely seen.
function ciede2000([L1, a1, b1], [L2, a2, b2]) {
  const rad = Math.PI / 180;
  const C7 = ((Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(C7 / (C7 + 25 ** 7)));
  const [a1p, a2p] = [a1 * (1 + G), a2 * (1 + G)];
  const [C1, C2] = [Math.hypot(a1p, b1), Math.hypot(a2p, b2)];
  const hue = (b, a) => (b === 0 && a === 0 ? 0 : (Math.atan2(b, a) / rad + 360) % 360);
  const [h1, h2] = [hue(b1, a1p), hue(b2, a2p)];
  let dh = 0;
  if (C1 * C2 !== 0) dh = h2 - h1 > 180 ? h2 - h1 - 360 : h2 - h1 < -180 ? h2 - h1 + 360 : h2 - h1;
  const dH = 2 * Math.sqrt(C1 * C2) * Math.sin((dh / 2) * rad);
  const L = (L1 + L2) / 2;
  const C = (C1 + C2) / 2;
  let H = h1 + h2;
  if (C1 * C2 !== 0) H = (Math.abs(h1 - h2) > 180 ? H + (H < 360 ? 360 : -360) : H) / 2;
  const T = 1 - 0.17 * Math.cos((H - 30) * rad) + 0.24 * Math.cos(2 * H * rad) + 0.32 * Math.cos((3 * H + 6) * rad) - 0.2 * Math.cos((4 * H - 63) * rad);
  const Rc = 2 * Math.sqrt(C ** 7 / (C ** 7 + 25 ** 7));
  const Rt = -Math.sin(60 * Math.exp(-(((H - 275) / 25) ** 2)) * rad) * Rc;
  const Sl = 1 + (0.015 * (L - 50) ** 2) / Math.sqrt(20 + (L - 50) ** 2);
  const [dl, dc, dhh] = [(L2 - L1) / Sl, (C2 - C1) / (1 + 0.045 * C), dH / (1 + 0.015 * C * T)];
  return Math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + Rt * dc * dhh);
}

const deltaE = (a, b) => ciede2000(lab(a), lab(b));

test("ciede2000 gives the published differences of Sharma, Wu and Dalal's test pairs", () => {
  const pairs = [
    [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
    [[50, -1.3802, -84.2814], [50, 0, -82.7485], 1.0],
    [[50, 0, 0], [50, -1, 2], 2.3669],
    [[50, 2.49, -0.001], [50, -2.49, 0.0011], 7.2195],
    [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
    [[22.7233, 20.0904, -46.694], [23.0331, 14.973, -42.5619], 2.0373],
    [[90.8027, -2.0831, 1.441], [91.1528, -1.6435, 0.0447], 1.4441],
  ];
  for (const [a, b, want] of pairs) assert.ok(Math.abs(ciede2000(a, b) - want) < 1e-4, `${a} ${b}: ${ciede2000(a, b)} not ${want}`);
});

test("every pair of a 12-line chart's lines is plainly different (CIEDE2000 ≥ 20), whatever its source's colour, in both themes", () => {
  for (const theme of themes()) {
    for (let base = 0; base < 8; base++) {
      const colors = Array.from({ length: 12 }, (_, k) => tintColor(lineTint(base, k), theme));
      for (let i = 0; i < colors.length; i++) {
        for (let j = i + 1; j < colors.length; j++) {
          const d = deltaE(colors[i], colors[j]);
          assert.ok(d >= 20, `lines ${i} and ${j} from colour ${base} (${colors[i]}, ${colors[j]}) on ${theme.panel}: ΔE00 ${d.toFixed(1)}`);
        }
      }
    }
  }
});

test("every palette colour is a line seen on its panel: 3:1 contrast or more (WCAG 1.4.11)", () => {
  const lum = (hex) => {
    const n = parseInt(hex.slice(1), 16);
    const [r, g, b] = [16, 8, 0].map((s) => ((n >> s) & 255) / 255).map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  for (const theme of themes()) {
    for (const c of theme.series) {
      const [hi, lo] = [lum(c), lum(theme.panel)].sort((a, b) => b - a);
      assert.ok((hi + 0.05) / (lo + 0.05) >= 3, `${c} on ${theme.panel}`);
    }
  }
});
