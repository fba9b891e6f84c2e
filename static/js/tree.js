// The supervision tree view: root → aggregator, collectors, dashboard →
// one collector per source, coloured by state, with restart counts. A
// node whose state or restart count changes pulses once, so a crash and
// its restart can be watched.

import { setHidden, setText } from "./dom.js";
import { formatAgo, formatClock } from "./format.js";

/**
 * @typedef {{key: string, name: string, strategy: string|null,
 *   state: string|null, restarts: number|null, lastRestart?: number, source: boolean,
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

/** CLUSTER is the key of the tree's top when it shows a cluster's nodes. */
export const CLUSTER = "cluster";

/**
 * clusterNodes lists the nodes of a cluster's tree (the server's raw
 * "tree": this node's root with its peers' under "nodes"), this node
 * first: [] without a cluster or without peers, so a single node is
 * shown as ever.
 * @param {object|null|undefined} raw
 * @returns {{name: string, state: string, lastSeen: number}[]}
 */
export function clusterNodes(raw) {
  if (!raw || typeof raw !== "object" || !Array.isArray(raw.nodes) || !raw.nodes.length || !raw.node) return [];
  const peers = raw.nodes.filter((n) => n && n.node);
  if (!peers.length) return [];
  return [raw, ...peers].map((n) => ({
    name: String(n.node),
    state: n.state ? String(n.state) : "running",
    lastSeen: num(n.last_seen) || 0,
  }));
}

/**
 * buildTree normalises the server's tree (null or undefined when it sends
 * none) and hangs the sources under the "collectors" node: the sources
 * list is the truth about collectors, whatever children the tree names.
 * A cluster's tree (clusterNodes) becomes one node per cluster node under
 * a "cluster" top, each named after its node and holding its own sources.
 * @param {object|null|undefined} raw the snapshot's or delta's "tree"
 * @param {Array<{name: string, state: string, restarts: number, node?: string}>} sources
 * @returns {TreeNode}
 */
