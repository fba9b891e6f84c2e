import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateOf, compareNatural, familyKey, isAllZero, lineName, splitLabels } from "../js/family.js";

test("natural order: numbers inside names count as numbers", () => {
  assert.deepEqual(["load15", "load5", "load1"].sort(compareNatural), ["load1", "load5", "load15"]);
  assert.deepEqual(["10", "2", "1"].sort(compareNatural), ["1", "2", "10"]);
  assert.deepEqual(["sdb", "sda10", "sda2"].sort(compareNatural), ["sda2", "sda10", "sdb"]);
});

test("a family is a source and a metric", () => {
  assert.equal(familyKey({ source: "host", metric: "cpu" }), "host\u0000cpu");
  assert.notEqual(familyKey({ source: "a", metric: "b\u0000c" }), familyKey({ source: "a\u0000b", metric: "c" }) + "x");
});

test("labels split into the ones that tell lines apart and the shared ones", () => {
  const sets = [
    { host: "h", cpu: "10", mode: "user" },
    { host: "h", cpu: "2", mode: "user" },
    { host: "h", cpu: "2", mode: "system" },
  ];
  assert.deepEqual(splitLabels(sets), { varying: ["cpu", "mode"], common: { host: "h" } });
  assert.deepEqual(splitLabels([{ env: "demo" }]), { varying: [], common: { env: "demo" } });
  assert.deepEqual(splitLabels([{ a: "1" }, {}]), { varying: ["a"], common: {} }, "a label some lack varies");
  assert.deepEqual(splitLabels([]), { varying: [], common: {} });
});

test("lines are named by their varying label values", () => {
  assert.equal(lineName({ cpu: "1", mode: "user" }, ["cpu", "mode"]), "1 · user");
  assert.equal(lineName({ cpu: "1" }, ["cpu", "mode"]), "1 · –");
  assert.equal(lineName({}, ["cpu"]), "(none)");
  assert.equal(lineName({ cpu: "1" }, []), "");
});

test("all zero: a gauge at 0 all through the window, a counter that did not move", () => {
  assert.equal(isAllZero({ count: 3, min: 0, max: 0 }, false), true);
  assert.equal(isAllZero({ count: 3, min: 0, max: 1e-12 }, false), false);
  assert.equal(isAllZero({ count: 3, min: 5, max: 5, rate: 0 }, true), true);
  assert.equal(isAllZero({ count: 3, rate: 0.5 }, true), false);
  assert.equal(isAllZero({ count: 0, min: 0, max: 0 }, false), false, "no samples: not zero");
  assert.equal(isAllZero({ count: 3, min: 1e-7, max: 3e-7 }, false), false, "tiny is not zero: exactly zero only");
  assert.equal(isAllZero({ count: 3, rate: 1e-12 }, true), false);
  assert.equal(isAllZero(undefined, false), false);
});

test("an aggregate of a family's other members: a total, or labels a strict subset of every other's", () => {
  const cpu = (c, mode) => ({ cpu: c, ...(mode ? { mode } : {}) });
  assert.deepEqual(aggregateOf([cpu("total"), cpu("0"), cpu("1")]), [true, false, false]);
  assert.deepEqual(aggregateOf([{ mode: "user" }, cpu("0", "user"), cpu("1", "user")]), [true, false, false], "the sum without the cpu label");
  assert.deepEqual(aggregateOf([{}, cpu("0"), cpu("1")]), [true, false, false]);
  assert.deepEqual(aggregateOf([cpu("0"), cpu("1")]), [false, false], "no aggregate");
  assert.deepEqual(aggregateOf([{ dev: "sda" }, { dev: "sda", part: "1" }, { dev: "sdb", part: "1" }]), [false, false, false], "a subset of one member only");
  assert.deepEqual(aggregateOf([{ job: "total" }]), [false], "a family of one");
  assert.deepEqual(aggregateOf([{ a: "total" }, { a: "total" }]), [false, false], "the value every member shares tells nothing");
  assert.deepEqual(aggregateOf([{}, {}]), [false, false]);
});


test("a total summed over the members says over how many: a CPU-seconds total of 2 cores is \"total of 2 CPUs\"", async () => {
  const { totalName } = await import("../js/family.js");
  const sets = ["0", "1", "total"].flatMap((cpu) => ["busy", "idle"].map((mode) => ({ cpu, mode })));
  assert.equal(totalName({ cpu: "total", mode: "busy" }, ["cpu", "mode"], sets), "total of 2 CPUs · busy");
  assert.equal(totalName({ device: "total" }, ["device"], [{ device: "sda" }, { device: "sdb" }, { device: "sdc" }, { device: "total" }]), "total of 3 devices");
  assert.equal(totalName({ cpu: "total" }, ["cpu"], [{ cpu: "0" }, { cpu: "total" }]), "total", "a total of one is said as it is");
});
