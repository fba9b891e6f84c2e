import { test } from "node:test";
import assert from "node:assert/strict";
import { Store, restartGap } from "../js/store.js";

const win = (last) => ({ "1m": { count: 1, min: last, max: last, mean: last, last, rate: null, p50: last, p90: last, p99: last } });

function series(id, points, extra = {}) {
  return {
    id,
    source: "demo",
    metric: `m_${id}`,
    labels: {},
    kind: "gauge",
    last: points.length ? points[points.length - 1] : null,
    windows: win(points.length ? points[points.length - 1][1] : null),
    points,
    ...extra,
  };
}

function snapshot(seq, ts, list, sources = [{ name: "demo", state: "running", restarts: 0 }]) {
  return { type: "snapshot", seq, ts, sources, series: list };
}

test("hello sets windows and history", () => {
  const s = new Store();
  s.hello({ type: "hello", version: "1.2.3", windows: ["1m", "5m"], history_seconds: 60 });
  assert.equal(s.version, "1.2.3");
  assert.deepEqual(s.windows, ["1m", "5m"]);
  assert.equal(s.historyMs, 60_000);
  s.hello({ type: "hello", version: "x", history_seconds: -1 });
  assert.equal(s.historyMs, 60_000, "a nonsense history is ignored");
});

test("a snapshot draws the full history at once", () => {
  const s = new Store();
  const ch = s.snapshot(
    snapshot(5, 3000, [
      series("a", [
        [1000, 1],
        [2000, 2],
      ]),
      series("b", []),
    ]),
  );
  assert.equal(ch.reset, true);
  assert.deepEqual(ch.added.sort(), ["a", "b"]);
  assert.equal(s.series.get("a").ring.length, 2);
  assert.deepEqual([...s.sources.keys()], ["demo"]);
  assert.equal(ch.tree, true);
});

test("a later snapshot removes the series it does not list", () => {
  const s = new Store();
  s.snapshot(snapshot(5, 3000, [series("a", [[1000, 1]]), series("b", [[1000, 1]])]));
  const ch = s.snapshot(snapshot(9, 4000, [series("b", [[1000, 1]])], []));
  assert.deepEqual(ch.removed, ["a"]);
  assert.deepEqual(ch.added, []);
  assert.deepEqual([...s.series.keys()], ["b"]);
  assert.equal(s.sources.size, 0);
});

test("deltas append points, replace windows and sources", () => {
  const s = new Store();
  s.snapshot(snapshot(1, 1000, [series("a", [[1000, 1]])]));
  const ch = s.delta({
    type: "delta",
    seq: 2,
    ts: 2000,
    points: {
      a: [
        [1500, 2],
        [2000, 3],
      ],
      unknown: [[2000, 1]],
    },
    windows: { a: win(3) },
    sources: [{ name: "demo", state: "backoff", restarts: 1 }],
    added: [],
    removed: [],
  });
  const a = s.series.get("a");
  assert.equal(a.ring.length, 3);
  assert.deepEqual(a.last, [2000, 3]);
  assert.equal(a.windows["1m"].last, 3);
  assert.deepEqual([...ch.points], ["a"]);
  assert.deepEqual([...ch.windows], ["a"]);
  assert.deepEqual([...ch.sources], ["demo"]);
  assert.equal(ch.tree, true, "a source change changes the tree");
  assert.equal(s.sources.get("demo").state, "backoff");
});

test("added series appear with their points, removed ones disappear", () => {
  const s = new Store();
  s.snapshot(snapshot(1, 1000, [series("a", [[1000, 1]])]));
  const ch = s.delta({
    type: "delta",
    seq: 2,
    ts: 2000,
    points: {},
    windows: {},
    sources: [],
    added: [series("c", [[1900, 7]])],
    removed: ["a", "never-seen"],
  });
  assert.deepEqual(ch.removed, ["a"]);
  assert.deepEqual(ch.added, ["c"]);
  assert.deepEqual([...s.series.keys()], ["c"]);
  assert.equal(s.series.get("c").ring.valueAt(0), 7);
  assert.equal(ch.tree, false);
});

