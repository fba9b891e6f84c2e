import { test } from "node:test";
import assert from "node:assert/strict";
import { matchItem, matchName, MAX_REGEX, parseFilter, unbounded } from "../js/filter.js";

// The filter box's language: plain words and Prometheus' label matchers.

const item = (labels, source = "host", metric = "cpu_percent") => ({
  source,
  metric,
  labels,
  texts: [source, metric, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")],
});
const cpu1 = item({ cpu: "1", mode: "busy" });
const cpu10 = item({ cpu: "10", mode: "idle" });
const load = item({}, "host", "load1");
const all = { cpu1, cpu10, load };
const passing = (text) => {
  const f = parseFilter(text);
  assert.deepEqual(f.errors, [], text);
  return Object.keys(all).filter((k) => matchItem(f, all[k]));
};

test("the four matchers, as Prometheus reads them", () => {
  assert.deepEqual(passing("cpu=1"), ["cpu1"], "equal, not a prefix");
  assert.deepEqual(passing("cpu!=1"), ["cpu10", "load"], "a missing label is the empty value");
  assert.deepEqual(passing("cpu=~1.*"), ["cpu1", "cpu10"]);
  assert.deepEqual(passing('cpu=~"1"'), ["cpu1"], "a regex matches the whole value");
  assert.deepEqual(passing('cpu!~"1.*"'), ["load"]);
  assert.deepEqual(passing('cpu=""'), ["load"]);
});

test("several matchers, by commas or spaces, in braces, quoted: every one holds", () => {
  assert.deepEqual(passing("cpu=1,mode=busy"), ["cpu1"]);
  assert.deepEqual(passing("cpu=1, mode=idle"), []);
  assert.deepEqual(passing('{cpu="1"}'), ["cpu1"], "the tooltip's own form");
  assert.deepEqual(passing('{cpu="10", mode="idle"}'), ["cpu10"]);
  assert.deepEqual(passing("cpu_percent{cpu='1'}"), ["cpu1"], "a metric before the braces is a word");
  assert.deepEqual(passing("mode = busy"), ["cpu1"], "spaces around the operator");
  assert.deepEqual(passing('mode=~"busy|idle"'), ["cpu1", "cpu10"]);
  assert.deepEqual(passing('mode="a b, c"'), [], "a quoted value keeps its spaces and commas");
  assert.deepEqual(parseFilter('x="a \\" b"').terms, [{ name: "x", op: "=", value: 'a " b' }]);
});

test("plain words still match anywhere, ignoring case; source and metric are matchers too", () => {
  assert.deepEqual(passing("HOST"), ["cpu1", "cpu10", "load"]);
  assert.deepEqual(passing("load"), ["load"]);
  assert.deepEqual(passing("host busy"), ["cpu1"]);
  assert.deepEqual(passing("metric=load1"), ["load"]);
  assert.deepEqual(passing("__name__=~cpu.*"), ["cpu1", "cpu10"]);
  assert.deepEqual(passing("source=host cpu=10"), ["cpu10"]);
  assert.deepEqual(passing(""), ["cpu1", "cpu10", "load"]);
  assert.equal(matchName(parseFilter("source=host"), "host"), true);
  assert.equal(matchName(parseFilter("hos"), "host"), true);
  assert.equal(matchName(parseFilter("cpu!=1"), "host"), false, "a label matcher does not show a source by its name");
});

test("a regex that cannot be read or could run away is said, not thrown, and left out", () => {
  const bad = parseFilter('cpu=~"[" mode=busy');
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0], /^cpu=~"\[": not a valid regex/);
  assert.deepEqual(Object.keys(all).filter((k) => matchItem(bad, all[k])), ["cpu1"], "the rest applies");
  assert.match(unbounded("(a+)+$"), /repeats/);
  assert.match(unbounded("(x|y*){2,}"), /repeats/);
  assert.match(unbounded("(a)\\1"), /back-references/);
  assert.match(unbounded("(?=a)b"), /look-arounds/);
  assert.match(unbounded("a".repeat(MAX_REGEX + 1)), /at most/);
  assert.equal(unbounded("(busy|idle)+"), "");
  assert.equal(unbounded("[0-9]+"), "");
  assert.equal(parseFilter('cpu=~"(a+)+"').terms.length, 0);
  // A runaway pattern is refused before it meets a long value.
  const t0 = performance.now();
  matchItem(parseFilter('x=~"(a+)+b"'), item({ x: "a".repeat(40) }));
  assert.ok(performance.now() - t0 < 100);
});

test("half-typed filters read as something, never throw", () => {
  for (const text of ["cpu=", "cpu!", "=1", "{", "}", '"', "cpu=~", 'a="unclosed', "!~x", "~", ",,,", "{cpu=1"]) {
    assert.doesNotThrow(() => {
      const f = parseFilter(text);
      for (const it of Object.values(all)) matchItem(f, it);
    }, text);
  }
  assert.deepEqual(parseFilter("=1").terms, [{ word: "=1" }]);
});

test("a filter that cannot be read says why: braces, a matcher without a value, a quote not closed", () => {
  const errs = (t) => parseFilter(t).errors;
  assert.deepEqual(errs("{{"), ["a { inside braces", "a { is not closed"]);
  assert.deepEqual(errs("{cpu="), ['cpu= has no value (cpu="" for an empty one)', "a { is not closed"]);
  assert.deepEqual(errs("{cpu=}"), ['cpu= has no value (cpu="" for an empty one)']);
  assert.deepEqual(errs("cpu=1 }"), ["a } without its {"]);
  assert.deepEqual(errs('cpu="1'), ['cpu="…: the quote is not closed']);
  for (const ok of ['{cpu="1"}', 'cpu=""', "cpu= 1", 'temp{room="k"}', "a{b}", ""]) assert.deepEqual(errs(ok), [], ok);
});

test("a label's name is matched in any case, as the legend's heads show it; its value exactly", () => {
  assert.deepEqual(passing("CPU=1"), ["cpu1"], "the legend heads the column CPU");
  assert.deepEqual(passing("Mode=~busy|idle"), ["cpu1", "cpu10"]);
  assert.deepEqual(passing("mode=BUSY"), [], "values are exact, as in Prometheus");
  assert.deepEqual(passing("SOURCE=host METRIC=load1"), ["load"]);
  assert.equal(matchName(parseFilter("Source=host"), "host"), true);
  const both = item({ Zone: "a", zone: "b" });
  assert.equal(matchItem(parseFilter("zone=b"), both), true, "its own spelling first");
  assert.equal(matchItem(parseFilter("Zone=a"), both), true);
});
