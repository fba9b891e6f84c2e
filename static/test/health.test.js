import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";

installDOM();
const { RESTART_SHOWN_MS, SourceHealth, healthNote, recovered } = await import("../js/health.js");
const { formatClock } = await import("../js/format.js");

const T = 1_700_000_000_000;

test("a restart stays visible for a minute; backoff and parked say what happens next", () => {
  assert.equal(healthNote({ state: "running", restartedAt: T, parkedAt: 0, restarts: 1 }, T + 3000), "Restarted 3s ago.");
  assert.equal(healthNote({ state: "running", restartedAt: T, parkedAt: 0, restarts: 1 }, T + RESTART_SHOWN_MS), "");
  assert.equal(healthNote({ state: "backoff", restartedAt: 0, parkedAt: 0, restarts: 1 }, T), "Crashed; restarting after a backoff…");
  assert.equal(
    healthNote({ state: "failed", restartedAt: T, parkedAt: T, restarts: 6 }, T + 1000),
    `Parked since ${formatClock(T)} after 6 restarts; the supervisor tries it again after its cool-down (supervisor.cooldown).`,
  );
});

test("a last error is past once the source has succeeded since", () => {
  const src = { state: "running", last_error: "refused", last_success: T + 10 };
  assert.equal(recovered({ ...src, last_error_at: T }, 0), true);
  assert.equal(recovered({ ...src, last_error_at: T + 20 }, 0), false, "no success since");
  assert.equal(recovered({ ...src, last_error_at: T, up: false }, 0), false, "its latest poll failed");
  assert.equal(recovered(src, T + 5), true, "without its time: since the page saw it");
  assert.equal(recovered(src, T + 50), false);
  assert.equal(recovered({ ...src, state: "backoff", last_error_at: T }, 0), false);
  assert.equal(recovered({ ...src, last_error: "" }, 0), false, "no error to clear");
});

test("SourceHealth follows a source's updates in its group's header", () => {
  const head = document.createElement("header");
  const error = document.createElement("p");
  const hs = new SourceHealth({ head, error });
  const note = head.one("health-note");
  hs.update({ state: "running", restarts: 0, last_error: "", last_success: T }, T);
  assert.equal(note.hidden, true);
  hs.update({ state: "backoff", restarts: 0, last_error: "panic: boom", last_success: T }, T + 1000);
  assert.equal(note.textContent, "Crashed; restarting after a backoff…");
  assert.equal(note.dataset.state, "backoff");
  assert.ok(!error.classList.contains("is-recovered"));
  hs.update({ state: "running", restarts: 1, last_error: "panic: boom", last_success: T }, T + 2000);
  assert.equal(note.textContent, "Restarted now.");
  hs.tick(T + 5000);
  assert.equal(note.textContent, "Restarted 3s ago.");
  hs.update({ state: "running", restarts: 1, last_error: "panic: boom", last_success: T + 5500 }, T + 6000);
  assert.ok(error.classList.contains("is-recovered"), "polled fine after the error");
  hs.tick(T + 2000 + RESTART_SHOWN_MS);
  assert.equal(note.hidden, true);
});

test("a backoff held in the badge after it ended is told in the past: the line agrees with the badge", () => {
  const head = document.createElement("header");
  const hs = new SourceHealth({ head, error: document.createElement("p") });
  const note = head.one("health-note");
  hs.update({ state: "backoff", restarts: 0, last_error: "panic: boom", last_success: T - 500 }, T);
  assert.equal(note.textContent, "Crashed; restarting after a backoff…");
  hs.update({ state: "running", restarts: 1, last_restart_at: T + 96, last_error: "panic: boom", last_success: T + 96 }, T + 200, undefined, false, T);
  assert.equal(note.textContent, `Crashed at ${formatClock(T)}, backed off 96 ms, restarted at ${formatClock(T + 96)}.`);
  hs.tick(T + 1200);
  assert.match(note.textContent, /^Crashed at .*, backed off 96 ms, restarted at/, "no \"now\" or \"ago\" under a held badge");
  hs.update({ state: "running", restarts: 1, last_restart_at: T + 96, last_error: "panic: boom", last_success: T + 96 }, T + 2200);
  assert.equal(note.textContent, "Restarted 2s ago.", "the hold over: the stream's own line");
  assert.equal(healthNote({ state: "running", restartedAt: T + 1500, restarts: 1, held: true, crashAt: 0 }, T + 1600), `Backed off, restarted at ${formatClock(T + 1500)}.`, "no crash known");
  assert.equal(healthNote({ state: "running", restartedAt: T + 1500, restarts: 1, held: true, crashAt: T }, T + 1600), `Crashed at ${formatClock(T)}, backed off 1.5 s, restarted at ${formatClock(T + 1500)}.`);
});

