import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { installDOM } from "./fakes/dom.js";
import { readEvents } from "../js/events.js";
import { NoticeTimer, NoticeView, OK_NOTICE_MS, noticeFor, reloadNotice } from "../js/notice.js";
import { storageEvent } from "../js/timeline.js";

installDOM();

const ev = (raw) => readEvents([{ kind: "reload", ts: 1, ...raw }])[0];

test("an applied reload says what it changed", () => {
  const n = reloadNotice(ev({ ok: true, added: ["x"], changed: ["demo"], needs_restart: ["server.listen"] }));
  assert.equal(n.title, "Config reloaded: 1 source added (x), 1 changed (demo)");
  assert.equal(n.warning, "Needs a restart to take effect: server.listen");
  assert.equal(n.role, "status");
  assert.equal(n.ok, true);
  assert.equal(n.ttlMs, OK_NOTICE_MS);
  assert.deepEqual(n.lines, []);
});

test("the first kind of change names the sources, plural or not", () => {
  assert.equal(reloadNotice(ev({ ok: true, removed: ["a", "b"] })).title, "Config reloaded: 2 sources removed (a, b)");
  assert.equal(reloadNotice(ev({ ok: true, changed: ["a"], removed: ["b", "c"] })).title, "Config reloaded: 2 sources removed (b, c), 1 changed (a)");
  assert.equal(reloadNotice(ev({ ok: true, added: ["n"], removed: ["o"], changed: ["p"] })).title, "Config reloaded: 1 source added (n), 1 removed (o), 1 changed (p)");
  const none = reloadNotice(ev({ ok: true }));
  assert.equal(none.title, "Config reloaded: no source changed");
  assert.equal(none.warning, "");
});

test("a long list of names is cut short", () => {
  const names = ["a", "b", "c", "d", "e", "f", "g"];
  assert.equal(reloadNotice(ev({ ok: true, added: names })).title, "Config reloaded: 7 sources added (a, b, c, d, e, +2 more)");
  assert.equal(reloadNotice(ev({ ok: true, needs_restart: ["server.listen", "aggregator.history"] })).warning, "Needs a restart to take effect: server.listen, aggregator.history");
});

test("a rejected reload lists its errors and stays", () => {
  const errors = ['/tmp/x.yaml:14:5: sources[2].colour: unknown key "colour"', "/tmp/x.yaml:20:3: sources[3].name: required"];
  const n = reloadNotice(ev({ ok: false, message: errors.join("; "), errors }));
  assert.equal(n.title, "Config rejected — the running config is unchanged");
  assert.equal(n.role, "alert");
  assert.equal(n.ok, false);
  assert.deepEqual(n.lines, errors);
  assert.equal(n.more, 0);
  assert.equal(n.ttlMs, 0, "an error stays until dismissed or replaced");
});

test("a rejected reload without errors shows its message; many errors are cut short", () => {
  assert.deepEqual(reloadNotice(ev({ ok: false, message: "sources: boom" })).lines, ["sources: boom"]);
  assert.deepEqual(reloadNotice(ev({ ok: false })).lines, []);
  const errors = Array.from({ length: 25 }, (_, i) => `c.yaml:${i + 1}:1: bad`);
  const n = reloadNotice(ev({ ok: false, errors }));
  assert.equal(n.lines.length, 20);
  assert.equal(n.lines[19], "c.yaml:20:1: bad");
  assert.equal(n.more, 5);
});

test("a notice goes after its time, not while held, and not at once when let go", () => {
  const t = new NoticeTimer();
  t.start(1000, 8000);
  assert.equal(t.expired(8999), false);
  assert.equal(t.expired(9000), true);

  t.start(0, 8000);
  t.hold(true, 1000);
  assert.equal(t.expired(20_000), false, "held: stays");
  t.hold(false, 20_000);
  assert.equal(t.expired(22_999), false, "let go: a grace period");
  assert.equal(t.expired(23_000), true);

  t.start(0, 8000);
  t.hold(true, 1000);
  t.hold(false, 1000);
  assert.equal(t.expired(7999), false, "let go early: the original time holds");
  assert.equal(t.expired(8000), true);

  t.hold(false, 0);
  t.start(0, 0);
  assert.equal(t.expired(Number.MAX_SAFE_INTEGER), false, "ttl 0 never expires");
});

