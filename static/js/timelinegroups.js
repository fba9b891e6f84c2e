// Churn in the event timeline (timeline.js) told as one entry: an alert
// rule flapping, a source crashing over and over, its polls failing and
// working again, a server starting its sources. Pure.

import { formatAt } from "./format.js";

/** RUN_GAP_MS is the longest quiet time within one group of a run: a longer one starts another. */
export const RUN_GAP_MS = 10 * 60_000;

/** START_GAP_MS is the longest time between two sources' first starts told as one "sources started". */
export const START_GAP_MS = 10_000;

const DAY_MS = 86_400_000;

/**
 * GROUP_MIN is the fewest entries of one run told as a group: one alert's
 * pending, firing and resolved, or one crash, backoff and restart, read
 * best as they are; a second round is churn.
 */
export const GROUP_MIN = 4;

/**
 * @typedef {import("./timeline.js").TimelineEvent} TimelineEvent
 * @typedef {{group: true, key: string, family: string, source: string,
 *   events: TimelineEvent[], text: string, bad: boolean}} EventGroup
 * events: the run's entries, newest first (events[0]: the newest state);
 * source: theirs ("" for sources started together);
 * key: the run and its oldest entry's seq, the same while the run grows;
 * text: groupText's; bad: the newest is a failure.
 */

/**
 * groupRuns folds churn in a list of entries, newest first (Timeline.list):
 * the entries of one run (an alert rule on any of its series, a source's
 * crash and restart cycles, its polls failing and working again, sources
 * started for the first time: TimelineEvent run), GROUP_MIN or more, become
 * one EventGroup in the place of the newest. Nothing between them parts
 * them, neither other runs' entries nor those told alone (a reload, a
 * lost connection: they keep their own place in time), so that a rule
 * flapping among other sources' events is one group, not six: only a
 * quiet time longer than RUN_GAP_MS within the run (START_GAP_MS for
 * sources started) begins another group, and a server's start or restart
 * ends every run: what a state was across it is unknown (an alert firing
 * when the server stopped is evaluated anew), and a group spanning it
 * would list the restart out of time order, below entries after it. The
 * entries themselves, and the charts' markers, stay one per event.
 * @param {TimelineEvent[]} list newest first
 * @param {number} [min]
 * @returns {(TimelineEvent|EventGroup)[]}
 */
export function groupRuns(list, min = GROUP_MIN) {
  const open = new Map();
  const runOf = list.map((e) => {
    if (e.kind === "server-restart" || e.kind === "server-start") open.clear();
    if (!e.run) return null;
    const gap = e.run.startsWith("start\u0000") ? START_GAP_MS : RUN_GAP_MS;
    let r = open.get(e.run);
    if (!r || r.at(-1).ts - e.ts > gap) open.set(e.run, (r = []));
    r.push(e);
    return r;
  });
  const out = [];
  list.forEach((e, i) => {
    const r = runOf[i];
    if (!r || r.length < min) out.push(e);
    else if (r[0] === e) {
      const family = e.run.slice(0, e.run.indexOf("\u0000"));
      const source = family === "start" ? "" : e.source;
      out.push({ group: true, key: `${e.run}\u0000${r.at(-1).seq}`, family, source, events: r, text: groupText(family, r), bad: e.bad });
    }
  });
  return out;
}

// What a group counts of its run, by family: kind and the words its
// entries' lines begin with (timeline.js), so that a reader who opens it
// can count the lines and find the same numbers. An alert's run is counted
// by the change each line says (TimelineEvent what).
const COUNTED = {
  cycle: [["crash", "crashed"], ["backoff", "backing off"], ["restart", "restarted"], ["parked", "parked"]],
  polls: [["down", "polls failing"], ["up", "polls work again"]],
};

/**
 * groupText tells a run (newest first) in one line: its subject, how many
 * of each kind in the words of its entries' lines, and over when,
 * "ShardHot: normal → pending 7×, pending → firing 5×, firing → normal 5×,
 * pending → normal 2× (14:02:10–14:09:40)", "crashed 3×, backing off 3×,
 * restarted 3× (14:02:00–14:05:10)", "45 sources started (06:30:01–06:30:02)";
 * the times always to the second, with the day when the run spans days'
 * boundaries. An alert's changes are counted in the order they first
 * happened.
 * @param {string} family
 * @param {TimelineEvent[]} run
 */
