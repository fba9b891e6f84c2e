// A family card's legend rows (cards.js): one per line, named by the label
// values that tell the lines apart, in natural order. A line is drawn and
// its row has a swatch and a toggle; an aggregate of the others (a
// "total", a sum over the per-CPU lines: family.js aggregateOf) is not
// drawn, since on the others' axis it would squash them (143 % beside
// lines of 0–100 %), so its row is figures only: no swatch, no toggle.
// The drawn lines take the palette in order (palette.js), as the chart
// and the tooltip do.

import { joined, staleText } from "./cardtext.js";
import { h, setText, setTitle } from "./dom.js";
import { aggregateOf, compareNatural, lineName, totalName } from "./family.js";
import { lineTint, paintSwatch } from "./palette.js";
import { shareFigures, shareTable } from "./sharedscale.js";

/**
 * LINE_HINT is what a legend's line name does, pointer and keyboard
 * alike: its title, which is also its accessible description, after the
 * line's state (lineHint). The button is pressed while its line is shown.
 */
const LINE_HINT = "Click or Enter: this line alone (again: all). Ctrl/⌘-click or Ctrl/⌘+Enter: hide or show it.";

/** lineHint is a line name's title: whether its line is shown, then LINE_HINT. */
export function lineHint(hidden) {
  return `${hidden ? "Hidden" : "Shown"}. ${LINE_HINT}`;
}

/** AGGREGATE_HINT says why an aggregate's row has no line. */
const AGGREGATE_HINT = "The other lines added up: shown as figures, not drawn (on their axis it would flatten them).";

/**
 * legendTable makes a family's legend: a table with a caption saying what
 * a click on a name does, a head row (the key column's head, keyHead,
 * which the card names by its varying labels; the value column's, nowHead:
 * "now", "last" over a span of the past, or the cursor's time; then the
 * statistics' heads) and an empty body for legendRow's rows. markOffline
 * marks the value column's figures as the last received while the page is
 * disconnected: "(stale)" after nowHead in its head, where it is seen and
 * read with every figure of the column, and removed (not hidden: the
 * head's text is its word alone) once connected.
 * @param {boolean} rate a counter's legend: "mean rate", "increase" and "total" columns
 */
export function legendTable(rate) {
  const keyHead = h("th", { scope: "col" });
  // A counter's "now" is its rate now; its window's rate is a mean, and says so.
  const heads = (rate ? ["now", "mean rate", "increase", "total"] : ["now", "min", "max", "mean"]).map((t) => h("th", { scope: "col" }, t));
  const nowHead = h("span", "now-word", "now");
  heads[0].replaceChildren(nowHead);
  const note = h("span", "offline-note", " (stale)");
  const markOffline = (offline) => (offline ? heads[0].append(note) : note.remove());
  const body = h("tbody");
  // What a click on a name does is said under the legend, and on each name.
  const hint = h("caption", "legend-hint", h("span", "hint-fine", "Click a name to show that line alone, Ctrl/⌘-click to hide it (keys: Enter, Ctrl/⌘+Enter)"), h("span", "hint-touch", "Tap a name to show that line alone, tap it again for all")); // which one shows: groups.css
  const table = h("table", "legend-table", hint, h("thead", null, h("tr", null, keyHead, ...heads)), body);
  return { table, keyHead, nowHead, markOffline, body };
}

/**
 * legendRow makes a line's legend row: its name (a toggle button, or for
 * an aggregate a plain name) and four cells of figures.
 * @param {string} id the series id
 * @param {(toggle: boolean) => void} onClick called with whether Ctrl or ⌘ was held
 */
export function legendRow(id, onClick) {
  const button = h("button", { type: "button", class: "line-name", "aria-pressed": "true", title: lineHint(false) });
  button.addEventListener("click", (ev) => onClick(ev.ctrlKey || ev.metaKey));
  // A keyboard's Ctrl/⌘-click: a browser need not pass the modifier on
  // to the click Enter makes.
  button.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !(ev.ctrlKey || ev.metaKey)) return;
    ev.preventDefault();
    onClick(true);
  });
  const aggName = h("span", { class: "line-agg", title: AGGREGATE_HINT });
  const head = h("th", { scope: "row" }, button);
  const cells = [0, 1, 2, 3].map(() => h("td", "num"));
  const row = h("tr", { class: "line", dataset: { series: id } }, head, ...cells);
  return { row, head, button, aggName, cells };
}

