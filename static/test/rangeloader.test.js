import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_MESSAGES_PER_S, MAX_RANGE_SERIES, PENDING_TIMEOUT_MS, RangeLoader, rangeRequests } from "../js/rangeloader.js";

// Asking for history: requests batched and paced, answers taken only for
// the current span.

const ids = (n, base = 0) => Array.from({ length: n }, (_, i) => (base + i).toString(16).padStart(16, "0"));

function loader() {
  const sent = [];
  const clock = { now: 1_000_000 };
  let open = true;
  const l = new RangeLoader({
    send: (m) => (open ? (sent.push(m), true) : false),
    now: () => clock.now,
  });
  return { l, sent, clock, close: () => (open = false), open: () => (open = true) };
}

test("requests name at most 150 series each, fit the server's 4 KiB, and clamp the points", () => {
  const reqs = rangeRequests(ids(301), { from: 1000.7, to: 5000.2, points: 9999 }, 7);
  assert.deepEqual(
    reqs.map((r) => [r.id, r.series.length]),
    [
      [7, 150],
      [8, 150],
      [9, 1],
    ],
  );
  assert.equal(reqs[0].from, 1000);
  assert.equal(reqs[0].to, 5001);
  assert.equal(reqs[0].points, 2000);
  assert.equal(reqs[0].type, "range");
  assert.ok(JSON.stringify(reqs[0]).length <= 4096, `${JSON.stringify(reqs[0]).length} bytes`);
  assert.equal("points" in rangeRequests(ids(1), { from: 0, to: 1 }, 1)[0], false);
  assert.equal(MAX_RANGE_SERIES, 150);
});

test("the series shown are asked for once a span, paced to a few messages a second", () => {
  const { l, sent, clock } = loader();
  assert.equal(l.want(ids(3)), 0, "no span, nothing asked");
  l.setSpan(0, 3_600_000, 500);
  const many = ids(150 * (MAX_MESSAGES_PER_S + 2));
  assert.equal(l.want(many), MAX_MESSAGES_PER_S);
  assert.equal(l.want(many), 0, "the second's budget is spent");
  clock.now += 1000;
  assert.equal(l.want(many), 2, "the rest a second later");
  assert.equal(l.want(many), 0, "asked for already");
  assert.equal(new Set(sent.flatMap((m) => m.series)).size, many.length, "each series once");
  assert.deepEqual(
    sent.map((m) => m.id),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

test("an answer of the current span is taken; an overtaken, unknown or repeated one is dropped", () => {
  const { l, sent } = loader();
  l.setSpan(0, 100_000, 500);
  const [a, b] = ids(2);
  l.want([a, b]);
  const old = sent[0].id;
  l.setSpan(0, 50_000, 500); // a zoom: a new span
  l.want([a, b]);
  const cur = sent[1].id;
  assert.deepEqual(l.receive({ type: "range", id: old, step: 1000, series: [{ id: a, points: [[0, 9]] }] }), [], "overtaken");
  assert.equal(l.answer(a), undefined);
  assert.deepEqual(l.receive({ type: "range", id: 999, series: [] }), [], "never asked");
  const got = l.receive({
    type: "range",
    id: cur,
    from: 0,
    to: 50_000,
    step: 1000,
    tier: "1m",
    series: [
      { id: a, points: [[0, 2, 1, 3]] },
      { id: b, points: [], error: "unknown series" },
    ],
  });
  assert.deepEqual(got, [a, b]);
  assert.deepEqual(l.answer(a).cols, { t: [0], mean: [2], min: [1], max: [3], inc: [null], n: [null] });
  assert.equal(l.answer(a).tier, "1m");
  assert.equal(l.answer(a).step, 1000);
  assert.equal(l.answer(b).error, "unknown series");
  assert.deepEqual(l.receive({ type: "range", id: cur, series: [] }), [], "answered once");
  assert.equal(l.want([a, b]), 0, "answered, an error too: not asked again for this span");
});

test("a new span keeps the answers it has until its own come; clear forgets them", () => {
  const { l, sent } = loader();
  const [a] = ids(1);
  l.setSpan(0, 100_000, 500);
  l.want([a]);
  l.receive({ type: "range", id: sent[0].id, step: 1000, series: [{ id: a, points: [[0, 1]] }] });
  l.setSpan(0, 10_000, 500);
  assert.deepEqual(l.answer(a).cols.t, [0], "shown meanwhile");
  assert.equal(l.want([a]), 1, "asked for again at the finer span");
  l.clear();
  assert.equal(l.answer(a), undefined);
  assert.equal(l.want([a]), 0);
});

test("a refused request is each series' error; a request lost with its connection is asked again", () => {
  const { l, sent, clock, close, open } = loader();
  const [a, b] = ids(2);
  l.setSpan(0, 100_000, 500);
  close();
  assert.equal(l.want([a]), 0, "not connected: not sent");
  open();
  assert.equal(l.want([a]), 1);
  l.receive({ type: "range", id: sent[0].id, error: "too many series", series: [] });
  assert.equal(l.answer(a).error, "too many series");
  assert.deepEqual(l.answer(a).cols.t, []);
  assert.equal(l.want([b]), 1);
  assert.equal(l.asked(b), true);
  clock.now += PENDING_TIMEOUT_MS;
  assert.equal(l.asked(b), false);
  assert.equal(l.want([b]), 1, "asked again");
  assert.deepEqual(l.receive({ type: "range", id: sent[1].id, series: [] }), [], "the given-up request's late answer is dropped");
});
