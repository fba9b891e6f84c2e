// An alert's entries in the event timeline (timeline.js): its changes
// told as Grafana's state history tells them, from what to what, and its
// instances told apart by their labels. Pure.

import { eventClass } from "./events.js";

/** @typedef {import("./timeline.js").TimelineEvent} TimelineEvent */

/**
 * alertEvent turns a server "alert" event (an alert turning pending,
 * firing, or resolved) into an entry, or null for one it does not know.
 * Its text says the change as Grafana's state history does, from what to
 * what, "ShardHot pending → firing (critical)", "ShardHot pending →
 * normal" (a pending that ended unfired), "ShardHot severity warning →
 * critical"; from an older server that did not say what the change left,
 * the state alone, "ShardHot resolved". The Timeline adds the instance's
 * distinguishing labels once the rule has more than one (Timeline.add).
 * A firing alert is marked on the chart of the series it is about (its
 * source's others have nothing to do with it); one about no series on
 * every chart of its source.
 * @param {import("./events.js").StreamEvent} e
 * @returns {TimelineEvent|null}
 */
export function alertEvent(e) {
  const kind = ALERT_KINDS[e.event];
  if (!kind) return null;
  const name = e.name || "alert";
  const source = e.source && e.node ? `${e.node}/${e.source}` : e.source;
  const what = alertChange(e);
  const tail = e.severity && e.event !== "resolved" && (!e.from || e.from !== e.event) ? ` (${e.severity})` : "";
  const instance = e.id || e.series || "";
  const firing = e.event === "firing";
  return {
    kind,
    ts: e.ts,
    source,
    text: alertText(name, "", what, tail),
    detail: "",
    bad: firing,
    marker: firing,
    seq: 0,
    retryAt: 0,
    // One rule, whichever of its series: its churn is told as one entry (groupRuns).
    run: `alert\u0000${source}\u0000${name}`,
    subject: name,
    series: e.series || "",
    what,
    instance,
    labels: e.labels || {},
    tail,
    ident: `${instance}\u0000${what}${tail}`,
    cls: eventClass("alert"),
  };
}

const ALERT_KINDS = { pending: "alert-pending", firing: "alert-firing", resolved: "alert-resolved" };

/**
 * alertChange is an alert event's change in words: "from → to" (resolved
 * reads "normal", as Grafana's state history has it), a firing alert's new
 * severity "severity warning → critical" (a pending one's "severity
 * warning → critical while pending"), or the state alone when the server
 * did not say what the change left.
 * @param {import("./events.js").StreamEvent} e
 */
function alertChange(e) {
  if (!e.from) return e.event;
  if (e.from === e.event) {
    // Told again in the same state: its severity changed. A pending one says it is still pending.
    const change = e.fromSeverity && e.severity ? `severity ${e.fromSeverity} → ${e.severity}` : "severity changed";
    return e.event === "firing" ? change : `${change} while ${e.event}`;
  }
  return `${e.from} → ${e.event === "resolved" ? "normal" : e.event}`;
}

/** alertText is an alert entry's line: the rule, its instance's labels ("{shard=\"2\"}", or ""), the change. */
export function alertText(name, instance, what, tail) {
  return `${name}${instance ? ` ${instance}` : ""} ${what}${tail}`;
}

/**
 * instanceNames names each instance of one rule by the labels that tell
 * them apart, "{shard=\"2\"}", by instance; none when the rule has one
 * instance or its events carry no labels (an older server's).
 * @param {TimelineEvent[]} events the rule's
 * @returns {Map<string, string>}
 */
export function instanceNames(events) {
  const byInstance = new Map();
  for (const e of events) if (e.instance) byInstance.set(e.instance, e.labels);
  const out = new Map();
  if (byInstance.size < 2) return out;
  const all = [...byInstance.values()];
  const keys = [...new Set(all.flatMap((ls) => Object.keys(ls)))].filter((k) => all.some((ls) => ls[k] !== all[0][k])).sort();
  for (const [id, ls] of byInstance) {
    const parts = keys.filter((k) => k in ls).map((k) => `${k}="${ls[k]}"`);
    if (parts.length) out.set(id, `{${parts.join(", ")}}`);
  }
  return out;
}
