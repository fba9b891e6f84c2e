// The view in the page's address, so that a link shows what its sender
// saw: the filter, the statistics window, the collapsed sources, hidden
// all-zero lines, the zoomed range (unix ms) and the history range picked
// (rangechoice.js). The address is the only place the view is kept
// (prefs.js holds the theme alone). Pure: the controller reads the
// address at start, writes back at once what it could read (what it
// ignored leaves the address), and writes it again with
// history.replaceState at every change.
//
//	/?filter=cpu%3D1&window=5m&collapsed=demo,host&zeros=hide&from=1700000000000&to=1700000060000
//	/?range=24h  /?range=1700000000000..1700086400000

import { RANGES, readRange, validSpan, writeRange } from "./rangechoice.js";

/**
 * @typedef {{filter: string, window: string, collapsed: string[]|null, hideZero?: boolean,
 *   zoom: [number, number]|null, range?: import("./rangechoice.js").RangeChoice|null}} View
 * collapsed: null when the address does not say (nothing is collapsed),
 * else the collapsed sources; window "" when it does not say; hideZero:
 * there only when the address hides all-zero lines ("zeros=hide");
 * range: there only when the address names a history range.
 */

const KEYS = ["filter", "window", "collapsed", "zeros", "from", "to", "range"];

/**
 * readView reads the view from an address; what it does not hold, or
 * holds garbled, is left to the page's defaults. A zoom or custom range
 * the page could not have shown (rangechoice.js validSpan: shorter than a
 * second, longer than the longest range, starting before 2000, ending in
 * the future of now, the page's clock in unix ms) is garbled too.
 * @param {string} href
 * @param {number} [now]
 * @returns {View}
 */
export function readView(href, now = Date.now()) {
  const p = new URL(href).searchParams;
  const from = Number(p.get("from"));
  const to = Number(p.get("to"));
  const c = p.get("collapsed");
  /** @type {View} */
  const view = {
    filter: p.get("filter") || "",
    window: p.get("window") || "",
    collapsed: c === null ? null : c.split(",").filter(Boolean),
    zoom: p.has("from") && p.has("to") && validSpan(from, to, now) ? [from, to] : null,
  };
  if (p.get("zeros") === "hide") view.hideZero = true;
  // "window=1h" names a history range, as "range=1h" does: taken as one
  // rather than left for the default window.
  let asked = p.get("range");
  if (!asked && RANGES.includes(view.window)) [asked, view.window] = [view.window, ""];
  const range = readRange(asked, now);
  if (range) view.range = range;
  return view;
}

/**
 * viewURL is the address href with the view in it (path, query and hash,
 * for history.replaceState); other parameters are kept, except tokens
 * (admin.js takes them out at start: they never go back in). Defaults are
 * left out: no filter, nothing collapsed, zeros shown, no zoom, no
 * history range.
 * @param {string} href
 * @param {View} view
 */
export function viewURL(href, view) {
  const u = new URL(href);
  for (const k of [...KEYS, "admin", "token"]) u.searchParams.delete(k);
  if (view.filter) u.searchParams.set("filter", view.filter);
  if (view.window) u.searchParams.set("window", view.window);
  if (view.collapsed && view.collapsed.length) u.searchParams.set("collapsed", view.collapsed.join(","));
  if (view.hideZero) u.searchParams.set("zeros", "hide");
  if (view.range) u.searchParams.set("range", writeRange(view.range));
  if (view.zoom) {
    u.searchParams.set("from", String(Math.round(view.zoom[0])));
    u.searchParams.set("to", String(Math.round(view.zoom[1])));
  }
  return u.pathname + u.search + u.hash;
}

/**
 * asWritten is an address as viewURL writes one (path, query and hash),
 * the tokens left out (admin.js takes them out at start): where it
 * differs from viewURL's, the address holds a view parameter the page
 * ignored, and the controller writes viewURL's at once.
 * @param {string} href
 */
export function asWritten(href) {
  const u = new URL(href);
  const p = new URLSearchParams(u.search);
  p.delete("admin");
  p.delete("token");
  const q = p.toString();
  return u.pathname + (q ? `?${q}` : "") + u.hash;
}

/**
 * readTarget reads what an alert's link (its generatorURL) points at: the
 * hash "#series=<id>" or "#source=<name>". Empty strings when it points at
 * neither.
 * @param {string} href
 * @returns {{series: string, source: string}}
 */
export function readTarget(href) {
  const p = new URLSearchParams(new URL(href).hash.slice(1));
  return { series: p.get("series") || "", source: p.get("source") || "" };
}
