// The colours of a chart's lines, one rule for the chart (a canvas
// colour), its legend's swatches and its tooltip's (CSS): the k-th line a
// chart draws takes the palette's colour k places after its group's, and
// past the palette's twelve a mix of that colour with the theme's text or
// panel colour, a different one each round, so that no two lines of a
// chart share a colour however many it has. Pure.

/**
 * PALETTE is how many colours the theme gives (--series-0 … --series-11,
 * app.css): twelve, each plainly unlike every other in both themes
 * (CIEDE2000 20 or more, static/test/palette.test.js), so that a chart of
 * up to twelve lines has no two that read alike; past them lines are
 * mixes, which may come close. The page's sources take the first eight as
 * their colours (sources.js).
 */
export const PALETTE = 12;

/**
 * @typedef {{hue: number, round: number}} Tint
 * hue: the palette index, 0 to PALETTE − 1; round: 0 for the palette's
 * own colour, 1 and on for the mixes (mixOf).
 */

/**
 * lineTint is the colour of the k-th line (from 0, in legend order) of a
 * chart whose first line has the palette's colour base.
 * @param {number} base
 * @param {number} k
 * @returns {Tint}
 */
export function lineTint(base, k) {
  return { hue: (((base + k) % PALETTE) + PALETTE) % PALETTE, round: Math.floor(k / PALETTE) };
}

/**
 * mixOf is how a round's colours are mixed: with the panel's colour on
 * odd rounds (lighter in the light theme, darker in the dark: a change of
 * lightness tells a line from its palette colour better than greying it),
 * the text colour on even ones, by a share that grows every two rounds
 * (45 %, then 60 %, up to 80 %); null for round 0.
 * @param {number} round
 * @returns {{toward: "text"|"panel", share: number}|null}
 */
export function mixOf(round) {
  if (round <= 0) return null;
  return { toward: round % 2 ? "panel" : "text", share: Math.min(80, 45 + 15 * Math.floor((round - 1) / 2)) };
}

/**
 * tintCss is a tint as a CSS colour for a swatch: "" for a palette colour
 * (the element's data-color gives it), else a color-mix() of the theme's
 * variables, so that it follows a theme switch as the palette does.
 * @param {Tint} t
 */
export function tintCss(t) {
  const m = mixOf(t.round);
  if (!m) return "";
  const other = m.toward === "text" ? "--chart-text" : "--panel";
  return `color-mix(in srgb, var(--series-${t.hue}), var(${other}) ${m.share}%)`;
}

/**
 * tintColor is a tint as a canvas colour, from the theme's colours
 * ("#rrggbb": series, text, panel) as CSS mixes them in tintCss.
 * @param {Tint} t
 * @param {{series: string[], text: string, panel: string}} theme
 */
export function tintColor(t, theme) {
  const base = theme.series[t.hue % theme.series.length];
  const m = mixOf(t.round);
  return m ? mixHex(base, m.toward === "text" ? theme.text : theme.panel, m.share / 100) : base;
}

// mixHex mixes two "#rrggbb" colours, share of the second; a colour in
// another form is returned as it is.
function mixHex(a, b, share) {
  const pa = /^#([0-9a-f]{6})$/i.exec(a.trim());
  const pb = /^#([0-9a-f]{6})$/i.exec(b.trim());
  if (!pa || !pb) return a;
  const na = parseInt(pa[1], 16);
  const nb = parseInt(pb[1], 16);
  let out = "#";
  for (const shift of [16, 8, 0]) {
    const c = Math.round(((na >> shift) & 255) * (1 - share) + ((nb >> shift) & 255) * share);
    out += c.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * paintSwatch gives an element (a legend row, a tooltip row) a tint: its
 * data-color, and past the palette a --lc of its own (CSSOM, which the
 * page's CSP allows where a style attribute it would not).
 * @param {HTMLElement} el
 * @param {Tint} t
 */
export function paintSwatch(el, t) {
  el.dataset.color = String(t.hue);
  const css = tintCss(t);
  if (!el.style || !el.style.setProperty) return;
  if (css) el.style.setProperty("--lc", css);
  else el.style.removeProperty("--lc");
}
