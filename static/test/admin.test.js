import { test } from "node:test";
import assert from "node:assert/strict";
import { crashSource, saveToken, stripParams, takeToken } from "../js/admin.js";

class MemoryStorage {
  constructor() {
    this.m = new Map();
  }
  getItem(k) {
    return this.m.has(k) ? this.m.get(k) : null;
  }
  setItem(k, v) {
    this.m.set(k, String(v));
  }
  removeItem(k) {
    this.m.delete(k);
  }
}

function env(href, storage = new MemoryStorage()) {
  const calls = [];
  return {
    location: { href },
    history: { state: null, replaceState: (s, t, url) => calls.push(url) },
    storage,
    calls,
  };
}

test("stripParams removes only the named parameters", () => {
  assert.equal(stripParams("http://h/?admin=x&view=1#top", ["admin"]), "/?view=1#top");
  assert.equal(stripParams("http://h/?admin=x&token=y", ["admin", "token"]), "/");
  assert.equal(stripParams("http://h/?view=1", ["admin"]), null);
});

test("takeToken keeps ?admin= in storage and out of the address bar", () => {
  const e = env("http://127.0.0.1:8080/?admin=s3cret");
  assert.equal(takeToken(e), "s3cret");
  assert.equal(e.storage.getItem("pulseboard.admin"), "s3cret");
  assert.deepEqual(e.calls, ["/"]);
});

test("takeToken without ?admin= uses the stored token and leaves the URL", () => {
  const storage = new MemoryStorage();
  saveToken(storage, "kept");
  const e = env("http://h/", storage);
  assert.equal(takeToken(e), "kept");
  assert.deepEqual(e.calls, []);
  saveToken(storage, "");
  assert.equal(takeToken(env("http://h/", storage)), "");
});

test("a viewer ?token= is removed from the address bar too, not stored", () => {
  const e = env("http://h/?token=viewer");
  assert.equal(takeToken(e), "");
  assert.deepEqual(e.calls, ["/"]);
});

test("crashSource posts with the bearer header, never the token in the URL", async () => {
  let seen;
  const fetchImpl = async (url, init) => {
    seen = { url, init };
    return { ok: true, status: 202, json: async () => ({ status: "accepted" }) };
  };
  const r = await crashSource("a b", "tok", fetchImpl);
  assert.deepEqual(r, { ok: true, status: 202, message: "accepted" });
  assert.equal(seen.url, "/api/v1/sources/a%20b/crash");
  assert.equal(seen.init.method, "POST");
  assert.equal(seen.init.headers.Authorization, "Bearer tok");
  assert.ok(!seen.url.includes("tok"));
});

test("crashSource names a peer's source by its node and name", async () => {
  const calls = [];
  const fetchImpl = async (url) => {
    calls.push(url);
    return { ok: true, status: 202, json: async () => ({ status: "crash requested" }) };
  };
  await crashSource("b/web api", "tok", fetchImpl);
  assert.equal(calls[0], "/api/v1/sources/b/web%20api/crash");
});

test("crashSource reports refusals, errors and network failures", async () => {
  const refused = await crashSource("demo", "bad", async () => ({
    ok: false,
    status: 401,
    json: async () => ({ error: "missing or invalid token" }),
  }));
  assert.deepEqual(refused, { ok: false, status: 401, message: "missing or invalid token" });
  const noBody = await crashSource("demo", "t", async () => ({
    ok: false,
    status: 500,
    json: async () => {
      throw new SyntaxError("no body");
    },
  }));
  assert.deepEqual(noBody, { ok: false, status: 500, message: "HTTP 500" });
  const down = await crashSource("demo", "t", async () => {
    throw new TypeError("Failed to fetch");
  });
  assert.equal(down.ok, false);
  assert.equal(down.status, 0);
  assert.match(down.message, /Failed to fetch/);
});

test("checkToken asks the admin check route with the bearer header, and reads the answer", async () => {
  const seen = [];
  const answer = (status) => async (url, init) => (seen.push([url, init.method, init.headers.Authorization]), { ok: status < 300, status });
  const { checkToken } = await import("../js/admin.js");
  assert.equal(await checkToken("t", answer(204)), "ok");
  assert.equal(await checkToken("t", answer(401)), "refused");
  assert.equal(await checkToken("t", answer(403)), "refused");
  assert.equal(await checkToken("t", answer(404)), "unknown", "an older server without the route");
  assert.equal(await checkToken("t", answer(503)), "unknown");
  assert.equal(await checkToken("t", async () => { throw new Error("down"); }), "unknown");
  assert.deepEqual(seen[0], ["/api/v1/auth/admin", undefined, "Bearer t"], "a GET; the token never in the URL");
});
