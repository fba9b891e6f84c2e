import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";
import { MemoryStorage } from "./fakes/page.js";
import { Prefs } from "../js/prefs.js";
import { THEMES, ThemeSwitch, effectiveTheme, nextTheme } from "../js/themes.js";

installDOM();

test("the theme in force: the choice, or with auto the system's", () => {
  assert.equal(effectiveTheme("auto", true), "dark");
  assert.equal(effectiveTheme("auto", false), "light");
  assert.equal(effectiveTheme("light", true), "light");
  assert.equal(effectiveTheme("dark", false), "dark");
  assert.equal(effectiveTheme("nonsense", true), "dark");
  assert.deepEqual(THEMES.map(nextTheme), ["light", "dark", "auto"]);
});

test("the switch cycles, keeps the choice, and redraws when the theme changes", () => {
  const button = document.createElement("button");
  const label = document.createElement("span");
  const root = document.createElement("html");
  const media = { matches: true, listeners: [], addEventListener(t, fn) { this.listeners.push(fn); } };
  const local = new MemoryStorage();
  let redraws = 0;
  const sw = new ThemeSwitch({ button, label, root, media, prefs: new Prefs(local), onChange: () => redraws++ });
  assert.deepEqual([root.dataset.theme, label.textContent, redraws], ["dark", "Auto", 1]);
  button.click();
  assert.deepEqual([root.dataset.theme, label.textContent, redraws], ["light", "Light", 2]);
  assert.equal(JSON.parse(local.getItem("pulseboard.ui")).theme, "light");
  button.click();
  assert.deepEqual([root.dataset.theme, label.textContent, redraws], ["dark", "Dark", 3]);
  media.matches = false;
  media.listeners[0]();
  assert.equal(root.dataset.theme, "dark", "a choice holds whatever the system says");
  button.click();
  assert.deepEqual([root.dataset.theme, label.textContent, sw.choice], ["light", "Auto", "auto"]);
  assert.equal(JSON.parse(local.getItem("pulseboard.ui")).theme, undefined, "auto is the default: not kept");
  assert.match(button.getAttribute("aria-label"), /^Theme: auto/);
});