test("a failing disk under the stored history is a lasting alert with the server's reason; writing again is a short status", () => {
  const failing = readEvents([{ kind: "storage", ts: 5, ok: false, message: "storage degraded to memory-only: write /d/pulseboard.db: no space left on device" }])[0];
  const n = noticeFor(failing);
  assert.equal(n.role, "alert");
  assert.equal(n.ttlMs, 0);
  assert.match(n.title, /^History storage failing/);
  assert.deepEqual(n.lines, ["storage degraded to memory-only: write /d/pulseboard.db: no space left on device"]);
  const entry = storageEvent(failing);
  assert.equal(entry.kind, "storage");
  assert.equal(entry.bad, true);
  assert.equal(entry.marker, true, "marked on every chart");
  assert.equal(entry.detail, failing.message);

  const again = readEvents([{ kind: "storage", ts: 9, ok: true }])[0];
  assert.equal(noticeFor(again).role, "status");
  assert.equal(noticeFor(again).ttlMs, OK_NOTICE_MS);
  assert.equal(storageEvent(again).bad, false);
  assert.equal(noticeFor(readEvents([{ kind: "other", ts: 1 }])[0]), null, "other kinds have no banner");
});

test("a page that finds the stored history degraded in the tree shows the failing banner, once, and takes it down when it runs again", () => {
  const box = document.createElement("div");
  const v = new NoticeView(box, { now: () => 0 });
  const title = () => (v.el ? v.el.find("notice-title")[0].textContent : null);
  const failing = "History storage failing — new data is kept in memory only; /readyz says why";

  v.storageState(""); // memory-only history: no node, no banner
  assert.equal(v.el, null);
  v.storageState("degraded");
  assert.equal(title(), failing);
  assert.deepEqual({ ...v.el.dataset, role: v.el.getAttribute("role") }, { kind: "storage", ok: "false", role: "alert" });
  v.dismiss();
  v.storageState("degraded");
  assert.equal(v.el, null, "a dismissed banner stays dismissed while the state holds");
  v.storageState("running");
  v.storageState("degraded");
  assert.equal(title(), failing, "failing again");
  v.storageState("running");
  assert.equal(v.el, null, "writing again: taken down");

  // A page that saw the event keeps its banner, with the server's reason.
  const live = readEvents([{ kind: "storage", ts: 5, ok: false, message: "write /d/p.db: no space left on device" }])[0];
  v.show(live);
  v.storageState("degraded");
  assert.match(title(), /lost on a restart$/);
  assert.equal(v.el.find("notice-errors").length, 1);
  // Writing again: the event's short status is the one banner left, in either order.
  v.show(readEvents([{ kind: "storage", ts: 9, ok: true }])[0]);
  v.storageState("running");
  assert.equal(title(), "History storage writes to disk again");
  v.show(live);
  v.storageState("degraded");
  v.storageState("running");
  assert.equal(v.el, null);

  // Another banner up (a reload's) is replaced: the disk failing matters more.
  v.show(readEvents([{ kind: "reload", ts: 1, ok: true }])[0]);
  v.storageState("degraded");
  assert.equal(title(), failing);
  assert.equal(box.children.length, 1, "one banner at a time");
});

test("a degraded node is drawn in the warning colour of a backoff, and the legend says so", () => {
  const css = readFileSync(new URL("../css/tree.css", import.meta.url), "utf8");
  const rule = css.match(/([^{}]*)\{\s*--node-color: var\(--backoff\);/);
  assert.ok(rule, "the backoff colour's rule");
  assert.match(rule[1], /\[data-state="degraded"\]/);
  const html = readFileSync(new URL("../index.html", import.meta.url), "utf8");
  assert.match(html, /<li data-state="degraded">degraded<\/li>/);
});
