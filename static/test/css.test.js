import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

// What the style sheets must not do, checked on their text: the browser
// tests measure contrast (axe-core) only in the states they reach.

const sheets = readdirSync(new URL("../css/", import.meta.url)).map((f) => [f, readFileSync(new URL(`../css/${f}`, import.meta.url), "utf8")]);

// rules lists a sheet's rules as [selector, body], @-blocks' insides included.
function rules(css) {
  const out = [];
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const m of text.matchAll(/([^{}]+)\{([^{}]*)\}/g)) out.push([m[1].trim(), m[2]]);
  return out;
}

test("nothing that holds text is faded with opacity (stale, disconnected, down): contrast would fall under 4.5:1", () => {
  // Allowed: a disabled control (exempt from contrast), a swatch, what is
  // faded out of sight (opacity 0, a toast leaving).
  const allowed = /:disabled|::before|::after/;
  const faded = [];
  for (const [file, css] of sheets) {
    for (const [selector, body] of rules(css)) {
      const m = body.match(/(?:^|;|\s)opacity:\s*([\d.]+)/);
      if (!m || Number(m[1]) === 0 || Number(m[1]) >= 1 || allowed.test(selector)) continue;
      faded.push(`${file}: ${selector} { opacity: ${m[1]} }`);
    }
  }
  assert.deepEqual(faded, []);
});

test("the tree's last crash wraps in the sidebar's column instead of scrolling it sideways", () => {
  const tree = sheets.find(([f]) => f === "tree.css")[1];
  const crash = rules(tree).find(([sel]) => sel === ".node .crash-at");
  assert.ok(crash);
  assert.doesNotMatch(crash[1], /white-space:\s*nowrap/);
});

test("a tree node's name is not cut to a few letters by its restart count: the count wraps first", () => {
  const tree = sheets.find(([f]) => f === "tree.css")[1];
  const name = rules(tree).find(([sel]) => sel === ".node .name");
  assert.match(name[1], /flex:\s*1 1 auto/, "the name claims its own width of its row before the count");
  const dot = rules(tree).find(([sel]) => sel === ".node .dot");
  assert.match(dot[1], /position:\s*absolute/, "a long name keeps the row's first line: the dot is out of the flow, not left alone on it");
  // Whole, wrapped where it has no space to break at: never cut with an ellipsis.
  assert.doesNotMatch(name[1], /text-overflow:\s*ellipsis|white-space:\s*nowrap/);
  assert.match(name[1], /overflow-wrap:\s*anywhere/);
  const node = rules(tree).filter(([sel]) => sel === ".node");
  assert.ok(node.some(([, body]) => /flex-wrap:\s*wrap/.test(body)), "the row wraps");
  const restarts = rules(tree).find(([sel]) => sel === ".node .restarts");
  assert.match(restarts[1], /white-space:\s*nowrap/);
  assert.match(restarts[1], /flex:\s*none/);
});

