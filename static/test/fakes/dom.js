// A minimal DOM for the views' tests: enough of document.createElement,
// elements and text nodes for dom.js's h() and setText and what the views
// call on them. Installed on globalThis by installDOM(). Not a test file.

class FakeClassList {
  constructor(el) {
    this.el = el;
  }
  get set() {
    return new Set(this.el.className.split(/\s+/).filter(Boolean));
  }
  contains(c) {
    return this.set.has(c);
  }
  add(...cs) {
    const s = this.set;
    for (const c of cs) s.add(c);
    this.el.className = [...s].join(" ");
  }
  remove(...cs) {
    const s = this.set;
    for (const c of cs) s.delete(c);
    this.el.className = [...s].join(" ");
  }
  toggle(c, on) {
    const want = on === undefined ? !this.contains(c) : !!on;
    if (want) this.add(c);
    else this.remove(c);
    return want;
  }
}

class FakeText {
  constructor(text) {
    this.nodeType = 3;
    this.data = String(text);
    this.parentNode = null;
  }
  get textContent() {
    return this.data;
  }
  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }
}

export class FakeElement {
  constructor(tag) {
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.dataset = {};
    this.attributes = new Map();
    this.childNodes = [];
    this.parentNode = null;
    this.hidden = false;
    this.disabled = false;
    this.title = "";
    this.value = "";
    this.listeners = new Map();
    this.classList = new FakeClassList(this);
    this.style = new FakeStyle();
  }
  get children() {
    return this.childNodes.filter((n) => n.nodeType === 1);
  }
  get childElementCount() {
    return this.children.length;
  }
  get firstChild() {
    return this.childNodes[0] || null;
  }
  get lastChild() {
    return this.childNodes.at(-1) || null;
  }
  get nextElementSibling() {
    if (!this.parentNode) return null;
    const siblings = this.parentNode.children;
    return siblings[siblings.indexOf(this) + 1] || null;
  }
  get firstElementChild() {
    return this.children[0] || null;
  }
  get lastElementChild() {
    return this.children.at(-1) || null;
  }
  get textContent() {
    return this.childNodes.map((n) => n.textContent).join("");
  }
  set textContent(t) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = t === "" ? [] : [new FakeText(t)];
    this.childNodes.forEach((n) => (n.parentNode = this));
  }
  setAttribute(k, v) {
    this.attributes.set(k, String(v));
    if (k === "id") this.id = String(v);
    if (k === "title") this.title = String(v);
  }
  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }
  removeAttribute(k) {
    this.attributes.delete(k);
  }
  append(...nodes) {
    for (const n of nodes) this.insertBefore(typeof n === "string" ? new FakeText(n) : n, null);
  }
  appendChild(n) {
    this.insertBefore(n, null);
    return n;
  }
  prepend(...nodes) {
    for (const n of nodes.reverse()) this.insertBefore(typeof n === "string" ? new FakeText(n) : n, this.childNodes[0] || null);
  }
  insertBefore(n, ref) {
    if (n.parentNode) n.parentNode.removeChild(n);
    const i = ref ? this.childNodes.indexOf(ref) : -1;
    if (i < 0) this.childNodes.push(n);
    else this.childNodes.splice(i, 0, n);
    n.parentNode = this;
    return n;
  }
  removeChild(n) {
    const i = this.childNodes.indexOf(n);
    if (i >= 0) this.childNodes.splice(i, 1);
    n.parentNode = null;
    return n;
  }
  replaceChildren(...nodes) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }
  remove() {
    if (this.parentNode) this.parentNode.removeChild(this);
  }
  contains(n) {
    for (let p = n; p; p = p.parentNode) if (p === this) return true;
    return false;
  }
  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }
  removeEventListener(type, fn) {
    const l = this.listeners.get(type) || [];
    const i = l.indexOf(fn);
    if (i >= 0) l.splice(i, 1);
  }
  /** dispatch calls the listeners of type with ev (a plain object). */
  dispatch(type, ev = {}) {
    for (const fn of this.listeners.get(type) || []) fn({ target: this, preventDefault() {}, ...ev });
  }
  click(ev = {}) {
    this.dispatch("click", ev);
  }
  focus() {
    globalThis.document.activeElement = this;
  }
  matches() {
    return false;
  }
  /** closest knows a tag name ("section") or a class (".card") only: the nearest element of it, this one included. */
  closest(sel) {
    const s = String(sel);
    const is = s.startsWith(".") ? (el) => el.classList.contains(s.slice(1)) : (el) => el.tagName === s.toUpperCase();
    for (let el = this; el && el.tagName; el = el.parentNode) if (is(el)) return el;
    return null;
  }
  /** all lists the element and its descendants, depth first. */
  all() {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
  /** find returns the descendants with class c. */
  find(c) {
    return this.all().filter((e) => e.classList.contains(c));
  }
  /** one returns the only descendant with class c, or throws. */
  one(c) {
    const found = this.find(c);
    if (found.length !== 1) throw new Error(`${found.length} elements with class ${c}`);
    return found[0];
  }
}

/** installDOM puts a fake document on globalThis and returns it. */
// FakeStyle is an element's style as far as the page sets custom properties (CSSOM).
class FakeStyle {
  constructor() {
    this.props = new Map();
  }
  setProperty(k, v) {
    this.props.set(k, String(v));
  }
  removeProperty(k) {
    this.props.delete(k);
  }
  getPropertyValue(k) {
    return this.props.get(k) || "";
  }
}

export function installDOM() {
  const byId = new Map();
  const doc = {
    activeElement: null,
    body: new FakeElement("body"),
    documentElement: new FakeElement("html"),
    createElement: (tag) => new FakeElement(tag),
    createTextNode: (t) => new FakeText(t),
    getElementById: (id) => byId.get(id) || null,
    /** register makes getElementById find el. */
    register(id, el) {
      byId.set(id, el);
      return el;
    },
  };
  globalThis.document = doc;
  return doc;
}
