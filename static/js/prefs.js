// The reader's preferences (the chosen window, the collapsed sources),
// kept in localStorage across visits. A convenience: storage that is full,
// refused or holds garbage only means starting from the defaults.

const KEY = "pulseboard.ui";

export class Prefs {
  /** @param {Storage} storage */
  constructor(storage) {
    this.storage = storage;
    /** @type {{window?: string, collapsed?: Record<string, boolean|undefined>}} */
    this.values = load(storage);
  }

  /** set changes one preference and saves them all. */
  set(key, value) {
    this.values[key] = value;
    try {
      this.storage.setItem(KEY, JSON.stringify(this.values));
    } catch {
      // Storage full or refused: the choice holds for this visit.
    }
  }

  /** collapsed says whether the reader collapsed a source's group. */
  collapsed(name) {
    return !!(this.values.collapsed && this.values.collapsed[name]);
  }

  /** setCollapsed records a group collapsed or expanded (which is the default, so it is dropped). */
  setCollapsed(name, collapsed) {
    this.set("collapsed", { ...this.values.collapsed, [name]: collapsed || undefined });
  }
}

function load(storage) {
  try {
    const v = JSON.parse(storage.getItem(KEY) || "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