test("a tree in a snapshot or delta is picked up", () => {
  const s = new Store();
  const tree = {
    name: "root",
    strategy: "rest_for_one",
    children: [
      { name: "aggregator", state: "running", restarts: 2 },
      { name: "collectors", strategy: "one_for_one", state: "running", restarts: 0 },
      { name: "dashboard", state: "running", restarts: 0 },
    ],
  };
  s.snapshot({ ...snapshot(1, 1000, []), tree });
  assert.equal(s.tree().children[0].restarts, 2);
  const ch = s.delta({ type: "delta", seq: 2, ts: 2000, tree: { ...tree, children: [{ name: "aggregator", state: "backoff", restarts: 3 }] } });
  assert.equal(ch.tree, true);
  assert.equal(s.tree().children[0].state, "backoff");
});

test("memory is bounded by the history length", () => {
  const s = new Store();
  s.hello({ type: "hello", version: "1", windows: ["1m"], history_seconds: 10 });
  s.snapshot(snapshot(1, 0, [series("a", [])]));
  // A day of points every 100ms: the store never holds more than 10s worth.
  let seq = 1;
  let max = 0;
  for (let t = 100; t <= 86_400_000; t += 100 * 97) {
    const pts = [];
    for (let k = 96; k >= 0; k--) pts.push([t - k * 100, Math.sin(t)]);
    seq++;
    s.delta({ type: "delta", seq, ts: t, points: { a: pts } });
    max = Math.max(max, s.series.get("a").ring.capacity);
  }
  assert.ok(s.pointCount() <= 101, `holds ${s.pointCount()} points`);
  assert.ok(max <= 512, `capacity reached ${max}`);
});

test("trimAll ages series that receive nothing", () => {
  const s = new Store();
  s.hello({ type: "hello", version: "1", windows: ["1m"], history_seconds: 10 });
  s.snapshot(
    snapshot(1, 5000, [
      series("quiet", [
        [1000, 1],
        [5000, 2],
      ]),
      series("busy", [[5000, 1]]),
    ]),
  );
  s.delta({ type: "delta", seq: 2, ts: 14_000, points: { busy: [[14_000, 2]] } });
  assert.equal(s.series.get("quiet").ring.length, 2);
  s.trimAll();
  assert.equal(s.series.get("quiet").ring.length, 1);
});

test("a delta's events are returned in order", () => {
  const s = new Store();
  s.snapshot(snapshot(1, 1000, [series("a", [[1000, 1]])]));
  const ch = s.delta({
    type: "delta",
    seq: 3,
    from: 2,
    ts: 3000,
    events: [
      { kind: "reload", ts: 1500, ok: true, message: "config reloaded: added x", added: ["x"] },
      { kind: "something-new", ts: 1600 },
      { kind: "reload", ts: 2500, ok: false, message: "bad", errors: ["c.yaml:1:1: bad"] },
    ],
  });
  assert.deepEqual(
    ch.events.map((e) => [e.kind, e.ts]),
    [
      ["reload", 1500],
      ["something-new", 1600],
      ["reload", 2500],
    ],
  );
  const quiet = s.delta({ type: "delta", seq: 4, ts: 3100, points: { a: [[3100, 2]] } });
  assert.deepEqual(quiet.events, []);
});

test("each source received comes with the one it replaced, in deltas and snapshots", () => {
  const s = new Store();
  s.hello({ type: "hello", version: "1", instance: "abc", windows: ["1m"] });
  assert.equal(s.instance, "abc");
  const first = s.snapshot(snapshot(1, 1000, []));
  assert.deepEqual(first.sourceDiffs, [{ prev: undefined, next: { name: "demo", state: "running", restarts: 0 } }]);
  const backoff = { name: "demo", state: "backoff", restarts: 0 };
  const ch = s.delta({ type: "delta", seq: 2, ts: 2000, sources: [backoff] });
  assert.deepEqual(ch.sourceDiffs, [{ prev: { name: "demo", state: "running", restarts: 0 }, next: backoff }]);
  const again = s.snapshot(snapshot(9, 6000, [], [{ name: "demo", state: "running", restarts: 1 }]));
  assert.deepEqual(again.sourceDiffs.map((d) => [d.prev.state, d.next.state]), [["backoff", "running"]], "a resync tells what changed meanwhile");
});

