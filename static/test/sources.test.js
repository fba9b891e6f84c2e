import { test } from "node:test";
import assert from "node:assert/strict";
import { formatClock } from "../js/format.js";
import { noteText, sourceHealth } from "../js/sources.js";

const T0 = 1_700_000_000_000;

const running = {
  name: "node",
  type: "prometheus",
  state: "running",
  up: true,
  restarts: 0,
  polls: 12,
  failures: 0,
  last_error: "",
  last_error_at: 0,
  last_warning: "",
  last_warning_at: 0,
  last_success: T0,
  poll_ms: 1.5,
};

test("a running source whose last poll failed is down", () => {
  const h = sourceHealth({ ...running, up: false, failures: 4, last_error: "connection refused", last_error_at: T0 });
  assert.equal(h.state, "running");
  assert.equal(h.badge, "down");
  assert.equal(h.down, true);
  assert.equal(h.error, "connection refused");
  assert.equal(h.errorAt, T0);
});

test("a running source that is up shows its state", () => {
  const h = sourceHealth(running);
  assert.equal(h.badge, "running");
  assert.equal(h.down, false);
  assert.equal(h.error, "");
  assert.equal(h.warning, "");
});

test("up false is not down before the first poll, nor off running", () => {
  assert.equal(sourceHealth({ ...running, up: false, polls: 0 }).badge, "running", "no poll finished yet");
  for (const state of ["starting", "backoff", "failed", "stopped"]) {
    const h = sourceHealth({ ...running, state, up: false });
    assert.equal(h.badge, state, state);
    assert.equal(h.down, false, state);
  }
});

test("a server without up never shows a source down", () => {
  const old = { ...running };
  delete old.up;
  delete old.last_warning;
  delete old.last_warning_at;
  delete old.last_error_at;
  const h = sourceHealth(old);
  assert.equal(h.badge, "running");
  assert.equal(h.warning, "");
  assert.equal(h.warningAt, 0);
  assert.equal(sourceHealth(undefined).badge, "unknown");
});

test("the last warning is shown beside the last error, each with its age", () => {
  const src = {
    ...running,
    last_error: "GET http://xxxxx:xxxxx@node:9100/metrics?token=xxxxx: connection refused",
    last_error_at: T0 - 3 * 60_000,
    last_warning: "sample_limit: dropped 120 series over max_series 2000",
    last_warning_at: T0 - 5_000,
  };
  const h = sourceHealth(src);
  assert.equal(h.badge, "running", "a warning does not make a source down");
  assert.equal(
    noteText("Last error", h.error, h.errorAt, T0),
    `Last error ${formatClock(h.errorAt)} (3 min ago): GET http://xxxxx:xxxxx@node:9100/metrics?token=xxxxx: connection refused`,
  );
  assert.equal(
    noteText("Last warning", h.warning, h.warningAt, T0),
    `Last warning ${formatClock(h.warningAt)} (5s ago): sample_limit: dropped 120 series over max_series 2000`,
  );
  assert.equal(noteText("Last warning", "", 0, T0), "");
  assert.equal(noteText("Last error", "boom", 0, T0), "Last error: boom", "no time from an older server");
});

test("a source's last crash: the timeline's when it holds one, else the restart the source tells of", async () => {
  const { crashText } = await import("../js/treemodel.js");
  assert.equal(crashText(running), "", "never crashed");
  assert.equal(crashText(undefined), "");
  assert.equal(crashText({ ...running, last_restart_at: T0 }), `last restart ${formatClock(T0)}`, "a page opened after the crash");
  assert.equal(crashText({ ...running, last_restart_at: T0 }, T0 - 800), `last crash ${formatClock(T0 - 800)}`);
});

test("the source's title and its tree node show its last crash", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const { TreeView } = await import("../js/tree.js");
  const { buildTree } = await import("../js/treemodel.js");
  const g = new SourceGroup("flaky", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  g.update({ ...running, name: "flaky" }, T0);
  assert.equal(g.crashTag.hidden, true);
  g.update({ ...running, name: "flaky", restarts: 3, last_restart_at: T0 }, T0, T0 - 800);
  assert.equal(g.crashTag.hidden, false);
  assert.equal(g.crashTag.textContent, `last crash ${formatClock(T0 - 800)} (1s ago)`);

  const box = document.createElement("div");
  const tree = new TreeView(box);
  const srcs = [{ name: "demo", state: "running", restarts: 0 }, { name: "flaky", state: "running", restarts: 3, last_restart_at: T0 }];
  tree.update(buildTree(null, srcs), (name) => (name === "flaky" ? T0 - 800 : 0));
  const node = (name) => tree.nodes.get(`root/collectors/${name}`);
  assert.equal(node("flaky").crash.textContent, `last crash ${formatClock(T0 - 800)}`);
  assert.equal(node("flaky").crash.hidden, false);
  assert.match(node("flaky").spoken.textContent, /last crash/, "read out too");
  assert.equal(node("demo").crash.hidden, true);
  tree.update(buildTree(null, srcs));
  assert.equal(node("flaky").crash.textContent, `last restart ${formatClock(T0)}`, "no crash in the timeline: the restart");
});

