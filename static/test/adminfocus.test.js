import { test } from "node:test";
import assert from "node:assert/strict";
import { installDOM } from "./fakes/dom.js";

const doc = installDOM();
const listeners = new Map();
doc.addEventListener = (type, fn) => listeners.set(type, [...(listeners.get(type) || []), fn]);
const { AdminControl } = await import("../js/admin.js");

function control() {
  const el = (tag) => document.createElement(tag);
  const wrap = el("div");
  const [button, form, input, hint, signed, forget] = ["button", "form", "input", "p", "div", "button"].map(el);
  form.append(input);
  signed.append(forget);
  wrap.append(button, form, signed);
  form.hidden = signed.hidden = true;
  const storage = { setItem() {}, removeItem() {}, getItem: () => null };
  const c = new AdminControl({ button, form, input, hint, signed, forget, storage, onChange: () => {} });
  return { c, button, form, input, forget };
}

test("after the token is saved the focus is back on the Admin button, not the page's body", () => {
  const { button, form, input } = control();
  button.click();
  assert.equal(document.activeElement, input, "the form opens on its field");
  input.value = "s3cret";
  form.dispatch("submit");
  assert.equal(form.hidden, true);
  assert.equal(document.activeElement, button);
});

test("forgetting the token, or Escape from inside the popover, gives the focus back to the button too", () => {
  const { c, button, forget } = control();
  c.set("s3cret");
  button.click();
  forget.focus();
  forget.click();
  assert.equal(document.activeElement, button);
  button.click();
  const { input } = c;
  assert.equal(document.activeElement, input);
  for (const fn of listeners.get("keydown")) fn({ key: "Escape" });
  assert.equal(document.activeElement, button);
});