test("a touch screen's legend hint says what a tap does, not Ctrl/⌘-click", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SeriesCard } = await import("../js/cards.js");
  const { Ring } = await import("../js/ring.js");
  const ring = new Ring();
  ring.push(1, 1);
  const card = new SeriesCard({ id: "a", source: "host", metric: "cpu_percent", labels: { cpu: "0" }, kind: "gauge", last: [1, 1], windows: {}, ring, staleSince: 0 });
  const hint = card.el.one("legend-hint");
  assert.match(hint.one("hint-fine").textContent, /Ctrl\/⌘-click/);
  assert.match(hint.one("hint-touch").textContent, /^Tap a name/);
  const groups = sheets.find(([f]) => f === "groups.css")[1].replace(/\/\*[\s\S]*?\*\//g, "");
  const touch = groups.match(/@media \(hover: none\) and \(pointer: coarse\) \{([\s\S]*?)\n\}/);
  assert.ok(touch, "a touch screen's rules");
  assert.match(touch[1], /\.hint-fine \{\s*display: none;/);
  assert.match(touch[1], /\.hint-touch \{\s*display: inline;/);
});

test("a tree node's state word is in its state's ink, not in the dot's colour", () => {
  const tree = sheets.find(([f]) => f === "tree.css")[1];
  const state = rules(tree).find(([sel]) => sel === ".node .state");
  assert.match(state[1], /color:\s*var\(--node-ink\)/);
});

test("the tooltip's title and line names are shown whole, wrapped, never cut with an ellipsis", () => {
  const chart = rules(sheets.find(([f]) => f === "chart.css")[1]);
  for (const sel of [".tip-title", ".tip-name"]) {
    const [, body] = chart.find(([s]) => s === sel);
    assert.doesNotMatch(body, /text-overflow|overflow:\s*hidden/, sel);
    assert.match(body, /white-space:\s*normal/, sel);
    assert.match(body, /overflow-wrap:\s*anywhere/, sel);
  }
  assert.match(chart.find(([s]) => s === ".tip-head")[1], /flex-wrap:\s*wrap/);
});

test("animations move only opacity and transform, which the compositor plays without a frame of the page (a pulse's background or box-shadow repainted it 60 times a second)", () => {
  const painted = [];
  for (const [file, css] of sheets) {
    const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
    for (const [, name, body] of text.matchAll(/@keyframes ([\w-]+) \{([\s\S]*?)\n\}/g)) {
      for (const [, prop] of body.matchAll(/([\w-]+):/g)) if (prop !== "opacity" && prop !== "transform") painted.push(`${file}: ${name} animates ${prop}`);
    }
  }
  assert.deepEqual(painted, []);
  assert.ok(sheets.some(([, css]) => /@keyframes pulse-ring/.test(css)), "the keyframes are read");
});

test("no :has() in the style sheets: Chromium restyles a :has() rule's subject and what it selects at every change of the DOM inside the subject (a card's text, ten times a second)", () => {
  const found = [];
  for (const [file, css] of sheets) for (const [selector] of rules(css)) if (selector.includes(":has(")) found.push(`${file}: ${selector}`);
  assert.deepEqual(found, []);
});

test("a card showing a tooltip is not clipped by its containment and is above its neighbours", () => {
  const chart = rules(sheets.find(([f]) => f === "chart.css")[1]);
  const [, body] = chart.find(([s]) => s === ".card.is-tipping");
  assert.match(body, /content-visibility:\s*visible/);
  assert.match(body, /z-index:\s*[1-9]/);
});

test("family cards leave no holes: rows of three to five columns fill, a family is two of them or half the row, a lone family has a tall chart", () => {
  // The rows filling is measured in the browser (browser_rows_test.go); here, the widths they start from.
  const layout = sheets.find(([f]) => f === "layout.css")[1].replace(/\/\*[\s\S]*?\*\//g, "");
  const all = sheets.map(([, css]) => rules(css)).flat();
  const body = (sel) => all.filter(([s]) => s === sel).map(([, b]) => b).join(";");
  assert.match(layout, /\.group \{\s*container: source \/ inline-size;/);
  const blocks = [...layout.matchAll(/@container source \(min-width: (\d+)px\) and \(max-width: ([\d.]+)px\) \{([\s\S]*?)\n\}/g)];
  const shared = blocks.find(([, , , inner]) => /flex-wrap: wrap/.test(inner));
  assert.ok(shared, "one query of the rows' rules");
  assert.match(shared[3], /\.card \{\s*flex: 1 1 var\(--column\);/, "a single card a column, growing to fill its row");
  assert.match(shared[3], /\.card\.is-family \{\s*flex-basis: calc\(2 \* var\(--column\) \+ 12px\);/, "a family two");
  assert.match(shared[3], /\.group\[data-families="many"\] \.card\.is-family \{\s*flex-basis: calc\(\(100% - 12px\) \/ 2/, "two families half the row each");
  const counts = blocks.filter((q) => q !== shared).map(([, lo, hi, inner]) => [Number(lo), Number(hi), Number((/--columns: (\d+);/.exec(inner) || [])[1])]);
  assert.deepEqual(counts.map((c) => c[2]), [3, 4, 5]);
  for (const [lo, hi, columns] of counts) {
    assert.equal(lo, columns * 270 + (columns - 1) * 12, `${columns} columns of 270 px from ${lo} px`);
    assert.ok(hi < (columns + 1) * 270 + columns * 12, `and not ${columns + 1} below ${hi} px`);
  }
  const tall = (sel) => Number((/height:\s*(\d+)px/.exec(body(sel)) || [])[1]);
  assert.ok(tall(".card.is-family .chart") > tall(".chart"), "a family's chart is taller than a single line's");
  assert.ok(tall('.group[data-cards="1"] .card.is-family .chart') >= 2 * tall(".chart"), "a family alone on its row, taller still");
});

test("a source's last error and warning and an event's detail are shown whole, wrapped, never cut with an ellipsis (a title reaches no touch or keyboard reader)", () => {
  const cut = [];
  for (const [file, css] of sheets) {
    for (const [selector, body] of rules(css)) {
      if (!/\.last-error|\.last-warning|\.event-detail/.test(selector)) continue;
      if (/text-overflow|white-space:\s*nowrap|overflow:\s*hidden|line-clamp/.test(body)) cut.push(`${file}: ${selector}`);
    }
  }
  assert.deepEqual(cut, []);
  const wraps = (file, sel) => assert.match(rules(sheets.find(([f]) => f === file)[1]).find(([s]) => s === sel)[1], /overflow-wrap:\s*anywhere/, sel);
  wraps("groups.css", ".last-error");
  wraps("groups.css", ".last-warning");
  wraps("timeline.css", ".event-detail");
});

test("the filter's count is drawn clear of the box's border and focus ring, and gives way to the filter's error", () => {
  const app = rules(sheets.find(([f]) => f === "app.css")[1]);
  const [, count] = app.find(([s]) => s === ".filter-count");
  const ring = app.find(([s]) => s.split(",").map((x) => x.trim()).includes(".search input:focus-visible"))[1];
  const reach = parseFloat(ring.match(/outline:\s*([\d.]+)px/)[1]) + parseFloat(ring.match(/outline-offset:\s*([\d.]+)px/)[1]);
  const below = count.match(/top:\s*calc\(100% \+ ([\d.]+)px\)/);
  assert.ok(below, "under the box, not on its top edge");
  assert.ok(Number(below[1]) > reach, `clear of the focus ring (${reach}px out)`);
  assert.ok(app.some(([s, b]) => s === '.search input[aria-invalid="true"] ~ .filter-count' && /display:\s*none/.test(b)));
});

test("on a phone, what floats at the bottom (toasts, the connection-lost banner) sits above the way-back bar", () => {
  // Trial 12 r10: the banner's second line was under the bar at 390x844.
  const layout = sheets.find(([f]) => f === "layout.css")[1];
  const phone = layout.slice(layout.indexOf("@media (max-width: 700px)"));
  const lifted = rules(phone).filter(([, body]) => /bottom:\s*calc\(var\(--wayback-h\)/.test(body)).flatMap(([sel]) => sel.split(",").map((x) => x.trim()));
  for (const sel of [".toasts", "#stale"]) assert.ok(lifted.includes(sel), `${sel} is not lifted above the bar: ${lifted}`);
});
