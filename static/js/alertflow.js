// What the alerts change on the page, as methods of the page controller
// (controller.js): the cards and the legend rows of the series under an
// alert are coloured, their charts draw the threshold and the firing span,
// the source panels are coloured, and the alerts panel lists them; and an
// alert's link (its generatorURL, "#series=<id>" or "#source=<name>")
// shows its card or source once the stream has it. The alerts themselves
// are the store's (alerts.js).

import { worst } from "./alerts.js";

/** @type {ThisType<import("./controller.js").PageController>} */
export const pageAlerts = {
  /**
   * alertsChanged marks for the next frame what the alerts of a change
   * touch. A card made again for a series still under an alert (the
   * series left and came back) is coloured too; a snapshot recolours
   * every source panel.
   * @param {import("./store.js").Changes} ch
   */
  alertsChanged(ch) {
    const alerts = this.store.alerts;
    const now = new Set(ch.added.filter((id) => alerts.ofSeries(id).length));
    const later = new Set();
    for (const { prev, next } of ch.alerts) {
      // An alert whose value alone moved (the stream sends it at every
      // evaluation) waits for the clock's tick, as new points do; a new
      // state or severity is shown at once.
      const valueOnly = !!prev && prev.state === next.state && prev.severity === next.severity;
      const d = valueOnly ? this.waiting : this.dirty;
      const series = next.series || (prev && prev.series);
      if (series) (valueOnly ? later : now).add(series);
      const source = next.source || (prev && prev.source);
      if (source && this.groups.has(source)) d.sources.add(source);
      d.alerts = true;
    }
    if (ch.reset) for (const name of this.groups.keys()) this.dirty.sources.add(name);
    if (ch.reset) this.dirty.alerts = true;
    for (const [ids, d] of [
      [now, this.dirty],
      [later, this.waiting],
    ]) {
      for (const id of ids) {
        const key = this.families.keyOf(id);
        if (!key) continue;
        d.alertCards.add(key);
        this.charts.markDirty(key);
      }
    }
  },

  /**
   * revealTarget shows what the page's address points at (this.target,
   * from readTarget), once: the card of a series, expanded, scrolled to
   * and focused, or the group of a source. It waits (returns false) until
   * the stream has brought it.
   */
  revealTarget() {
    const t = this.target;
    if (!t || (!t.series && !t.source)) return false;
    const key = t.series ? this.families.keyOf(t.series) : "";
    const card = key && this.cards.get(key);
    const source = card ? card.source : t.source;
    if (!this.groups.has(source) || (t.series && !card)) return false;
    this.target = null;
    if (!card) {
      this.revealSource(source);
      return true;
    }
    const g = this.groups.get(source);
    if (g.collapsed) g.setCollapsed(false, true);
    card.el.tabIndex = -1;
    card.el.classList.add("is-target");
    this.deps.page.reveal(card.el); // under the bars, and kept there (page.js)
    if (card.el.focus) card.el.focus({ preventScroll: true });
    return true;
  },

  /**
   * sourceAlert is the alert that colours a source's panel, if any; while
   * disconnected its state and severity are unknown (shownAlert).
   */
  sourceAlert(name) {
    return this.shownAlert(worst(this.store.alerts.ofSource(name)));
  },

  /**
   * shownAlert is an alert as a chip or a card shows it: while the stream
   * is lost it may have resolved or fired since, so its state and severity
   * read "unknown" (its last known state in lastState), as the alerts panel
   * says (alertsview.js setStale); undefined stays undefined.
   * @param {import("./alerts.js").Alert|undefined} a
   */
  shownAlert(a) {
    if (!a || this.connected()) return a;
    return { ...a, state: "unknown", severity: "unknown", lastState: a.state };
  },

  /**
   * drawAlerts colours the cards marked, each line by its own worst
   * alert, and lists the alerts in the panel; the frame calls it (now:
   * the page's clock, unix ms).
   */
  drawAlerts(now) {
    const d = this.dirty;
    for (const key of d.alertCards) {
      const card = this.cards.get(key);
      if (!card) continue;
      card.showAlerts(new Map([...card.lines.keys()].map((id) => [id, this.shownAlert(worst(this.store.alerts.ofSeries(id)))])));
    }
    d.alertCards.clear();
    if (d.alerts) {
      this.deps.alerts.show(this.store.alerts.list(), now);
      d.alerts = false;
    }
  },
};