test("the crash button is disabled while disconnected, and works again once connected", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const { unknownSource } = await import("../js/summary.js");
  const pressed = [];
  const g = new SourceGroup("demo", { color: 0, collapsed: false, onToggle() {}, onCrash: (name) => pressed.push(name) });
  g.setAdmin(true);
  g.badge.getAnimations = () => []; // the badge's pulse, started again at each change of state
  g.update({ ...running, name: "demo" }, T0);
  assert.equal(g.crash.disabled, false);
  g.update(unknownSource({ ...running, name: "demo" }), T0 + 1000);
  assert.equal(g.crash.disabled, true);
  assert.match(g.crash.title, /Not connected/);
  g.crash.click();
  assert.deepEqual(pressed, [], "a press while disconnected sends nothing");
  g.update({ ...running, name: "demo" }, T0 + 2000);
  assert.equal(g.crash.disabled, false);
  assert.equal(g.crash.title, "Make the demo collector panic now");
  g.crash.click();
  assert.deepEqual(pressed, ["demo"]);
});

test("a crash and its error stamped in the same second say the same time ago", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const g = new SourceGroup("crashy", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  const crash = T0 + 900; // the timeline's crash, 13:29:09.9
  const src = { ...running, name: "crashy", restarts: 1, last_restart_at: T0 + 1000, last_error: "panic: boom", last_error_at: T0 + 100 };
  g.update(src, T0 + 5300, crash);
  assert.equal(g.crashTag.textContent, `last crash ${formatClock(crash)} (4s ago)`);
  assert.equal(g.error.textContent, `Last error ${formatClock(crash)} (4s ago): panic: boom`, "not (5s ago) beside the crash's (4s ago)");
  g.update({ ...src, last_error_at: T0 - 3000 }, T0 + 5300, crash);
  assert.equal(g.error.textContent, `Last error ${formatClock(T0 - 3000)} (8s ago): panic: boom`, "an error of another second keeps its own time");
});

test("after a server restart the count from 0 beside a carried crash says since when it counts", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const { TreeView } = await import("../js/tree.js");
  const { buildTree, countSince } = await import("../js/treemodel.js");
  const crash = T0 - 18_000; // the server before
  const started = T0; // this one
  assert.equal(countSince({ ...running }, crash, started), started);
  assert.equal(countSince({ ...running }, crash, 0), 0, "the start unknown: nothing to say");
  assert.equal(countSince({ ...running, last_restart_at: T0 + 5000 }, T0 + 4900, started), 0, "a crash of this process: the count covers it");
  assert.equal(countSince({ ...running }, 0, started), 0, "no crash known");

  const g = new SourceGroup("demo", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  g.update({ ...running, name: "demo" }, T0 + 1000, crash, started);
  assert.equal(g.facts.restarts.dd.textContent, `0 since ${formatClock(started)}`);
  assert.equal(g.crashTag.textContent, `last crash ${formatClock(crash)} (19s ago)`);
  g.update({ ...running, name: "demo", restarts: 1, last_restart_at: T0 + 5000 }, T0 + 6000, T0 + 4900, started);
  assert.equal(g.facts.restarts.dd.textContent, "1", "crashed again since: the count and the crash agree");

  const tree = new TreeView(document.createElement("div"));
  tree.update(buildTree(null, [{ name: "demo", state: "running", restarts: 0 }]), () => crash, started);
  const node = tree.nodes.get("root/collectors/demo");
  assert.equal(node.restarts.textContent, `↻ 0 since ${formatClock(started)}`);
  assert.match(node.spoken.textContent, new RegExp(`0 restarts since ${formatClock(started)}`), "read out too");
  tree.update(buildTree(null, [{ name: "demo", state: "running", restarts: 0 }]), () => 0, started);
  assert.equal(node.restarts.textContent, "↻ 0", "no crash beside it: the plain count");
});

