// Metric families: the series of one source and one metric that differ
// only in their labels (per CPU, per interface, a `count:` expansion) are
// drawn as one chart with a line each. What is decided here: which family
// a series is in, how its lines are ordered and named, which labels they
// share, and which lines are all zero. Pure functions: no DOM.

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/**
 * compareNatural orders strings as people count: "load1" < "load5" <
 * "load15", "cpu=2" < "cpu=10".
 * @param {string} a
 * @param {string} b
 */
export function compareNatural(a, b) {
  return collator.compare(a, b);
}

/**
 * familyKey is the family a series belongs to: its source and metric.
 * @param {{source: string, metric: string}} st
 */
export function familyKey(st) {
  return `${st.source}\u0000${st.metric}`;
}

/**
 * splitLabels finds which label keys tell a family's members apart
 * (varying, in natural order) and which label pairs they all share
 * (common, a key → value object).
 * @param {Array<Record<string, string>>} labelSets
 * @returns {{varying: string[], common: Record<string, string>}}
 */
export function splitLabels(labelSets) {
  const keys = new Set();
  for (const ls of labelSets) for (const k of Object.keys(ls || {})) keys.add(k);
  const varying = [];
  const common = {};
  for (const k of [...keys].sort(compareNatural)) {
    const first = (labelSets[0] || {})[k];
    if (labelSets.every((ls) => ls && ls[k] === first)) common[k] = first;
    else varying.push(k);
  }
  return { varying, common };
}

/**
 * lineName names a member by the values of the varying labels ("1",
 * "eth0 · rx"); a member without them is "(none)", and a family of one
 * has no varying label, so its name is "".
 * @param {Record<string, string>} labels
 * @param {string[]} varying
 */
export function lineName(labels, varying) {
  if (!varying.length) return "";
  const vals = varying.map((k) => (labels && labels[k] !== undefined ? labels[k] : "–"));
  return vals.every((v) => v === "–") ? "(none)" : vals.join(" · ");
}

/**
 * isAllZero says whether a series was zero all through the window, by its
 * window statistics: a gauge with min and max 0, a counter (charted as a
 * rate) that did not move. A window without samples is not "zero".
 * @param {{count?: number, min?: number|null, max?: number|null, rate?: number|null}} w
 * @param {boolean} rate whether the series is charted as its rate
 */
export function isAllZero(w, rate) {
  if (!w || !w.count) return false;
  return rate ? w.rate === 0 : w.min === 0 && w.max === 0;
}

/**
 * aggregateOf says, per member of a family (its label sets, in order),
 * whether it is an aggregate of the others: a label value "total" where
 * the members' values differ (cpu="total" beside cpu="0", cpu="1"), or
 * labels that are a strict subset of every other member's (a sum without
 * the cpu label beside the per-CPU series). Its scale is the others'
 * added up (143 % beside lines of 0–100 %), so the chart leaves it out:
 * its value is in the card's legend. A family of aggregates only (or of
 * one member) has none.
 * @param {Array<Record<string, string>>} labelSets
 * @returns {boolean[]}
 */
export function aggregateOf(labelSets) {
  const sets = labelSets.map((ls) => ls || {});
  if (sets.length < 2) return sets.map(() => false);
  const { varying } = splitLabels(sets);
  const subsetOf = (a, b) => {
    const keys = Object.keys(a);
    return keys.length < Object.keys(b).length && keys.every((k) => b[k] === a[k]);
  };
  const out = sets.map((ls, i) => varying.some((k) => ls[k] === "total") || sets.every((o, j) => j === i || subsetOf(ls, o)));
  return out.every(Boolean) ? out.map(() => false) : out;
}

/**
 * totalName names an aggregate member (aggregateOf) whose label value is
 * "total" by how many members it sums: the value becomes "total of N
 * <key>s" ("total of 2 CPUs · busy"), N the other values of that key among
 * the members. Its figures are the members' added up (a CPU-seconds
 * total reads "busy 157 %"): without N a sum over cores read as a share
 * of one. name as lineName gives it when there is nothing to add.
 * @param {Record<string, string>} labels
 * @param {string[]} varying
 * @param {Array<Record<string, string>>} labelSets every member's
 */
export function totalName(labels, varying, labelSets) {
  const vals = varying.map((k) => {
    const v = labels && labels[k] !== undefined ? labels[k] : "–";
    if (v !== "total") return v;
    const n = new Set(labelSets.map((ls) => ls && ls[k]).filter((x) => x !== undefined && x !== "total")).size;
    return n > 1 ? `total of ${n} ${pluralKey(k)}` : v;
  });
  return vals.every((v) => v === "–") ? "(none)" : vals.join(" · ");
}

// pluralKey names many of a label key's things: "CPUs" for cpu (as people write it), else key + "s".
function pluralKey(k) {
  return k.toLowerCase() === "cpu" ? "CPUs" : `${k}s`;
}