test("a source that left the configuration is dropped, unless it came back", () => {
  const s = new Store();
  const two = [
    { name: "demo", state: "running", restarts: 0 },
    { name: "gone", state: "running", restarts: 0 },
  ];
  s.snapshot(snapshot(1, 1000, [series("a", [[1000, 1]]), series("g", [[1000, 2]], { source: "gone" })], two));
  const ch = s.delta({ type: "delta", seq: 2, ts: 2000, points: {}, windows: {}, sources: [], added: [], removed: ["g"], sources_removed: ["gone"] });
  assert.deepEqual(ch.sourcesRemoved, ["gone"]);
  assert.deepEqual(ch.removed, ["g"]);
  assert.equal(ch.tree, true);
  assert.deepEqual([...s.sources.keys()], ["demo"]);
  assert.equal(s.series.has("g"), false);

  // Removed and back within one merged delta: it stays.
  const back = s.delta({
    type: "delta",
    seq: 4,
    from: 3,
    ts: 3000,
    points: {},
    windows: {},
    sources: [{ name: "demo", state: "running", restarts: 0 }],
    added: [],
    removed: [],
    sources_removed: ["demo"],
  });
  assert.deepEqual(back.sourcesRemoved, ["demo"]);
  assert.deepEqual([...back.sources], ["demo"]);
  assert.deepEqual([...s.sources.keys()], ["demo"]);

  // An unknown name or garbage changes nothing.
  const none = s.delta({ type: "delta", seq: 5, ts: 4000, points: {}, windows: {}, sources: [], added: [], removed: [], sources_removed: ["nope", 7, null] });
  assert.deepEqual(none.sourcesRemoved, []);
});

test("staleness: a series' stale and stale_since, then the delta's stale map (0: live again)", () => {
  const s = new Store();
  s.snapshot(
    snapshot(1, 5000, [
      series("a", [[1000, 1]], { stale: true, stale_since: 4000 }),
      series("b", [[1000, 1]]),
      series("c", [[1000, 1]], { stale: true }),
    ]),
  );
  assert.equal(s.series.get("a").staleSince, 4000);
  assert.equal(s.series.get("b").staleSince, 0, "absent: live");
  assert.equal(s.series.get("c").staleSince, 5000, "stale without a time: stale from the page's clock");

  const ch = s.delta({ type: "delta", seq: 2, ts: 6000, points: { b: [[6000, null]] }, windows: {}, stale: { a: 0, b: 5900, gone: 5900 }, sources: [], added: [], removed: [] });
  assert.equal(s.series.get("a").staleSince, 0);
  assert.equal(s.series.get("b").staleSince, 0, "held: stale for less than a lone failed poll (down.js)");
  assert.deepEqual([...ch.stale].sort(), ["a"], "an unknown id is ignored");
  assert.equal(s.series.get("b").last[1], null, "a NaN sample arrives as null and is kept as a gap");

  const again = s.delta({ type: "delta", seq: 3, ts: 8000, points: {}, windows: {}, stale: { b: 5900 }, sources: [], added: [], removed: [] });
  assert.equal(s.series.get("b").staleSince, 5900, "held long enough: shown");
  assert.deepEqual([...again.stale], ["b"], "an unchanged staleness is not a change, but its showing is");
  const still = s.delta({ type: "delta", seq: 3, ts: 8100, points: {}, windows: {}, stale: { b: 5900 }, sources: [], added: [], removed: [] });
  assert.equal(still.stale.size, 0, "an unchanged staleness is not a change");
  const none = s.delta({ type: "delta", seq: 4, ts: 8200, points: {}, windows: {}, sources: [], added: [], removed: [] });
  assert.equal(none.stale.size, 0, "no stale member: nothing changes");
  assert.equal(s.series.get("b").staleSince, 5900);

  s.delta({ type: "delta", seq: 5, ts: 8300, points: {}, windows: {}, sources: [], added: [series("b", [[8300, 2]])], removed: [] });
  assert.equal(s.series.get("b").staleSince, 0, "a series re-added whole carries its own staleness");
});

