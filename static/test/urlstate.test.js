import { test } from "node:test";
import assert from "node:assert/strict";
import { readView, viewURL } from "../js/urlstate.js";
import { fam, harness, hello, series, snapshot, T0 } from "./fakes/page.js";

test("the view is read from the address, garbage left to the defaults", () => {
  assert.deepEqual(readView("http://h/?filter=cpu%3D1&window=5m&collapsed=demo,host&from=1000&to=5000"), {
    filter: "cpu=1",
    window: "5m",
    collapsed: ["demo", "host"],
    zoom: [1000, 5000],
  });
  assert.deepEqual(readView("http://h/"), { filter: "", window: "", collapsed: null, zoom: null });
  assert.deepEqual(readView("http://h/?collapsed=&from=9&to=3").collapsed, [], "nothing collapsed, said so");
  assert.equal(readView("http://h/?from=9&to=3").zoom, null, "an empty range");
  assert.equal(readView("http://h/?from=x&to=3").zoom, null);
});

test("the view is written into the address, keeping other parameters and never a token", () => {
  const view = { filter: "cpu=1 load", window: "15m", collapsed: ["a", "b"], zoom: [1000.4, 5000] };
  assert.equal(viewURL("http://h/p?x=1&admin=s&token=t&filter=old#frag", view), "/p?x=1&filter=cpu%3D1+load&window=15m&collapsed=a%2Cb&from=1000&to=5000#frag");
  assert.equal(viewURL("http://h/?filter=old", { filter: "", window: "", collapsed: [], zoom: null }), "/");
  const back = readView(`http://h${viewURL("http://h/", view)}`);
  assert.deepEqual(back, { ...view, zoom: [1000, 5000] });
});

test("a shared address opens the page on its view, and the page keeps the address up to date", () => {
  const h = harness({ href: `http://h/?filter=m_a&window=5m&collapsed=demo&from=${T0 - 5000}&to=${T0}` });
  h.controller.start();
  const ws = h.ws();
  ws.open();
  ws.recv(hello);
  ws.recv(snapshot(4, [series("a"), series("b")]));
  h.frame();
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
