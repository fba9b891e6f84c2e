// What the page says about everything at once: which cards the filter
// lets through and how many series that is, the overview's figures, the
// tree in one line (what a phone shows of it), and the sources and tree
// as shown while disconnected. Pure but for the cards' and groups'
// hidden flags.

import { matchItem, matchName, parseFilter } from "./filter.js";
import { sourceHealth } from "./sources.js";
import { crashText, crashTime } from "./treemodel.js";

const nf = new Intl.NumberFormat("en-US");

/**
 * filterGroups hides the cards (and the groups) the filter (filter.js)
 * does not match: a card shows if one of its series matches, a group if
 * one of its cards or its name does. It returns how many cards show, how
 * many series of how many match, and the line the filter box shows:
 * "3 of 31 series", and what of the filter could not be read. With
 * hideZero the matches count only the lines that show: an all-zero line
 * (its card's update marks it) is hidden by the page's style, so it is
 * not counted as shown, and the line says how many it hid ("52 of 73
 * series, 21 all-zero hidden"), filter or none. A filter's matches
 * inside a collapsed group show no card: each group's header counts its
 * own ("3 of 37 series": SourceGroup.showMatched) and the line says how
 * many are folded away ("3 of 48 series, 3 in collapsed host"), so a
 * count never claims what the page does not show.
 * @param {Iterable<import("./sources.js").SourceGroup>} groups
 * @param {string} filter
 * @param {boolean} [hideZero] whether all-zero lines are hidden
 */
export function filterGroups(groups, filter, hideZero = false) {
  const f = parseFilter(filter);
  let shown = 0;
  let series = 0;
  let matched = 0;
  let zeros = 0; // matched, but hidden by Hide zeros
  const folded = []; // [source, matches] of the collapsed groups that hold matches
  for (const g of groups) {
    let n = 0;
    let lines = 0; // this group's matches that show
    let total = 0;
    for (const card of g.cards.values()) {
      const items = card.lineItems();
      const matches = items.map((item) => matchItem(f, item));
      const hits = matches.filter(Boolean).length;
      const zero = hideZero ? card.zeroLines() : [];
      // A card whose every line misses is hidden whole; one that keeps
      // some draws only those (cpu=1 on the per-CPU chart: its one line).
      card.filterLines(hits ? matches : matches.map(() => true));
      series += items.length;
      total += items.length;
      lines += matches.filter((m, i) => m && !zero[i]).length;
      zeros += matches.filter((m, i) => m && zero[i]).length;
      card.el.hidden = hits === 0;
      if (hits) n++;
    }
    g.el.hidden = n === 0 && !matchName(f, g.name);
    matched += lines;
    const narrowed = lines < total;
    if (g.showMatched) g.showMatched(narrowed ? lines : null);
    if (g.collapsed && lines > 0 && !g.el.hidden) folded.push([g.name, lines]);
    shown += n;
  }
  // Hide zeros says what it hid, with or without a filter.
  const hid = hideZero ? `, ${nf.format(zeros)} all-zero hidden` : "";
  const count = (filter && filter.trim()) || hideZero ? `${nf.format(matched)} of ${nf.format(series)} series${foldedText(folded)}${hid}` : "";
  return { shown, series, matched, errors: f.errors, count: [count, ...f.errors].filter(Boolean).join("; ") };
}

// foldedText is what the filter's count adds for matches in collapsed
// groups (folded: [source, matches]): ", 3 in collapsed host", ", 5 in 2
// collapsed groups"; "" for none.
function foldedText(folded) {
  if (folded.length === 0) return "";
  const n = folded.reduce((sum, [, k]) => sum + k, 0);
  return `, ${nf.format(n)} in ${folded.length === 1 ? `collapsed ${folded[0][0]}` : `${folded.length} collapsed groups`}`;
}

/**
 * overview is the stream panel's figures and the tree's summary line;
 * while disconnected no source is said to be running. A source is up as
 * its badge says (sources.js sourceHealth): running and not failing its
 * polls (a lone failed poll is not down on the page, down.js, where
 * /metrics' pulseboard_source_up is 0 at once); a running one that is
 * down is counted "down", not "running".
 * The summary line also names the source that crashed last, and when
 * (its tree node's words: treemodel.js crashText), so that a folded tree
 * still answers "when did it last crash?".
 * Under a filter (o.shown: the sources whose groups it shows) the line
 * speaks of those only, out of all: "1 of 46 sources: 1 running", and
 * of none when none matches: the page's own "No source or metric
 * matches …" (the tree then lists no source either). The stream panel's
 * figures stay the whole server's.
 * @param {import("./store.js").Store} store
 * @param {{connected: boolean, series: number, messages: number,
 *   crashAt?: (name: string) => number, now?: number,
 *   shown?: Set<string>|null, filter?: string}} o crashAt: the
 *   timeline's latest crash of a source (unix ms, 0: none); now: the
 *   page's clock (unix ms), for how long ago; shown: the sources the
 *   filter shows (null or absent: no filter); filter: its text
 */
export function overview(store, o) {
  let running = 0;
  let listed = 0;
  const states = new Map();
  for (const [name, s] of store.sources) {
    const { badge } = sourceHealth(s);
    if (badge === "running") running++;
    if (o.shown && !o.shown.has(name)) continue;
    listed++;
    states.set(badge, (states.get(badge) || 0) + 1);
  }
  const n = store.sources.size;
  const figures = {
    sources: `${o.connected ? running : "?"}/${n}`,
    series: nf.format(o.series),
    points: nf.format(store.pointCount()),
    messages: nf.format(o.messages),
  };
  if (o.shown && listed === 0 && n > 0) return { summary: `No source or metric matches “${o.filter || ""}”.`, ...figures };
  const noun = `${o.shown ? `${nf.format(listed)} of ` : ""}${nf.format(n)} ${n === 1 ? "source" : "sources"}`;
  const said = `${noun}${n ? ": " : ""}${[...states].map(([s, k]) => `${k} ${s}`).join(", ")}`;
  const crash = o.crashAt ? lastCrash(store, o.crashAt, o.connected ? o.now || 0 : 0, o.shown) : "";
  return {
    summary: (!o.connected ? `${noun}: state unknown (disconnected)` : said) + (crash ? ` · ${crash}` : ""),
    ...figures,
  };
}

/** lastCrash is crashText of the source that crashed last (of those shown, if given), named; "" if none did. */
function lastCrash(store, crashAt, now, shown) {
  let last = null;
  for (const [name, src] of store.sources) {
    if (shown && !shown.has(name)) continue;
    const c = crashAt(name);
    const at = crashTime(src, c);
    if (at > 0 && (!last || at > last.at)) last = { name, src, c, at };
  }
  return last ? crashText(last.src, last.c, now, last.name) : "";
}

/**
 * unknownSource is a source as shown while the page is disconnected: what
 * it was last known to be, its state and health unknown, and stale: its
 * times are shown as clock times marked stale, never as "… ago", which
 * would claim nothing happened since (sources.js, treemodel.js crashText).
 */
export function unknownSource(src) {
  return { ...src, state: "unknown", up: undefined, stale: true };
}

/** unknownTree is a supervision tree with every state unknown and stale (disconnected). */
export function unknownTree(node) {
  return { ...node, state: "unknown", stale: true, children: node.children.map(unknownTree) };
}
