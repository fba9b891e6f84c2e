// Churn in the event timeline (timeline.js) told as one entry: an alert
// rule flapping, a source crashing over and over, its polls failing and
// working again, a server starting its sources. Pure.

import { formatAt, formatClock } from "./format.js";

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
 * sources started) begins another group. The entries themselves, and the
 * charts' markers, stay one per event.
 * @param {TimelineEvent[]} list newest first
 * @param {number} [min]
 * @returns {(TimelineEvent|EventGroup)[]}
 */
export function groupRuns(list, min = GROUP_MIN) {
  const open = new Map();
  const runOf = list.map((e) => {
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

// What a group counts of its run, by family: kind and verb (an alert's
// run is counted by state change: alertParts).
const COUNTED = {
  cycle: [["crash", "crashed"], ["restart", "restarted"], ["parked", "parked"]],
  polls: [["down", "polls failed"], ["up", "worked again"]],
};

/**
 * groupText tells a run (newest first) in one line: its subject, how many
 * of each kind, and over when, "ShardHot: fired 7×, resolved 7× (14:02–14:09)",
 * "crashed 3×, restarted 3× (14:02–14:05)", "45 sources started
 * (06:30:01–06:30:02)"; the times to the second when the run is within a
 * minute, with the day when it spans days' boundaries. Resolutions of
 * firings before the run (or before the list's start) say so, "resolved
 * 3× (1 fired before)", so that counts never look impossible.
 * @param {string} family
 * @param {TimelineEvent[]} run
 */
export function groupText(family, run) {
  const n = new Map();
  for (const e of run) n.set(e.kind, (n.get(e.kind) || 0) + 1);
  let parts;
  if (family === "alert") parts = alertParts(run);
  else parts = (COUNTED[family] || []).filter(([kind]) => n.get(kind)).map(([kind, verb]) => `${verb} ${n.get(kind)}×`);
  if (family === "start") parts.push(`${new Set(run.map((e) => e.source)).size} sources started`);
  if (!parts.length) parts.push(`${run.length}×`);
  const from = run.at(-1).ts;
  const to = run[0].ts;
  const sameDay = new Date(from).toDateString() === new Date(to).toDateString();
  let a = formatAt(from, sameDay ? 0 : DAY_MS, false);
  let b = formatAt(to, sameDay ? 0 : DAY_MS, false);
  if (a === b) [a, b] = [formatClock(from), formatClock(to)];
  const subject = run[0].subject ? `${run[0].subject}: ` : "";
  return `${subject}${parts.join(", ")} (${a === b ? a : `${a}–${b}`})`;
}

// alertParts tells an alert rule's run (newest first) by state change,
// series by series in time order: "fired" is a turn to firing, "resolved"
// a firing's end, "resolved … (N fired before)" the end of one that fired
// before the run, "severity changed" a firing that changed its severity
// (firing again while firing), "pending cleared" a pending that ended
// without firing; the pending are told only when none fired.
function alertParts(run) {
  const state = new Map(); // series → "pending" | "firing"
  const c = { fired: 0, resolved: 0, before: 0, severity: 0, cleared: 0, pending: 0 };
  for (let i = run.length - 1; i >= 0; i--) {
    const e = run[i];
    const key = e.series || "";
    const was = state.get(key);
    if (e.kind === "alert-pending") {
      c.pending++;
      state.set(key, "pending");
    } else if (e.kind === "alert-firing") {
      if (was === "firing") c.severity++;
      else c.fired++;
      state.set(key, "firing");
    } else if (e.kind === "alert-resolved") {
      if (was === "firing") c.resolved++;
      else if (was === "pending") c.cleared++;
      else c.before++;
      state.delete(key);
    }
  }
  const parts = [];
  if (c.fired) parts.push(`fired ${c.fired}×`);
  else if (c.pending) parts.push(`pending ${c.pending}×`);
  // With no firing, a pending's end is what the run resolved.
  const resolved = c.resolved + c.before + (c.fired ? 0 : c.cleared);
  if (resolved) parts.push(`resolved ${resolved}×${c.before ? ` (${c.before} fired before)` : ""}`);
  if (c.severity) parts.push(`severity changed ${c.severity}×`);
  if (c.cleared && c.fired) parts.push(`pending cleared ${c.cleared}×`);
  return parts;
}