test("the last crash says how long ago, in the source's title every second and on its tree node at each tick", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const { crashText } = await import("../js/treemodel.js");
  const { TreeView } = await import("../js/tree.js");
  const { buildTree } = await import("../js/treemodel.js");
  const at = formatClock(T0 - 800);
  assert.equal(crashText({ ...running, last_restart_at: T0 }, T0 - 800, T0 + 4200), `last crash ${at} (5s ago)`);
  assert.equal(crashText({ ...running, last_restart_at: T0 }, 0, T0 + 180_000), `last restart ${formatClock(T0)} (3 min ago)`);

  const g = new SourceGroup("flaky", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  g.update({ ...running, name: "flaky", restarts: 3, last_restart_at: T0 }, T0, T0 - 800);
  assert.equal(g.crashTag.textContent, `last crash ${at} (1s ago)`);
  assert.equal(g.crashTag.dataset.kind, "crash", "a crash, styled as one (groups.css)");
  g.updateAgo(null, T0 + 9200);
  assert.equal(g.crashTag.textContent, `last crash ${at} (10s ago)`, "the page's tick moves it on");

  const tree = new TreeView(document.createElement("div"));
  const srcs = [{ name: "flaky", state: "running", restarts: 3, last_restart_at: T0 }];
  tree.update(buildTree(null, srcs), () => T0 - 800);
  const node = tree.nodes.get("root/collectors/flaky");
  assert.equal(node.crash.textContent, `last crash ${at}`, "no tick yet: no now to count from");
  tree.tick(T0 + 59_200);
  assert.equal(node.crash.textContent, `last crash ${at} (1 min ago)`);
  assert.equal(node.crash.dataset.kind, "crash");
  const title = node.el.title;
  tree.tick(T0 + 61_200);
  assert.equal(node.el.title, title, "the title and the spoken text are not rewritten every second");
  tree.update(buildTree(null, srcs), () => T0 - 800);
  assert.equal(node.crash.textContent, `last crash ${at} (1 min ago)`, "an update keeps the last tick's now");
});

test("while disconnected a source's times are clock times marked stale, and do not move on", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const { TreeView } = await import("../js/tree.js");
  const { buildTree } = await import("../js/treemodel.js");
  const { unknownSource, unknownTree } = await import("../js/summary.js");
  const src = { ...running, name: "flaky", restarts: 3, last_restart_at: T0, last_success: T0 - 16_000, last_error: "refused", last_error_at: T0 - 20_000 };
  const g = new SourceGroup("flaky", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  g.update(src, T0, T0 - 800);
  assert.equal(g.facts.success.dd.textContent, "16s ago");
  g.update(unknownSource(src), T0, T0 - 800);
  for (const now of [T0, T0 + 60_000]) {
    g.updateAgo(null, now);
    assert.equal(g.facts.success.dd.textContent, `${formatClock(T0 - 16_000)} (stale)`);
    assert.equal(g.crashTag.textContent, `last crash ${formatClock(T0 - 800)} (stale)`);
    assert.equal(g.error.textContent, `Last error ${formatClock(T0 - 20_000)} (stale): refused`);
  }
  g.update(unknownSource({ ...src, last_success: 0 }), T0);
  assert.equal(g.facts.success.dd.textContent, "unknown", "never known to have succeeded");

  const tree = new TreeView(document.createElement("div"));
  tree.update(unknownTree(buildTree(null, [src])), () => T0 - 800);
  tree.tick(T0 + 60_000);
  assert.equal(tree.nodes.get("root/collectors/flaky").crash.textContent, `last crash ${formatClock(T0 - 800)} (stale)`);
});

test("a source marks how many of its cards are families of lines, for the layout's rules (no :has())", async () => {
  const { installDOM } = await import("./fakes/dom.js");
  installDOM();
  const { SourceGroup } = await import("../js/sources.js");
  const g = new SourceGroup("host", { color: 0, collapsed: false, onToggle() {}, onCrash() {} });
  const card = (id, lines) => {
    const el = document.createElement("article");
    el.classList.add("card");
    el.classList.toggle("is-family", lines > 1);
    el.dataset.sort = id;
    return { id, el, sortKey: id, size: lines };
  };
  g.place(card("load1", 1));
  assert.equal(g.el.dataset.families, "0");
  assert.equal(g.count.textContent, "1 series");
  const cpu = card("cpu", 4);
  g.place(cpu);
  assert.equal(g.el.dataset.families, "1");
  g.place(card("net", 2));
  assert.equal(g.el.dataset.families, "many");
  g.drop("net");
  assert.equal(g.el.dataset.families, "1");
  // A family that loses its lines but one is a single card again: the group learns it at refreshCount.
  cpu.el.classList.remove("is-family");
  cpu.size = 1;
  g.refreshCount();
  assert.equal(g.el.dataset.families, "0");
  assert.equal(g.count.textContent, "2 series");
});
