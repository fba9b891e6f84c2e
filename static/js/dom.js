// Small DOM helpers. Everything is built with createElement and
// textContent: no HTML strings, so nothing from the server is ever parsed
// as markup, and no inline style (the page runs under a strict CSP).

/**
 * h makes an element: h("div", "card", "text") or h("dl", {class: "x",
 * title: "…"}, child, …). Strings become text nodes.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (typeof attrs === "string") el.className = attrs;
  else if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/**
 * setText changes an element's text only when it differs (no layout work
 * otherwise). An element holding one text node keeps it and has its data
 * changed: replacing the node (textContent) is a change of the element's
 * children, which re-runs the :has() rules of every ancestor and restyles
 * the node, where a change of data only lays the text out again. No
 * text leaves no node (so that :empty still matches).
 */
export function setText(el, text) {
  const t = el.firstChild;
  if (text !== "" && t && t === el.lastChild && t.nodeType === 3) {
    if (t.data !== text) t.data = text;
  } else if (el.textContent !== text) el.textContent = text;
}

/**
 * setHidden, setData and setTitle write only what changed: a write of the
 * same value is still an attribute mutation, which costs the page a style
 * pass, and the tree and the source panels are refreshed on every update.
 */
export function setHidden(el, hidden) {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/** setData sets el.dataset[key] to value unless it holds it already. */
export function setData(el, key, value) {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}

/** setTitle sets el.title to value unless it holds it already. */
export function setTitle(el, value) {
  if (el.title !== value) el.title = value;
}

/**
 * toast shows a short message in the page's live region for a few
 * seconds; kind is "info", "ok" or "error".
 */
export function toast(text, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(t);
  setTimeout(() => {
    t.classList.add("leaving");
    setTimeout(() => t.remove(), 300);
  }, 4000);
  while (box.children.length > 4) box.firstElementChild.remove();
}

/**
 * radioIndex is where a key moves the choice in a radio group of count
 * buttons from button i: the arrows to the next or previous (wrapping),
 * Home and End to the first and last; -1 for any other key.
 * @param {string} key a KeyboardEvent's key
 * @param {number} i
 * @param {number} count
 */
export function radioIndex(key, i, count) {
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[key];
  return step ? (i + step + count) % count : -1;
}
