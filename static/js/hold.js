// A restart held in view. A crashed collector is in backoff for as long as
// the supervisor's backoff lasts, a tenth of a second at first: the badge
// and the tree node went "backoff" and back to "running" between two
// glances. The page shows a backoff for BACKOFF_HOLD_MS at least (the
// group's badge, sources.js, and its tree node, tree.js), then what the
// stream says. Once the backoff has ended the held state says so,
// "restarted" (RESTARTED): a badge still saying "backoff" contradicted the
// line beside it ("backed off 100 ms, restarted at …"). Pure: times are
// handed in.

/** BACKOFF_HOLD_MS is the shortest time a backoff stays shown, ms. */
export const BACKOFF_HOLD_MS = 2000;

/** RESTARTED is the state shown of a source whose backoff has ended while it is held (a running one, in its colours). */
export const RESTARTED = "restarted";

export class StateHold {
  constructor() {
    /** @type {Map<string, {since: number, ended: boolean}>} by source: a backoff seen, held until since + BACKOFF_HOLD_MS */
    this.held = new Map();
  }

  /**
   * shown is the state to show of a source whose stream state is state at
   * now (unix ms, the page's clock): RESTARTED while a backoff seen less
   * than BACKOFF_HOLD_MS ago has given way to "running"; state otherwise.
   * The controller calls it at every frame that draws the source.
   * @param {string} name
   * @param {string} state
   * @param {number} now
   */
  shown(name, state, now) {
    const h = this.held.get(name);
    if (state === "backoff") {
      // A new backoff after one that ended is held from its own start.
      if (!h || h.ended) this.held.set(name, { since: now, ended: false });
      return state;
    }
    if (!h) return state;
    h.ended = true;
    if (state === "running" && now - h.since < BACKOFF_HOLD_MS) return RESTARTED;
    this.held.delete(name);
    return state;
  }

  /** holding lists the sources whose shown state may still change with time alone: the page redraws them at its tick. */
  holding() {
    return [...this.held.keys()];
  }
}

/**
 * heldTree is a supervision tree (treemodel.js) whose source nodes show
 * their state as hold shows it at now.
 * @param {import("./treemodel.js").TreeNode} node
 * @param {StateHold} hold
 * @param {number} now
 * @returns {import("./treemodel.js").TreeNode}
 */
export function heldTree(node, hold, now) {
  const state = node.source && node.state ? hold.shown(node.name, node.state, now) : node.state;
  const children = node.children.map((c) => heldTree(c, hold, now));
  return state === node.state && children.every((c, i) => c === node.children[i]) ? node : { ...node, state, children };
}
