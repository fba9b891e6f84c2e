// The theme switch beside the OS preference: Auto (follow the OS), Light,
// Dark, in turn. The choice is kept with the reader's preferences
// (prefs.js); <html data-theme> holds the theme in force, which the CSS
// reads (app.css) and theme-early.js sets before the first paint.

/** THEMES are the choices, in the switch's order. */
export const THEMES = ["auto", "light", "dark"];

/**
 * effectiveTheme is the theme in force for a choice.
 * @param {string} choice "auto", "light" or "dark" (anything else: "auto")
 * @param {boolean} prefersDark whether the OS prefers a dark theme
 * @returns {"light"|"dark"}
 */
export function effectiveTheme(choice, prefersDark) {
  if (choice === "light" || choice === "dark") return choice;
  return prefersDark ? "dark" : "light";
}

/** nextTheme is the choice after this one. */
export function nextTheme(choice) {
  const i = THEMES.indexOf(choice);
  return THEMES[(i + 1) % THEMES.length];
}

const LABELS = { auto: "Theme: auto (as the system)", light: "Theme: light", dark: "Theme: dark" };

/**
 * ThemeSwitch is the header's button. Each press moves to the next
 * choice, keeps it, applies it and calls onChange (the charts read their
 * colours from the CSS).
 */
export class ThemeSwitch {
  /**
   * @param {{button: HTMLButtonElement, label: HTMLElement, root: HTMLElement,
   *   media: MediaQueryList, prefs: import("./prefs.js").Prefs, onChange: () => void}} opts
   */
  constructor(opts) {
    Object.assign(this, opts);
    this.choice = THEMES.includes(opts.prefs.values.theme) ? opts.prefs.values.theme : "auto";
    this.button.addEventListener("click", () => this.set(nextTheme(this.choice)));
    // The OS changed its preference: redraw even if theme-early.js already
    // switched <html data-theme> (its listener runs first).
    this.media.addEventListener("change", () => this.apply(true));
    this.apply(false);
  }

  set(choice) {
    this.choice = choice;
    this.prefs.set("theme", choice === "auto" ? undefined : choice);
    this.apply(false);
  }

  /** apply puts the choice in force; onChange is called if the theme changed, or with force. */
  apply(force = false) {
    this.root.dataset.themeChoice = this.choice;
    const theme = effectiveTheme(this.choice, this.media.matches);
    const changed = this.root.dataset.theme !== theme;
    this.root.dataset.theme = theme;
    this.label.textContent = this.choice === "auto" ? "Auto" : this.choice === "light" ? "Light" : "Dark";
    this.button.setAttribute("aria-label", `${LABELS[this.choice]}; press for the next`);
    this.button.dataset.choice = this.choice;
    if (changed || force) this.onChange();
  }
}
