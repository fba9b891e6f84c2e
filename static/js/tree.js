// The supervision tree view: root → aggregator, collectors, dashboard →
// one collector per source, coloured by state, with restarts. A node
// whose state or restart count changes pulses once, so a crash and its
// restart can be watched; the first drawing and a showing again pulse
// nothing. The model (what each node says) is treemodel.js.

import { setHidden, setText } from "./dom.js";
import { formatClock } from "./format.js";
import { countSince, crashText, treeKeyAction } from "./treemodel.js";

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
    /** @type {Set<string>|null} the sources listed (filterSources), null: all */
    this.only = null;
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

  /** items are the elements of the nodes shown (not in a collapsed node, not filtered out), in reading order. */
  items() {
    return [...this.rootUl.querySelectorAll("[role=treeitem]")].filter((el) => !el.closest("ul[hidden], li[hidden]"));
  }

  /**
   * filterSources lists only the sources named (the page's filter shows
   * their groups), or every source (null); the other nodes stay. The
   * controller calls it whenever the filter is applied.
   * @param {Set<string>|null} names
   */
  filterSources(names) {
    this.only = names;
    for (const n of this.nodes.values()) this.showFiltered(n);
  }

  // showFiltered hides a source's node the filter leaves out.
  showFiltered(n) {
    const name = n.el.dataset.source;
    setHidden(n.li, !!name && !!this.only && !this.only.has(name));
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
  update(root, crashAt = () => 0, started = 0) {
    this.crashAt = crashAt;
    this.started = started; // the server's start, unix ms: what a source's count counts from (countSince)
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

  /**
   * tick refreshes each source's last crash and how long ago (now: unix
   * ms); the page calls it every second. The crash is read again (crashAt,
   * the timeline's, which the card header reads too): one that reached the
   * timeline after the last tree update (the crash that parked a source,
   * with no change of the tree for its cool-down) is shown at once.
   */
  tick(now) {
    this.now = now;
    for (const n of this.nodes.values()) {
      if (!n.crashOf) continue;
      if (this.crashAt && n.node && this.crashAt(n.node.name) !== n.crashOf[1]) this.fill(n, n.node);
      else this.showCrash(n);
    }
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
      this.showFiltered(n);
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
    const crashOf = node.source ? [{ last_restart_at: node.lastRestart, stale: !!node.stale }, this.crashAt ? this.crashAt(node.name) : 0] : null;
    // A count from 0 beside a crash older than the server's start says since when it counts.
    const since = crashOf && node.restarts !== null ? countSince(crashOf[0], crashOf[1], this.started || 0) : 0;
    const sinceText = since ? ` since ${formatClock(since)}` : "";
    setText(n.restarts, node.restarts === null ? "↻ –" : `↻ ${node.restarts}${sinceText}`);
    // The root has no parent to restart it: an unknown count says nothing.
    setHidden(n.restarts, node.restarts === null && !node.key.includes("/"));
    const count = node.restarts === null ? "" : String(node.restarts);
    if (n.restarts.dataset.count !== count) n.restarts.dataset.count = count;
    // A source's last crash, on the node: the answer to "when did it last crash?" at a glance.
    n.crashOf = crashOf;
    n.node = node; // what tick fills again when a later crash is known
    // The title and the spoken text without "ago": they would be rewritten every second.
    const crash = n.crashOf ? crashText(...n.crashOf) : "";
    this.showCrash(n);
    const last = node.lastRestart ? `, the last at ${formatClock(node.lastRestart)}` : "";
    const title = `${node.name}: ${state}` + (node.restarts === null ? "" : `, ${restartsText(node.restarts)}${sinceText}${last}`) + (crash ? `; ${crash}` : "");
    if (n.el.title !== title) {
      n.el.title = title;
      const how = node.strategy ? `, ${node.strategy.replaceAll("_", " ")}` : "";
      setText(n.spoken, `: ${state}${how}${node.restarts === null ? "" : `, ${restartsText(node.restarts)}${sinceText}`}${crash ? `, ${crash}` : ""}${node.source ? ". Enter shows its charts." : ""}`);
    }

    // A change pulses: a known state or count other than the last known.
    // Coming to know one is no change (the first tree, drawn unknown until
    // the snapshot; a reconnect, after the unknown of the outage).
    if (!known(node)) return;
    const prev = n.prev;
    if (prev && (prev.state !== node.state || prev.restarts !== node.restarts)) pulse(n.el);
    n.prev = { state: node.state, restarts: node.restarts };
  }

  /**
   * settle ends every node's pulse: a tree shown again (the folded or
   * phone tree's Show) replays nothing, where a pulse started while it
   * was hidden (display: none never plays, nor ends, an animation) played
   * at the showing. The page calls it as the tree is shown.
   */
  settle() {
    for (const n of this.nodes.values()) n.el.classList.remove("pulse");
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

// known says whether a node's state is known: not unknown (disconnected, or before the first snapshot).
function known(node) {
  return node.state !== "unknown" && !node.stale;
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  if (text !== undefined) s.textContent = text;
  return s;
}

// restartsText counts a node's restarts in words: "1 restart", "3 restarts".
function restartsText(n) {
  return `${n} ${n === 1 ? "restart" : "restarts"}`;
}
