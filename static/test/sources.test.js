import { test } from "node:test";
import assert from "node:assert/strict";
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
    "Last error (3 min ago): GET http://xxxxx:xxxxx@node:9100/metrics?token=xxxxx: connection refused",
  );
  assert.equal(
    noteText("Last warning", h.warning, h.warningAt, T0),
    "Last warning (5s ago): sample_limit: dropped 120 series over max_series 2000",
  );
  assert.equal(noteText("Last warning", "", 0, T0), "");
  assert.equal(noteText("Last error", "boom", 0, T0), "Last error: boom", "no time from an older server");
});