export function buildTree(raw, sources) {
  if (clusterNodes(raw).length) {
    const roots = [raw, ...raw.nodes.filter((n) => n && n.node)];
    const nodeOf = (s) => (s.node ? String(s.node) : String(raw.node));
    return {
      key: CLUSTER,
      name: CLUSTER,
      strategy: null,
      state: "running",
      restarts: null,
      source: false,
      children: roots.map((r) => {
        const name = String(r.node);
        const mine = (sources || []).filter((s) => nodeOf(s) === name);
        const n = retag(buildTree({ ...r, nodes: undefined, node: undefined, name: name }, mine), `${CLUSTER}/@${name}`, name);
        // A node down says nothing of its children now: unknown, but its
        // sources, which say "down" themselves.
        return r.state === "down" ? { ...n, children: n.children.map(unknownBelow) } : n;
      }),
    };
  }
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
        lastRestart: Number(s.last_restart_at) > 0 ? Number(s.last_restart_at) : 0,
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

function unknownBelow(n) {
  return n.source ? n : { ...n, state: "unknown", children: n.children.map(unknownBelow) };
}

// retag moves a built subtree's keys under a new prefix (a node's tree
// inside a cluster's: "cluster/@b/…"), so that two nodes' "collectors"
// are two tree items.
function retag(node, key, old) {
  return { ...node, key: key + node.key.slice(old.length), children: node.children.map((c) => retag(c, key, old)) };
}

/**
 * nodeState is the state of the first node named name in a tree (depth
 * first; a source of that name is not one), or "" when there is none or
 * it has no state: the page reads the stored history's from its
 * "storage" node.
 * @param {TreeNode} node
 * @param {string} name
 * @returns {string}
 */
export function nodeState(node, name) {
  // In a cluster's tree, this node's own is the first node's.
  if (node.key === CLUSTER) return node.children.length ? nodeState(node.children[0], name) : "";
  if (node.name === name && !node.source) return node.state || "";
  for (const c of node.children) {
    const s = nodeState(c, name);
    if (s) return s;
  }
  return "";
}

/**
 * @typedef {{parent: number, expandable: boolean, expanded: boolean, source: boolean}} ShownNode
 * parent: the index of the node's parent among those shown, -1 for the top.
 */

/**
 * treeKeyAction is what a key does on the shown node i of a tree, as the
 * WAI-ARIA tree pattern has it: {focus: j} moves the focus, {expand: j,
 * expanded} opens or closes node j, {activate: j} activates a source;
 * null for a key the tree does not take.
 * @param {ShownNode[]} nodes the nodes shown, in reading order
 * @param {number} i
 * @param {string} key a KeyboardEvent's key
 * @returns {{focus: number}|{expand: number, expanded: boolean}|{activate: number}|null}
 */
export function treeKeyAction(nodes, i, key) {
  const n = nodes[i];
  switch (key) {
    case "ArrowDown":
      return { focus: Math.min(nodes.length - 1, i + 1) };
    case "ArrowUp":
      return { focus: Math.max(0, i - 1) };
    case "Home":
      return { focus: 0 };
    case "End":
      return { focus: nodes.length - 1 };
    case "ArrowRight":
      if (!n.expandable) return { focus: i };
      // An open node's first child is the next node shown.
      return n.expanded ? { focus: i + 1 } : { expand: i, expanded: true };
    case "ArrowLeft":
      if (n.expandable && n.expanded) return { expand: i, expanded: false };
      return { focus: n.parent >= 0 ? n.parent : i };
    case "Enter":
    case " ":
      if (n.expandable && !n.source) return { expand: i, expanded: !n.expanded };
      return { activate: i };
    default:
      return null;
  }
}

/**
 * crashText says when a source last crashed, "last crash 03:31:12": at
 * crashAt (unix ms, the timeline's latest crash of it; 0 if it holds
 * none), else, as the source itself tells a page opened later, when its
 * collector last restarted (a restart follows a crash): "last restart
 * 03:31:14". "" for a source that never did. Given now (unix ms), how
 * long ago too: "last crash 03:31:12 (4s ago)".
 * @param {{last_restart_at?: number}|undefined} src
 * @param {number} [crashAt]
 * @param {number} [now]
 */
export function crashText(src, crashAt = 0, now = 0) {
  const restart = src ? Number(src.last_restart_at) || 0 : 0;
  const at = crashAt > 0 ? crashAt : restart;
  if (!(at > 0)) return "";
  return `last ${crashAt > 0 ? "crash" : "restart"} ${formatClock(at)}${now > 0 ? ` (${formatAgo(at, now)})` : ""}`;
}

/**
 * TreeView draws a TreeNode into a container and updates it in place. It
 * is an ARIA tree (treeKeyAction): one node is in the tab order at a
 * time, Up, Down, Home and End move between the nodes shown, Right and
 * Left open and close a node or move to its first child and its parent;
 * Enter, Space or a click opens or closes a node with children and, on a
 * source's node, calls onActivate with its name.
 */
export class TreeView {
  /**
   * @param {HTMLElement} container
   * @param {{onActivate?: (source: string) => void}} [opts]
   */
  constructor(container, opts = {}) {
    this.container = container;
    this.onActivate = opts.onActivate || (() => {});
    this.nodes = new Map(); // key → {li, el, dot, state, restarts, ul, prev}
    this.focusKey = "";
    this.collapsed = new Set(); // keys of the nodes whose children are hidden
    this.rootUl = document.createElement("ul");
    this.rootUl.className = "tree";
    this.rootUl.setAttribute("role", "tree");
    this.rootUl.setAttribute("aria-label", "Supervision tree");
    this.rootUl.addEventListener("keydown", (ev) => this.onKey(ev));
    this.rootUl.addEventListener("click", (ev) => {
      const li = ev.target.closest && ev.target.closest("[role=treeitem]");
      if (!li) return;
      if (!li.dataset.source && li.hasAttribute("aria-expanded")) this.setExpanded(li, li.getAttribute("aria-expanded") !== "true");
      this.activate(li);
    });
    container.replaceChildren(this.rootUl);
  }

  /** items are the elements of the nodes shown (not in a collapsed node), in reading order. */
  items() {
    return [...this.rootUl.querySelectorAll("[role=treeitem]")].filter((el) => !el.closest("ul[hidden]"));
  }

  // focusItem moves the tab stop (and the focus) to a node.
  focusItem(li) {
    if (!li) return;
    this.focusKey = li.dataset.key;
    for (const n of this.nodes.values()) n.el.tabIndex = n.el === li ? 0 : -1;
    li.focus();
  }

  activate(li) {
    this.focusKey = li.dataset.key;
    for (const n of this.nodes.values()) n.el.tabIndex = n.el === li ? 0 : -1;
    if (li.dataset.source) this.onActivate(li.dataset.source);
  }

  onKey(ev) {
    const items = this.items();
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    const act = treeKeyAction(items.map((li) => this.describe(li, items)), i, ev.key);
    if (!act) return;
    ev.preventDefault();
    if (act.activate !== undefined) this.activate(items[act.activate]);
    else if (act.expand !== undefined) this.setExpanded(items[act.expand], act.expanded);
    else this.focusItem(items[act.focus]);
  }

  // describe is what treeKeyAction needs of a visible node.
  describe(li, items) {
    const n = this.nodes.get(li.dataset.key);
    const parentLi = n.li.parentNode && n.li.parentNode.parentNode;
    const parent = parentLi && parentLi.firstElementChild;
    return {
      parent: parent ? items.indexOf(parent) : -1,
      expandable: !!n.ul,
      expanded: !!n.ul && !n.ul.hidden,
      source: !!li.dataset.source,
    };
  }

  /** setExpanded shows or hides a node's children (Right, Left, Enter or a click on it). */
  setExpanded(el, expanded) {
    const key = el.dataset.key;
    const n = this.nodes.get(key);
    if (!n || !n.ul) return;
    if (expanded) this.collapsed.delete(key);
    else this.collapsed.add(key);
    n.ul.hidden = !expanded;
    n.el.setAttribute("aria-expanded", String(expanded));
    // The tab stop does not stay on a node now hidden: it goes to the one closed.
    if (!expanded && this.focusKey.startsWith(`${key}/`)) {
      this.focusKey = key;
      for (const m of this.nodes.values()) m.el.tabIndex = m === n ? 0 : -1;
    }
  }

  /**
   * update redraws for a new tree, in place: a node's element is moved only
   * if it is out of order, since moving it would restart its animation (a
   * pulse would never end while updates come). Nodes that changed pulse.
   */
  update(root, crashAt = () => 0) {
    this.crashAt = crashAt;
    const seen = new Set();
    this.place(root, this.rootUl, 0, seen);
    for (const [key, n] of this.nodes) {
      if (!seen.has(key)) {
        n.li.remove();
        this.nodes.delete(key);
      }
    }
    // One node in the tab order: the last one focused, or the root.
    if (!this.nodes.has(this.focusKey)) this.focusKey = root.key;
    for (const [key, n] of this.nodes) {
      const t = key === this.focusKey ? 0 : -1;
      if (n.el.tabIndex !== t) n.el.tabIndex = t;
    }
  }

  /** tick refreshes how long ago each source last crashed (now: unix ms); the page calls it every second. */
  tick(now) {
    this.now = now;
    for (const n of this.nodes.values()) if (n.crashOf) this.showCrash(n);
  }

  // showCrash writes a node's last crash, and how long ago (as of the last tick).
  showCrash(n) {
    const crash = n.crashOf ? crashText(...n.crashOf, this.now || 0) : "";
    setText(n.crash, crash);
    setHidden(n.crash, !crash);
    const kind = n.crashOf && n.crashOf[1] > 0 ? "crash" : "restart";
    if (n.crash.dataset.kind !== kind) n.crash.dataset.kind = kind;
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
        n.ul.setAttribute("role", "group");
        n.li.appendChild(n.ul);
        n.ul.hidden = this.collapsed.has(node.key);
        n.el.setAttribute("aria-expanded", String(!n.ul.hidden));
      }
      node.children.forEach((c, j) => this.place(c, n.ul, j, seen));
    } else if (n.ul) {
      n.ul.remove();
      n.ul = null;
      n.el.removeAttribute("aria-expanded");
    }
  }

  create(node) {
    // The node is the tree item; its list item only places it.
    const li = document.createElement("li");
    li.setAttribute("role", "none");
    const el = document.createElement("div");
    el.className = "node";
    el.setAttribute("role", "treeitem");
    el.tabIndex = -1;
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
    const crash = span("crash-at");
    crash.hidden = true;
    // Read out in words instead of the symbols shown (assistive technology).
    for (const s of [strategy, state, restarts, crash]) s.setAttribute("aria-hidden", "true");
    const spoken = span("sr-only");
    el.append(dot, name, strategy, state, restarts, crash, spoken);
    el.addEventListener("animationend", () => el.classList.remove("pulse"));
    li.appendChild(el);
    return { li, el, strategy, state, restarts, crash, spoken, ul: null, prev: null };
  }

  fill(n, node) {
    const state = node.state || "unknown";
    if (n.el.dataset.state !== state) n.el.dataset.state = state;
    // setText: an unchanged text is not rewritten (no style or layout work).
    setText(n.strategy, node.strategy ? node.strategy.replaceAll("_", " ") : "");
    setHidden(n.strategy, !node.strategy);
    setText(n.state, state === "running" ? "" : state);
    setHidden(n.state, state === "running");
    setText(n.restarts, node.restarts === null ? "↻ –" : `↻ ${node.restarts}`);
    // The root has no parent to restart it: an unknown count says nothing.
    setHidden(n.restarts, node.restarts === null && !node.key.includes("/"));
    const count = node.restarts === null ? "" : String(node.restarts);
    if (n.restarts.dataset.count !== count) n.restarts.dataset.count = count;
    // A source's last crash, on the node: the answer to "when did it last crash?" at a glance.
    n.crashOf = node.source ? [{ last_restart_at: node.lastRestart }, this.crashAt ? this.crashAt(node.name) : 0] : null;
    // The title and the spoken text without "ago": they would be rewritten every second.
    const crash = n.crashOf ? crashText(...n.crashOf) : "";
    this.showCrash(n);
    const last = node.lastRestart ? `, the last at ${formatClock(node.lastRestart)}` : "";
    const title = `${node.name}: ${state}` + (node.restarts === null ? "" : `, ${node.restarts} restarts${last}`) + (crash ? `; ${crash}` : "");
    if (n.el.title !== title) {
      n.el.title = title;
      const how = node.strategy ? `, ${node.strategy.replaceAll("_", " ")}` : "";
      setText(n.spoken, `: ${state}${how}${node.restarts === null ? "" : `, ${node.restarts} restarts`}${crash ? `, ${crash}` : ""}${node.source ? ". Enter shows its charts." : ""}`);
    }

    const prev = n.prev;
    if (prev && (prev.state !== node.state || prev.restarts !== node.restarts)) pulse(n.el);
    n.prev = { state: node.state, restarts: node.restarts };
  }
}

/**
 * pulse starts an element's one-shot highlight animation, or starts it
 * again from the beginning if it is running. Through its animations, not
 * by taking the class away and reading a layout property: that forced a
 * layout of the whole page for every node and badge that changed, in the
 * very frame that builds a page of 500 series.
 */
export function pulse(el) {
  if (!el.classList.contains("pulse")) {
    el.classList.add("pulse");
    return;
  }
  for (const a of el.getAnimations({ subtree: true })) a.currentTime = 0;
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  if (text !== undefined) s.textContent = text;
  return s;
}