test("a series remembers the first point the server held when it sent it whole", () => {
  const s = new Store();
  s.snapshot(snapshot(1, 5000, [series("a", [[1000, 1], [2000, 2]]), series("b", [])]));
  assert.equal(s.series.get("a").since, 1000);
  assert.equal(s.series.get("b").since, 5000, "none yet: from now");
  s.delta({ type: "delta", seq: 2, ts: 6000, points: { a: [[6000, 3]] } });
  assert.equal(s.series.get("a").since, 1000, "live points do not move it");
  // A restarted server: its history starts again, the page keeps its own points.
  s.snapshot(snapshot(1, 9000, [series("a", [[8000, 5]])]));
  assert.equal(s.series.get("a").since, 8000);
  assert.equal(s.series.get("a").ring.firstTime(), 1000);
});

test("a restarted server's stored points are cut from its new ones by a gap", () => {
  const ringOf = (s, id) => {
    const r = s.series.get(id).ring;
    return Array.from({ length: r.length }, (_, i) => [r.timeAt(i), r.valueAt(i)]);
  };
  const s = new Store();
  s.hello({ type: "hello", version: "1", windows: ["1m"], history_seconds: 60, started: 10_000 });
  assert.equal(s.started, 10_000);
  s.snapshot(
    snapshot(1, 12_000, [
      series("restarted", [
        [4000, 1],
        [5000, 2],
        [10_500, 3],
        [11_000, 4],
      ]),
      series("new", [
        [10_500, 1],
        [11_000, 2],
      ]),
      series("old", [
        [4000, 1],
        [5000, 2],
      ]),
    ]),
  );
  assert.deepEqual(ringOf(s, "restarted"), [
    [4000, 1],
    [5000, 2],
    [5001, null],
    [10_500, 3],
    [11_000, 4],
  ]);
  assert.deepEqual(ringOf(s, "new"), [
    [10_500, 1],
    [11_000, 2],
  ]);
  assert.deepEqual(ringOf(s, "old"), [
    [4000, 1],
    [5000, 2],
  ]);

  // A server that does not say when it started: the points as they are.
  const plain = new Store();
  plain.hello({ type: "hello", version: "1", windows: ["1m"], history_seconds: 60 });
  assert.equal(plain.started, 0);
  plain.snapshot(snapshot(1, 12_000, [series("restarted", [[5000, 2], [10_500, 3]])]));
  assert.deepEqual(ringOf(plain, "restarted"), [
    [5000, 2],
    [10_500, 3],
  ]);
});

test("restartGap adds no second gap and leaves its input alone", () => {
  const pts = [
    [5000, 2],
    [5001, null],
    [10_500, 3],
  ];
  assert.equal(restartGap(pts, 10_000), pts);
  const two = [
    [5000, 2],
    [10_500, 3],
  ];
  assert.deepEqual(restartGap(two, 10_000), [
    [5000, 2],
    [5001, null],
    [10_500, 3],
  ]);
  assert.equal(two.length, 2);
  assert.equal(restartGap(null, 10_000), null);
});

test("a series gone stale ends its line there: a gap at stale_since, the points before kept, no ramp to the next", () => {
  const s = new Store();
  s.snapshot(snapshot(1, 3000, [series("a", [[1000, 1], [2000, 2], [3000, 3]])]));
  s.delta({ type: "delta", seq: 2, ts: 4100, points: {}, windows: {}, stale: { a: 4000 }, sources: [], added: [], removed: [] });
  const st = s.series.get("a");
  assert.deepEqual(st.last, [3000, 3], "the headline's value is the last received");
  s.delta({ type: "delta", seq: 3, ts: 5000, points: { a: [[5000, 9]] }, windows: {}, stale: { a: 0 }, sources: [], added: [], removed: [] });
  const [xs, ys] = st.ring.series();
  assert.deepEqual(xs, [1, 2, 3, 4, 5]);
  assert.deepEqual(ys, [1, 2, 3, null, 9], "the failed poll is a break, the live points unchanged");

  // Stale in a snapshot: the same break after its last point.
  s.snapshot(snapshot(4, 7000, [series("b", [[6000, 1]], { stale: true, stale_since: 6500 })]));
  assert.deepEqual(s.series.get("b").ring.series()[1], [1, null]);
});
