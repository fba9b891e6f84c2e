// Scrolling a source into view so that it stays there. Cards off screen
// are not laid out (content-visibility: auto, groups.css) and hold a
// placeholder size until they are; a scroll to a source far down the page
// brings cards into view whose real size differs, and the source moves
// after the scroll has ended: one scrollIntoView left the page 2861 px
// off with 46 sources. settleScroll scrolls instantly, then measures again
// at every frame and corrects, until the target has kept its place for
// a few frames. Pure: the page hands in the measurement, the scroll and
// the frame (page.js reveal).

/** REVEAL_GAP is the room between the sticky bars' bottom and a revealed source's top, CSS px. */
export const REVEAL_GAP = 8;

/** SETTLE_MAX_FRAMES bounds the corrections (about 5 s at 60 Hz): a page that never settles is left as it is. */
export const SETTLE_MAX_FRAMES = 300;

/**
 * SETTLE_STABLE_FRAMES is how many frames the target must keep its place
 * to be settled: about a third of a second, because on a busy machine
 * the cards around it are laid out some frames after the scroll (a CI
 * run saw a source move after four still frames).
 */
export const SETTLE_STABLE_FRAMES = 20;

/**
 * settleScroll brings a target to its place and keeps it there while the
 * layout settles. offset is how far (CSS px) the target's top is below
 * its place now (negative: above); scrollBy scrolls the page at once;
 * frame runs a function at the next animation frame; done is called once
 * when it ends (settled, given up, or cancelled). A target the page
 * cannot scroll further to (the last source, on a short page) is settled
 * when a scroll no longer moves it.
 * @param {{offset: () => number, scrollBy: (dy: number) => void,
 *   frame: (fn: () => void) => void, done?: () => void}} io
 * @returns {() => void} cancels: the reader scrolled or revealed another source
 */
export function settleScroll(io) {
  let frames = 0;
  let stable = 0;
  let over = false;
  let last = NaN;
  const end = () => {
    if (over) return;
    over = true;
    if (io.done) io.done();
  };
  const step = () => {
    if (over) return;
    const dy = io.offset();
    // Where the last scroll could not move it: as far as it goes.
    if (Math.abs(dy) < 1 || Math.abs(dy - last) < 1) stable++;
    else stable = 0;
    if (Math.abs(dy) >= 1) io.scrollBy(dy);
    last = dy;
    if (++frames >= SETTLE_MAX_FRAMES || stable >= SETTLE_STABLE_FRAMES) end();
    else io.frame(step);
  };
  step();
  return end;
}
