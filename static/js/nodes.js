// A cluster's sources, grouped by node: when the server knows more than
// one node (tree.js clusterNodes), the page shows each node as a section,
// headed by its name, whether it is up and, when down, when it was last
// seen, with its sources' groups under it. A node down is marked at once:
// its section says "down" and greys its sources. With one node the page
// is as it always was: the groups straight in their box.

import { h, setText } from "./dom.js";
import { formatClock } from "./format.js";

/**
 * nodeOfSource is the node a source's group belongs to: its "node", else
 * the node its name starts with ("b/demo"), else this node (the first).
 * @param {string} name
 * @param {object|undefined} src the stream's source object
 * @param {string} self this node's name
 */
export function nodeOfSource(name, src, self) {
  if (src && src.node) return String(src.node);
  const i = name.indexOf("/");
  return i > 0 ? name.slice(0, i) : self;
}

/**
 * groupByNode splits ordered group names by node, in the nodes' order;
 * a group of a node the tree does not list (yet) goes with this node's.
 * @param {string[]} names
 * @param {Map<string, object>} sources
 * @param {{name: string}[]} nodes this node first
 * @returns {{node: object, names: string[]}[]}
 */
export function groupByNode(names, sources, nodes) {
  const out = nodes.map((node) => ({ node, names: [] }));
  const at = new Map(nodes.map((n, i) => [n.name, i]));
  for (const name of names) {
    const i = at.get(nodeOfSource(name, sources.get(name), nodes[0].name));
    out[i === undefined ? 0 : i].names.push(name);
  }
  return out;
}

/**
 * nodeStatus is what a node's heading says: "up", or "down" with when it
 * was last seen.
 * @param {{state: string, lastSeen: number}} node
 */
export function nodeStatus(node) {
  if (node.state !== "down") return { state: "up", text: "up", seen: "" };
  return { state: "down", text: "down", seen: node.lastSeen > 0 ? `last seen ${formatClock(node.lastSeen)}` : "" };
}

/**
 * NodeSections keeps one section per node in the groups' box, in order,
 * and puts each node's group elements in its section. An element is moved
 * only when it is out of place (a move restarts its animations).
 */
export class NodeSections {
  /** @param {HTMLElement} box */
  constructor(box) {
    this.box = box;
    /** @type {Map<string, {el: HTMLElement, list: HTMLElement, state: HTMLElement, seen: HTMLElement}>} */
    this.sections = new Map();
  }

  /**
   * show places the sections and their groups.
   * @param {{node: {name: string, state: string, lastSeen: number}, els: HTMLElement[]}[]} parts
   */
  show(parts) {
    const keep = new Set();
    parts.forEach((p, i) => {
      const s = this.section(p.node.name);
      keep.add(p.node.name);
      const st = nodeStatus(p.node);
      if (s.el.dataset.state !== st.state) s.el.dataset.state = st.state;
      setText(s.state, st.text);
      s.state.dataset.state = st.state === "up" ? "running" : "down";
      setText(s.seen, st.seen);
      s.seen.hidden = !st.seen;
      placeAt(this.box, s.el, i);
      p.els.forEach((el, j) => placeAt(s.list, el, j));
    });
    for (const [name, s] of this.sections) {
      if (keep.has(name)) continue;
      s.el.remove();
      this.sections.delete(name);
    }
  }

  /** flat puts the groups straight in the box (one node) and drops every section. */
  flat(els) {
    els.forEach((el, i) => placeAt(this.box, el, i));
    for (const s of this.sections.values()) s.el.remove();
    this.sections.clear();
  }

  section(name) {
    let s = this.sections.get(name);
    if (s) return s;
    const state = h("span", "node-state badge");
    const seen = h("span", "node-seen");
    const title = h("h2", { class: "node-name", id: `node-${name}` }, name);
    const list = h("div", "node-groups");
    const el = h("section", { class: "node-section", dataset: { node: name }, "aria-labelledby": `node-${name}` },
      h("header", "node-head", title, state, seen), list);
    s = { el, list, state, seen };
    this.sections.set(name, s);
    return s;
  }
}

function placeAt(parent, el, i) {
  const at = parent.children[i] || null;
  if (at !== el) parent.insertBefore(el, at);
}