export function groupText(family, run) {
  let parts;
  if (family === "alert") parts = alertParts(run);
  else {
    const n = new Map();
    for (const e of run) n.set(e.kind, (n.get(e.kind) || 0) + 1);
    parts = (COUNTED[family] || []).filter(([kind]) => n.get(kind)).map(([kind, words]) => `${words} ${n.get(kind)}×`);
  }
  if (family === "start") parts.push(`${new Set(run.map((e) => e.source)).size} sources started`);
  if (!parts.length) parts.push(`${run.length}×`);
  const from = run.at(-1).ts;
  const to = run[0].ts;
  const span = new Date(from).toDateString() === new Date(to).toDateString() ? 0 : DAY_MS;
  const a = formatAt(from, span);
  const b = formatAt(to, span);
  const subject = run[0].subject ? `${run[0].subject}: ` : "";
  return `${subject}${parts.join(", ")} (${a === b ? a : `${a}–${b}`})`;
}

// alertParts counts an alert rule's run (newest first) by the change each
// entry says, "pending → firing 5×": the same words as the lines,
// whatever their series, in the order of an alert's life (ALERT_ORDER;
// others, a severity's change among them, in the order they first
// happened, after the turns to pending and firing).
function alertParts(run) {
  const n = new Map();
  for (let i = run.length - 1; i >= 0; i--) {
    const what = run[i].what || run[i].kind;
    n.set(what, (n.get(what) || 0) + 1);
  }
  const rank = (what) => ALERT_ORDER[what] ?? 10;
  return [...n].sort(([a], [b]) => rank(a) - rank(b)).map(([what, k]) => `${what} ${k}×`);
}

// ALERT_ORDER ranks an alert's changes as its life runs: pending, firing,
// (then the rest: severity changes, 10) and back to normal; the states
// alone, of a server that did not say what a change left, likewise.
const ALERT_ORDER = {
  "normal → pending": 0,
  pending: 0,
  "pending → firing": 1,
  "normal → firing": 1,
  firing: 1,
  "pending → normal": 20,
  "firing → pending": 20,
  "firing → normal": 21,
  resolved: 21,
};

/**
 * foldMarkers folds an alert rule's churn among a chart's markers (oldest
 * first, Timeline.chartMarkers) as groupRuns folds it in the list: the
 * markers of one rule on one source (Marker run "alert…"), GROUP_MIN or
 * more with no quiet time over RUN_GAP_MS between them and no server
 * start or restart among them, become one marker at the first one's time,
 * until the last one's, with a count of each change in its text
 * ("ShardHot: severity warning → critical 12×, critical → warning 11×")
 * and the markers it holds as members (the label and the tooltip list
 * them: plugins.js markerLines). A flapping rule's twenty changes a minute
 * would otherwise hatch the chart over. Every other marker (a crash, a
 * restart, a reload) stays as it is. Pure; a new list.
 * @param {import("./timeline.js").Marker[]} list
 * @param {number} [min]
 * @returns {import("./timeline.js").Marker[]}
 */
export function foldMarkers(list, min = GROUP_MIN) {
  const open = new Map();
  const runOf = list.map((m) => {
    if (m.kind === "server-restart" || m.kind === "server-start") open.clear();
    if (!m.run || !m.run.startsWith("alert\u0000")) return null;
    let r = open.get(m.run);
    if (!r || m.ts - r.at(-1).ts > RUN_GAP_MS) open.set(m.run, (r = []));
    r.push(m);
    return r;
  });
  const out = [];
  list.forEach((m, i) => {
    const r = runOf[i];
    if (!r || r.length < min) out.push(m);
    else if (r[0] === m) {
      const subject = m.subject ? `${m.subject}: ` : "";
      const newestFirst = [...r].reverse();
      out.push({
        ts: m.ts,
        until: r.at(-1).ts,
        ok: r.every((x) => x.ok),
        kind: m.kind,
        source: m.source,
        text: `${subject}${alertParts(newestFirst).join(", ")}`,
        series: "",
        members: r,
      });
    }
  });
  return out;
}
