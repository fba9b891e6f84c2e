// The filter box and its clear (×) button. The button is the page's own,
// not the search field's native one, which Chromium draws only while the
// box is focused or hovered: a filter restored from the address would
// show none. It shows whenever the box holds text, however the text came
// there: typed, pasted, or put there by the page (show).

import { setHidden } from "./dom.js";

export class FilterBox {
  /**
   * @param {HTMLInputElement} input the filter box
   * @param {HTMLButtonElement} clear its clear button
   * @param {(text: string) => void} onText called with the box's text on
   *   every edit by the reader, the clear button's ("") included; not for
   *   show, whose caller already knows the text
   */
  constructor(input, clear, onText) {
    this.input = input;
    this.clear = clear;
    input.addEventListener("input", () => {
      this.sync();
      onText(input.value);
    });
    clear.addEventListener("click", () => {
      input.value = "";
      this.sync();
      onText("");
      input.focus(); // the reader types the next filter where the last one was
    });
    this.sync();
  }

  /** show puts text in the box (a filter from the address). */
  show(text) {
    this.input.value = text;
    this.sync();
  }

  // sync shows the clear button while the box holds text.
  sync() {
    setHidden(this.clear, this.input.value === "");
  }
}
