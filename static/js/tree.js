// The supervision tree view: root → aggregator, collectors, dashboard →
// one collector per source, coloured by state, with restart counts. A
// node whose state or restart count changes pulses once, so a crash and
// its restart can be watched.

import { setText } from "./dom.js";

/**
 * @typedef {{key: string, name: string, strategy: string|null,
 *   state: string|null, restarts: number|null, source: boolean,
 *   children: TreeNode[]}} TreeNode
 */

// Until the server sends its own "tree", the page draws the shape of
// docs/architecture.md with the top-level children taken to be running.
const DEFAULT_TREE = {
  name: "root",
  strategy: "rest_for_one",
  state: "running",
  children: [
    { name: "aggregator", state: "running" },
    { name: "collectors", strategy: "one_for_one", state: "running" },
    { name: "dashboard", state: "running" },
  ],
};

const COLLECTORS = "collectors";

function num(x) {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

/**
 * buildTree normalises the server's tree (null or undefined when it sends
 * none) and hangs the sources under the "collectors" node: the sources
 * list is the truth about collectors, whatever children the tree names.
 * @param {object|null|undefined} raw the snapshot's or delta's "tree"
 * @param {Array<{name: string, state: string, restarts: number}>} sources
 * @returns {TreeNode}
 */
export function buildTree(raw, sources) {
  const base = raw && typeof raw === "object" && raw.name ? raw : DEFAULT_TREE;
  const walk = (n, parentKey) => {
    const key = parentKey ? `${parentKey}/${n.name}` : String(n.name);
    const node = {
      key,
      name: String(n.name),
      strategy: n.strategy ? String(n.strategy) : null,
      state: n.state ? String(n.state) : parentKey ? null : "running",
      restarts: num(n.restarts),
      source: false,
      children: [],
    };
    if (node.name === COLLECTORS && parentKey) {
      node.children = (sources || []).map((s) => ({
        key: `${key}/${s.name}`,
        name: String(s.name),
        strategy: null,
        state: s.state ? String(s.state) : null,
        restarts: num(s.restarts),
        source: true,
        children: [],
      }));
    } else if (Array.isArray(n.children)) {
      node.children = n.children.filter((c) => c && c.name).map((c) => walk(c, key));
    }
    return node;
  };
  return walk(base, "");
}

/** TreeView draws a TreeNode into a container and updates it in place. */
export class TreeView {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.nodes = new Map(); // key → {li, el, dot, state, restarts, ul, prev}
    this.rootUl = document.createElement("ul");
    this.rootUl.className = "tree";
    container.replaceChildren(this.rootUl);
  }

  /**
   * update redraws for a new tree, in place: a node's element is moved only
   * if it is out of order, since moving it would restart its animation (a
   * pulse would never end while updates come). Nodes that changed pulse.
   */
  update(root) {
    const seen = new Set();
    this.place(root, this.rootUl, 0, seen);
    for (const [key, n] of this.nodes) {
      if (!seen.has(key)) {
        n.li.remove();
        this.nodes.delete(key);
      }
    }
  }

  // place puts node's element at position i of parentUl, if not there yet.
  place(node, parentUl, i, seen) {
    seen.add(node.key);
    let n = this.nodes.get(node.key);
    if (!n) {
      n = this.create(node);
      this.nodes.set(node.key, n);
    }
    const at = parentUl.children[i] || null;
    if (at !== n.li) parentUl.insertBefore(n.li, at);
    this.fill(n, node);
    if (node.children.length) {
      if (!n.ul) {
        n.ul = document.createElement("ul");
        n.li.appendChild(n.ul);
      }
      node.children.forEach((c, j) => this.place(c, n.ul, j, seen));
    } else if (n.ul) {
      n.ul.remove();
      n.ul = null;
    }
  }

  create(node) {
    const li = document.createElement("li");
    const el = document.createElement("div");
    el.className = "node";
    el.dataset.key = node.key;
    if (node.source) {
      el.dataset.source = node.name;
      el.classList.add("is-source");
    }
    const dot = span("dot");
    const name = span("name", node.name);
    const strategy = span("strategy");
    const state = span("state");
    const restarts = span("restarts");
    restarts.title = "restarts";
    el.append(dot, name, strategy, state, restarts);
    el.addEventListener("animationend", () => el.classList.remove("pulse"));
    li.appendChild(el);
    return { li, el, strategy, state, restarts, ul: null, prev: null };
  }

  fill(n, node) {
    const state = node.state || "unknown";
    if (n.el.dataset.state !== state) n.el.dataset.state = state;
    // setText: an unchanged text is not rewritten (no style or layout work).
    setText(n.strategy, node.strategy ? node.strategy.replaceAll("_", " ") : "");
    n.strategy.hidden = !node.strategy;
    setText(n.state, state === "running" ? "" : state);
    n.state.hidden = state === "running";
    setText(n.restarts, node.restarts === null ? "↻ –" : `↻ ${node.restarts}`);
    // The root has no parent to restart it: an unknown count says nothing.
    n.restarts.hidden = node.restarts === null && !node.key.includes("/");
    const count = node.restarts === null ? "" : String(node.restarts);
    if (n.restarts.dataset.count !== count) n.restarts.dataset.count = count;
    const title = `${node.name}: ${state}` + (node.restarts === null ? "" : `, ${node.restarts} restarts`);
    if (n.el.title !== title) n.el.title = title;
    const prev = n.prev;
    if (prev && (prev.state !== node.state || prev.restarts !== node.restarts)) pulse(n.el);
    n.prev = { state: node.state, restarts: node.restarts };
  }
}

/** pulse restarts an element's one-shot highlight animation. */
export function pulse(el) {
  el.classList.remove("pulse");
  void el.offsetWidth; // restart the CSS animation
  el.classList.add("pulse");
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  if (text !== undefined) s.textContent = text;
  return s;
}
