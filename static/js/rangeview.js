// The history range picker in the header, beside the statistics window:
// a radio group of presets (1h … 30d) and a "Custom" button that opens a
// small form of two datetime-local inputs. DOM only: the choice is the
// controller's (rangeflow.js), which says what is picked (show).

import { h, radioIndex, setText } from "./dom.js";
import { RANGES, fromLocalInput, rangeLabel, toLocalInput } from "./rangechoice.js";

const DAY_MS = 86_400_000;

export class RangePicker {
  /**
   * @param {{group: HTMLElement, custom: HTMLButtonElement, form: HTMLFormElement,
   *   from: HTMLInputElement, to: HTMLInputElement, error: HTMLElement}} els
   * @param {{onRange: (name: string) => void, onCustom: (from: number, to: number) => boolean,
   *   now?: () => number}} opts onRange is called with the preset picked;
   *   onCustom with the custom span applied (unix ms), false if refused;
   *   now is the page's clock (the custom form's first proposal ends at it)
   */
  constructor(els, opts) {
    this.els = els;
    this.onRange = opts.onRange;
    this.onCustom = opts.onCustom;
    this.now = opts.now || Date.now;
    this.choice = null;
    this.buttons = RANGES.map((name) => {
      const b = h("button", { type: "button", role: "radio", "aria-checked": "false", dataset: { range: name } }, name);
      b.addEventListener("click", () => this.onRange(name));
      b.addEventListener("keydown", (ev) => this.arrow(ev, b));
      return b;
    });
    els.group.replaceChildren(...this.buttons);
    els.custom.addEventListener("click", () => this.toggleForm(els.form.hidden));
    els.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.apply();
    });
    els.form.addEventListener("keydown", (ev) => {
      if (ev.key !== "Escape") return;
      ev.preventDefault();
      if (ev.stopPropagation) ev.stopPropagation(); // not the page's Escape (back to live)
      this.toggleForm(false);
      els.custom.focus();
    });
    this.show(null);
  }

  // arrow moves through the presets as through any radio group (Home, End too).
  arrow(ev, b) {
    const to = radioIndex(ev.key, this.buttons.indexOf(b), this.buttons.length);
    if (to < 0) return;
    ev.preventDefault();
    const next = this.buttons[to];
    this.onRange(next.dataset.range);
    next.focus();
  }

  /** toggleForm opens the custom form (with the span shown, or the last day) or closes it. */
  toggleForm(open) {
    const { form, custom, from, to, error } = this.els;
    form.hidden = !open;
    custom.setAttribute("aria-expanded", String(open));
    if (!open) return;
    const c = this.choice && this.choice.name === "custom" ? this.choice : null;
    const end = c ? c.to : this.now();
    from.value = toLocalInput(c ? c.from : end - DAY_MS);
    to.value = toLocalInput(end);
    error.hidden = true;
    from.focus();
  }

  // apply hands the form's span on; a refused one is said in the form.
  apply() {
    const { from, to, error } = this.els;
    const a = fromLocalInput(from.value);
    const b = fromLocalInput(to.value);
    const ok = Number.isFinite(a) && Number.isFinite(b) && this.onCustom(a, b);
    error.hidden = !!ok;
    setText(error, ok ? "" : "Give a start and an end after it, from 2000 on and not after now, a second to 30 days apart.");
    if (ok) {
      this.toggleForm(false);
      this.els.custom.focus();
    }
  }

  /**
   * show marks the range picked (null: none, the window's live charts).
   * Only the picked preset is in the tab order, or the first when none is.
   * @param {import("./rangechoice.js").RangeChoice|null} choice
   */
  show(choice) {
    this.choice = choice;
    const picked = choice ? choice.name : "";
    for (const b of this.buttons) {
      b.setAttribute("aria-checked", String(b.dataset.range === picked));
      b.tabIndex = b.dataset.range === picked ? 0 : -1;
    }
    if (!RANGES.includes(picked)) this.buttons[0].tabIndex = 0;
    const custom = this.els.custom;
    const isCustom = picked === "custom";
    custom.title = isCustom ? `Custom range: ${rangeLabel(choice)}` : "Pick a custom range";
    custom.classList.toggle("is-active", isCustom);
    if (custom.parentNode) custom.parentNode.dataset.range = picked;
  }
}