/**
 * layoutLegend names the lines by the varying label keys, orders them
 * naturally, marks the aggregates and paints the drawn lines' swatches
 * from the palette's colour base on; it appends the rows to body in that
 * order and returns the lines so ordered.
 * @template {{st: {labels: Record<string, string>}, name: string, aggregate: boolean, hidden: boolean,
 *   row: HTMLElement, head: HTMLElement, button: HTMLElement, aggName: HTMLElement}} L
 * @param {L[]} lines
 * @param {string[]} varying
 * @param {number} base
 * @param {HTMLElement} body
 * @returns {L[]}
 */
export function layoutLegend(lines, varying, base, body) {
  const all = [...lines];
  for (const l of all) l.name = lineName(l.st.labels, varying);
  all.sort((a, b) => compareNatural(a.name, b.name));
  const sets = all.map((l) => l.st.labels);
  const agg = aggregateOf(sets);
  let k = 0;
  for (const [i, l] of all.entries()) {
    l.aggregate = agg[i];
    // A sum over the others says over how many: "total of 2 CPUs · busy".
    if (l.aggregate) l.name = totalName(l.st.labels, varying, sets);
    setText(l.button, l.name);
    setText(l.aggName, l.name);
    const name = l.aggregate ? l.aggName : l.button;
    if (l.head.firstChild !== name) l.head.replaceChildren(name);
    l.row.classList.toggle("is-aggregate", l.aggregate);
    if (l.aggregate) {
      l.hidden = false;
      showLineState(l);
      delete l.row.dataset.color;
    } else paintSwatch(l.row, lineTint(base, k++));
    body.append(l.row);
  }
  return all;
}

/**
 * clickLines is a legend click on line among the drawn lines: alone, the
 * line is shown by itself (or, if it already is, every line comes back);
 * with toggle (Ctrl or ⌘), the line is hidden or shown.
 * @param {{hidden: boolean, button: HTMLElement}[]} drawn
 * @param {{hidden: boolean}} line
 * @param {boolean} toggle
 */
export function clickLines(drawn, line, toggle) {
  if (toggle) {
    line.hidden = !line.hidden;
  } else {
    const solo = !line.hidden && drawn.every((l) => l === line || l.hidden);
    for (const l of drawn) l.hidden = solo ? false : l !== line;
  }
  for (const l of drawn) showLineState(l);
}

// showLineState tells a line's name button whether its line is shown:
// pressed (the style strikes a hidden one through) and in its description.
function showLineState(l) {
  if (l.button.getAttribute("aria-pressed") !== String(!l.hidden)) l.button.setAttribute("aria-pressed", String(!l.hidden));
  setTitle(l.button, lineHint(l.hidden));
}

/**
 * showLegendFigures writes a family's legend figures (cards.js columns:
 * sharedscale.js figures, the rows in legend order), each group of
 * columns (groups: sharedscale.js columnGroups; without, each column its
 * own) in one format for all rows ("8.9 %" beside "94.3 %"); a stale
 * line's value cell says since when it is stale, and a value of the past
 * (at: when it was, "" none in the span, null live) says when on hover:
 * "last point at 14:02:10", the span's last point, not its end.
 * While the cursor is on the chart (hovering) the value column is the
 * cursor's (showLegendValues) and is left alone, but the statistics are
 * written: a zoom made by dragging ends with the cursor on the chart, and
 * the legend must then cover the zoomed span, as a lone card's do.
 * @param {{l: {st: {staleSince: number}, cells: HTMLElement[]}, cols: {text: string, unit: string}[], at: string|null}[]} rows
 * @param {boolean} [hovering]
 * @param {number[][]} [groups]
 */
export function showLegendFigures(rows, hovering = false, groups = undefined) {
  const n = rows.length ? rows[0].cols.length : 0;
  const table = shareTable(
    rows.map((r) => r.cols),
    groups || Array.from({ length: n }, (_, i) => [i]),
  );
  const columns = Array.from({ length: n }, (_, i) => table.map((r) => r[i]));
  rows.forEach(({ l, at }, r) => {
    // A stale line's value column says since when: written once, not the
    // value and then that (every write of a changed text lays it out).
    const gone = !hovering && l.st.staleSince > 0 && at === null;
    columns.forEach((col, i) => {
      if (i > 0 || !hovering) setText(l.cells[i], i === 0 && gone ? staleText(l.st) : joined(col[r]));
    });
    if (hovering) return;
    setTitle(l.cells[0], at ? `last point at ${at}` : "");
  });
}

/**
 * showLegendValues writes the value column of every row (figs in the
 * lines' order: the values under the cursor, sharedscale.js figures), in
 * one format.
 * @param {{cells: HTMLElement[]}[]} lines
 * @param {{text: string, unit: string}[]} figs
 */
export function showLegendValues(lines, figs) {
  shareFigures(figs).forEach((f, i) => setText(lines[i].cells[0], joined(f)));
}
