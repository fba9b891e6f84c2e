// The filter box's language: plain words, as before (each must occur,
// ignoring case, in the source, the metric, a label as its chip reads or
// the line's name), and Prometheus' label matchers, so that what a chip
// or the tooltip shows can be pasted back:
//
//	cpu=1   cpu!=1   mode=~"busy|idle"   cpu!~"1.*"   {cpu="1", mode="busy"}   temp{room="kitchen"}
//
// Terms are separated by spaces or commas, a set of them may sit inside
// braces, values may be quoted ("…", '…' or `…`). Every term must hold.
// As in Prometheus, a label a series lacks is the empty value (cpu!=1
// keeps the series without a cpu label), and a regex matches the whole
// value. "source" and "metric" (or __name__) match the series' source and
// metric unless it has a label of that name. A label's name is matched
// ignoring case, as the words are (the legend heads its columns in
// capitals: INSTANCE=3 is instance=3); its value exactly, as in
// Prometheus. Pure.

/** MAX_REGEX is the longest regex a matcher may hold. */
export const MAX_REGEX = 256;

/**
 * @typedef {{word: string} | {name: string, op: "="|"!="|"=~"|"!~", value: string, re?: RegExp}} Term
 * @typedef {{terms: Term[], errors: string[]}} Filter
 * errors: one short sentence per fault (a brace not closed or not
 * opened, a matcher without a value, a quote not closed, an invalid or
 * unbounded regex); a term that could not be read is left out. A filter
 * with errors is not what its writer meant: the page keeps applying its
 * last valid one (choices.js setFilter).
 * @typedef {{source: string, metric: string, labels: Record<string, string>, texts: string[]}} FilterItem
 * texts: what plain words are looked for in.
 */

const SEPARATOR = /[\s,{}]/;
const OPS = ["=~", "!~", "!=", "="];

/**
 * parseFilter reads the filter box's text. It never throws: what it
 * cannot read is said in errors.
 * @param {string} text
 * @returns {Filter}
 */
export function parseFilter(text) {
  const s = String(text || "");
  /** @type {Filter} */
  const f = { terms: [], errors: [] };
  let i = 0;
  let depth = 0; // braces open
  while (i < s.length) {
    if (SEPARATOR.test(s[i])) {
      if (s[i] === "{" && ++depth > 1) f.errors.push("a { inside braces");
      if (s[i] === "}" && --depth < 0) {
        f.errors.push("a } without its {");
        depth = 0;
      }
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !SEPARATOR.test(s[j]) && !"=!~\"'`".includes(s[j])) j++;
    const name = s.slice(i, j);
    let k = j;
    while (k < s.length && /\s/.test(s[k])) k++;
    const op = name ? OPS.find((o) => s.startsWith(o, k)) : undefined;
    if (!op) {
      // A plain word: up to the next separator, whatever it holds.
      while (j < s.length && !SEPARATOR.test(s[j])) j++;
      f.terms.push({ word: s.slice(i, j).toLowerCase() });
      i = j;
      continue;
    }
    k += op.length;
    while (k < s.length && /\s/.test(s[k])) k++;
    if (k >= s.length || SEPARATOR.test(s[k])) {
      // Prometheus' empty value is written out: cpu="".
      f.errors.push(`${name}${op} has no value (${name}${op}"" for an empty one)`);
      i = k;
      continue;
    }
    const [value, end] = readValue(s, k);
    i = end;
    if (end > s.length) {
      f.errors.push(`${name}${op}${s[k]}…: the quote is not closed`);
      continue;
    }
    f.terms.push(matcher(name, /** @type {any} */ (op), value, f.errors));
  }
  if (depth > 0) f.errors.push("a { is not closed");
  f.terms = f.terms.filter(Boolean);
  return f;
}

// readValue reads a quoted or bare value at s[k]: the value and where it ends.
function readValue(s, k) {
  const q = s[k];
  if (q === '"' || q === "'" || q === "`") {
    let out = "";
    let i = k + 1;
    for (; i < s.length && s[i] !== q; i++) {
      if (s[i] === "\\" && q !== "`" && i + 1 < s.length) {
        i++;
        out += { n: "\n", t: "\t" }[s[i]] ?? s[i];
      } else out += s[i];
    }
    return [out, i + 1]; // an unclosed quote ends past the text
  }
  let i = k;
  while (i < s.length && !SEPARATOR.test(s[i])) i++;
  return [s.slice(k, i), i];
}

// matcher builds a label matcher; a regex that cannot be compiled, or could
// take long on a label value, is an error and no term (null).
function matcher(name, op, value, errors) {
  if (op === "=" || op === "!=") return { name, op, value };
  const why = unbounded(value);
  if (why) {
    errors.push(`${name}${op}"${value.slice(0, 40)}": ${why}`);
    return null;
  }
  try {
    return { name, op, value, re: new RegExp(`^(?:${value})$`) };
  } catch (err) {
    errors.push(`${name}${op}"${value.slice(0, 40)}": not a valid regex (${String(err.message || err).replace(/^Invalid regular expression: /, "")})`);
    return null;
  }
}

/**
 * unbounded says why a regex is refused ("" if it is not): longer than
 * MAX_REGEX, a back-reference or look-around (Prometheus' RE2 has
 * neither, and they are what make a match slow), or a repeated group that
 * itself repeats ((a+)+, the classic runaway).
 * @param {string} re
 */
export function unbounded(re) {
  if (re.length > MAX_REGEX) return `a regex of at most ${MAX_REGEX} characters`;
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(re)) return "no back-references or look-arounds";
  if (/\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/.test(re)) return "no repeated group that repeats inside";
  return "";
}

/**
 * matchItem says whether a series passes the filter: every term holds.
 * An empty filter passes everything.
 * @param {Filter} f
 * @param {FilterItem} item
 */
export function matchItem(f, item) {
  return f.terms.every((t) => ("word" in t ? hasWord(item.texts, t.word) : holds(t, labelOf(item, t.name))));
}

/**
 * matchName says whether a source's name alone passes the filter (a
 * source shows by its name although none of its series passes): only
 * when every term is a word in the name or a matcher of "source".
 * @param {Filter} f
 * @param {string} name
 */
export function matchName(f, name) {
  return f.terms.every((t) => ("word" in t ? hasWord([name], t.word) : t.name.toLowerCase() === "source" && holds(t, name)));
}

function hasWord(texts, word) {
  return texts.some((x) => String(x || "").toLowerCase().includes(word));
}

// labelOf is the value of the label name of item: its own spelling
// first, then any other case of it; then the source's or metric's.
function labelOf(item, name) {
  const labels = item.labels || {};
  if (Object.hasOwn(labels, name)) return String(labels[name]);
  const lower = name.toLowerCase();
  for (const k of Object.keys(labels)) if (k.toLowerCase() === lower) return String(labels[k]);
  if (lower === "source") return item.source || "";
  if (lower === "metric" || lower === "__name__") return item.metric || "";
  return "";
}

function holds(t, v) {
  switch (t.op) {
    case "=":
      return v === t.value;
    case "!=":
      return v !== t.value;
    case "=~":
      return t.re.test(v);
    default:
      return !t.re.test(v);
  }
}
