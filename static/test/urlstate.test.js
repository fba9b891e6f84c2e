import { test } from "node:test";
import assert from "node:assert/strict";
import { readView, viewURL } from "../js/urlstate.js";
import { fam, harness, live, T0 } from "./fakes/page.js";

test("the view is read from the address, garbage left to the defaults", () => {
  assert.deepEqual(readView(`http://h/?filter=cpu%3D1&window=5m&collapsed=demo,host&from=${T0 + 1000}&to=${T0 + 5000}`), {
    filter: "cpu=1",
    window: "5m",
    collapsed: ["demo", "host"],
    zoom: [T0 + 1000, T0 + 5000],
  });
  assert.deepEqual(readView("http://h/"), { filter: "", window: "", collapsed: null, zoom: null });
  assert.deepEqual(readView("http://h/?collapsed=&from=9&to=3").collapsed, [], "nothing collapsed, said so");
  assert.equal(readView("http://h/?from=9&to=3").zoom, null, "an empty range");
  assert.equal(readView("http://h/?from=x&to=3").zoom, null);
});

test("the view is written into the address, keeping other parameters and never a token", () => {
  const view = { filter: "cpu=1 load", window: "15m", collapsed: ["a", "b"], zoom: [T0 + 1000.4, T0 + 5000] };
  assert.equal(viewURL("http://h/p?x=1&admin=s&token=t&filter=old#frag", view), `/p?x=1&filter=cpu%3D1+load&window=15m&collapsed=a%2Cb&from=${T0 + 1000}&to=${T0 + 5000}#frag`);
  assert.equal(viewURL("http://h/?filter=old", { filter: "", window: "", collapsed: [], zoom: null }), "/");
  const back = readView(`http://h${viewURL("http://h/", view)}`);
  assert.deepEqual(back, { ...view, zoom: [T0 + 1000, T0 + 5000] });
});

test("a shared address opens the page on its view, and the page keeps the address up to date", () => {
  const h = harness({ href: `http://h/?filter=m_a&window=5m&collapsed=demo&from=${T0 - 5000}&to=${T0}` });
  live(h);
  assert.equal(h.page.filterShown, "m_a");
  assert.equal(h.page.windows.selected, "5m");
  assert.equal(h.groups.get("demo").collapsed, true);
  assert.deepEqual(h.page.zoom, [T0 - 5000, T0]);
  assert.deepEqual(h.charts.entries.get(fam("a")).range(), [T0 - 5000, T0]);
  assert.equal(h.cards.get("b").el.hidden, true, "filtered");

  h.controller.goLive();
  h.groups.get("demo").setCollapsed(false, true);
  h.controller.setFilter("");
  h.controller.selectWindow("1m");
  assert.equal(h.replaced.at(-1), "/", "the defaults are left out: the server's first window");
  h.controller.selectWindow("5m");
  assert.equal(h.replaced.at(-1), "/?window=5m");
  h.controller.setZoom(T0 - 2000, T0 - 1000);
  assert.equal(h.replaced.at(-1), `/?window=5m&from=${T0 - 2000}&to=${T0 - 1000}`);
});

test("readTarget reads an alert's link: a series or a source in the hash", async () => {
  const { readTarget } = await import("../js/urlstate.js");
  assert.deepEqual(readTarget("http://h/#series=8f809141e11eca23"), { series: "8f809141e11eca23", source: "" });
  assert.deepEqual(readTarget("http://h/?window=5m#source=my%20app"), { series: "", source: "my app" });
  assert.deepEqual(readTarget("http://h/"), { series: "", source: "" });
  assert.deepEqual(readTarget("http://h/#nothing"), { series: "", source: "" });
});

test("collapsed sources stay in the address while the page starts (before their groups exist)", () => {
  const h = harness({ href: "http://h/?collapsed=demo&range=30d" });
  live(h);
  assert.equal(h.groups.get("demo").collapsed, true);
  for (const url of h.replaced) assert.match(url, /collapsed=demo/, `rewritten as ${url}`);
  h.groups.get("demo").setCollapsed(false, true);
  assert.doesNotMatch(h.replaced.at(-1), /collapsed/, "expanded by the reader: out of the address");
});

test("a zoom or custom range that no picker could give is ignored", () => {
  const now = T0;
  const view = (q) => readView(`http://h/?${q}`, now);
  assert.equal(view("from=0&to=99999999999999").zoom, null, "ends far in the future");
  assert.equal(view(`from=0&to=${now}`).zoom, null, "longer than the longest range");
  assert.equal(view(`from=${now - 1000}&to=${now - 1000}`).zoom, null, "empty");
  assert.equal(view(`from=${now - 1000}&to=Infinity`).zoom, null);
  assert.equal(view(`from=-5000&to=-1000`).zoom, null, "before the epoch");
  assert.equal(view("range=1h&from=1&to=2").zoom, null, "1970, a millisecond long");
  assert.deepEqual(view("range=1h&from=1&to=2").range, { name: "1h" }, "the preset stays");
  assert.equal(view(`from=${now - 1500}&to=${now - 1000}`).zoom, null, "shorter than a second");
  assert.equal(view("range=1..3600001").range, undefined, "a custom range in 1970");
  assert.deepEqual(view(`from=${now - 60_000}&to=${now}`).zoom, [now - 60_000, now]);
  assert.deepEqual(view(`from=${now - 30 * 86_400_000}&to=${now - 1000}`).zoom, [now - 30 * 86_400_000, now - 1000]);
  assert.equal(view("range=0..99999999999999").range, undefined, "a custom range is held to the same");
  assert.deepEqual(view(`range=${now - 3_600_000}..${now}`).range, { name: "custom", from: now - 3_600_000, to: now });
});

test("what the address holds that the page ignores leaves the address at once", () => {
  const h = harness({ href: "http://h/?from=9&to=3&range=junk&filter=m_a&x=1" });
  h.controller.start();
  assert.deepEqual(h.replaced, ["/?x=1&filter=m_a"], "a garbled zoom and range out, the rest kept");
  const fine = harness({ href: "http://h/?filter=m_a&collapsed=demo,host&zeros=hide" });
  fine.controller.start();
  assert.deepEqual(fine.replaced, [], "an address the page reads whole is left as it is");
  assert.equal(fine.page.hideZero, true);
  const unknown = harness({ href: "http://h/?window=7y" });
  live(unknown);
  assert.equal(unknown.replaced.at(-1), "/", "a window the server does not have: its first, the default");
});

test("window=1h names a history range, as range=1h does", () => {
  const v = readView("http://h/?window=1h");
  assert.equal(v.window, "");
  assert.equal(v.range && v.range.name, "1h");
  assert.equal(readView("http://h/?window=5m").window, "5m", "a window stays a window");
  assert.equal(readView("http://h/?window=6h&range=24h").range.name, "24h", "range= wins");
});

test("a window chosen under a zoom ends the zoom: the charts show that window, live", () => {
  const h = harness();
  live(h);
  h.controller.setZoom(T0 - 2000, T0 - 1000);
  assert.deepEqual(h.page.zoom, [T0 - 2000, T0 - 1000]);
  h.controller.selectWindow("5m");
  assert.equal(h.controller.zoom, null);
  assert.equal(h.page.zoom, null, "the pill is live again");
  assert.equal(h.page.checked, "5m");
  assert.equal(h.replaced.at(-1), "/?window=5m", "out of the address");
});
