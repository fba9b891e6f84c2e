// The reader's preferences kept in localStorage across visits: the theme
// (themes.js), and nothing of the view. What the page shows (the window,
// the filter, the collapsed sources, the zoom, hidden zeros) lives in the
// address only (urlstate.js), as a Grafana dashboard's does: a bare
// address opens on the defaults, a link shows what its sender saw, and
// what one visit chose never leaks into the links of the next. A
// convenience: storage that is full, refused or holds garbage only means
// starting from the defaults.

const KEY = "pulseboard.ui";

/** KEPT are the preferences read back from storage; what earlier versions kept of the view is dropped. */
const KEPT = ["theme"];

export class Prefs {
  /** @param {Storage} storage */
  constructor(storage) {
    this.storage = storage;
    const { values, dropped } = load(storage);
    /** @type {{theme?: string}} */
    this.values = values;
    // What an earlier version kept of the view goes for good.
    if (dropped) this.save();
  }

  /** set changes one preference and saves them all. */
  set(key, value) {
    this.values[key] = value;
    this.save();
  }

  save() {
    try {
      this.storage.setItem(KEY, JSON.stringify(this.values));
    } catch {
      // Storage full or refused: the choice holds for this visit.
    }
  }
}

// load reads the kept preferences, and whether storage held anything else.
function load(storage) {
  try {
    const v = JSON.parse(storage.getItem(KEY) || "{}");
    if (!v || typeof v !== "object" || Array.isArray(v)) return { values: {}, dropped: false };
    const values = Object.fromEntries(KEPT.filter((k) => Object.hasOwn(v, k)).map((k) => [k, v[k]]));
    return { values, dropped: Object.keys(v).some((k) => !KEPT.includes(k)) };
  } catch {
    return { values: {}, dropped: false };
  }
}
