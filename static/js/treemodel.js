// The supervision tree's model: the tree the server sends (or the shape
// of docs/architecture.md until it does) with each source's state and
// restarts, the cluster's nodes, the keyboard moves of the ARIA tree and
// a source's last crash as text. Pure: no DOM (tree.js draws it).

import { isDown } from "./down.js";
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
        // "down" as the source's badge says (sources.js sourceHealth): running, its last poll failed.
        state: isDown(s) ? "down" : s.state ? String(s.state) : null,
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
 * long ago too: "last crash 03:31:12 (4s ago)"; of a stale source (the
 * page is disconnected: summary.js unknownSource) "(stale)" instead: it
 * may have crashed since. Given name, the source is named after the word:
 * "last crash flaky 03:31:12" (the tree's summary line).
 * @param {{last_restart_at?: number, stale?: boolean}|undefined} src
 * @param {number} [crashAt]
 * @param {number} [now]
 * @param {string} [name]
 */
export function crashText(src, crashAt = 0, now = 0, name = "") {
  const at = crashTime(src, crashAt);
  if (!(at > 0)) return "";
  const ago = src && src.stale ? " (stale)" : now > 0 ? ` (${formatAgo(at, now)})` : "";
  return `last ${crashAt > 0 ? "crash" : "restart"}${name ? ` ${name}` : ""} ${formatClock(at)}${ago}`;
}

/**
 * countSince is the start a source's restart count beside its last crash
 * counts from, when it must be said: the server's start (started, unix ms)
 * when the crash told (crashTime) is older, as a restarted server counts
 * from 0 while the crash comes from its stored events; 0 otherwise, where
 * the count and the crash are of the same process.
 * @param {{last_restart_at?: number}|undefined} src
 * @param {number} crashAt
 * @param {number} started
 */
export function countSince(src, crashAt, started) {
  const at = crashTime(src, crashAt);
  return started > 0 && at > 0 && at < started ? started : 0;
}

/** crashTime is the time crashText tells of (unix ms), 0 if none. */
export function crashTime(src, crashAt = 0) {
  return crashAt > 0 ? crashAt : src ? Number(src.last_restart_at) || 0 : 0;
}