test("a parked source says when it is retried, from the server's parked event", () => {
  const head = document.createElement("header");
  const hs = new SourceHealth({ head, error: document.createElement("p") });
  const note = head.one("health-note");
  const parked = { ts: T - 5000, retryAt: T + 42_000 };
  hs.update({ state: "failed", restarts: 6, last_error: "panic: x" }, T, parked);
  assert.equal(note.textContent, `Parked since ${formatClock(T - 5000)} after 6 restarts; next try at ${formatClock(T + 42_000)} (in 42 s).`);
  hs.tick(T + 40_000);
  assert.equal(note.textContent, `Parked since ${formatClock(T - 5000)} after 6 restarts; next try at ${formatClock(T + 42_000)} (in 2 s).`);
  hs.tick(T + 43_000);
  assert.match(note.textContent, /the supervisor tries it again after its cool-down/, "past its time: being tried");
  assert.equal(
    healthNote({ state: "failed", restartedAt: 0, parkedAt: T, retryAt: T + 600_000, restarts: 6 }, T),
    `Parked since ${formatClock(T)} after 6 restarts; next try at ${formatClock(T + 600_000)} (in 10 min).`,
  );
  hs.update({ state: "starting", restarts: 7 }, T + 43_000, parked);
  assert.equal(hs.state.retryAt, 0, "no longer parked");
});

test("a restart is the server's (last_restart_at): a page opened later sees it, a new server process has none", () => {
  const head = document.createElement("header");
  const hs = new SourceHealth({ head, error: document.createElement("p") });
  const note = head.one("health-note");
  hs.update({ state: "running", restarts: 3, last_restart_at: T - 10_000 }, T);
  assert.equal(note.textContent, "Restarted 10s ago.", "the first update the page sees");
  // The server restarted 44 s later: its source counts from 0 again.
  hs.update({ state: "running", restarts: 0 }, T + 44_000);
  assert.equal(note.hidden, true, "not the previous process's restart");
  assert.equal(hs.state.restartedAt, 0);
});

test("while disconnected the note is what was last known, with clock times and no countdown", () => {
  const head = document.createElement("header");
  const hs = new SourceHealth({ head, error: document.createElement("p") });
  const note = head.one("health-note");
  const parked = { ts: T - 5000, retryAt: T + 42_000 };
  hs.update({ state: "failed", restarts: 6, last_error: "panic: x" }, T, parked, true);
  const said = `Was parked since ${formatClock(T - 5000)} after 6 restarts (stale); its retry time is unknown while disconnected.`;
  assert.equal(note.textContent, said);
  hs.tick(T + 40_000);
  assert.equal(note.textContent, said, "no countdown running");
  hs.update({ state: "failed", restarts: 6, last_error: "panic: x" }, T + 41_000, parked, false);
  assert.match(note.textContent, /\(in 1 s\)\.$/, "live again: the countdown");
  assert.equal(healthNote({ state: "running", restartedAt: T, parkedAt: 0, restarts: 1 }, T + 3000, true), `Restarted at ${formatClock(T)} (stale).`);
  assert.equal(healthNote({ state: "backoff", restartedAt: 0, parkedAt: 0, restarts: 1 }, T, true), "Was restarting after a backoff (stale).");
});
