// SVG labels that fit: cut with an ellipsis to a width (the whole text kept in a <title>), or
// moved sideways to stay inside the drawing. Both measure the text, so the SVG must be in the
// page; a label measured as 0 wide (a hidden chart) is left as it is.

import { s } from "./dom.js";

/** Cut ``node``'s text (a <text> or <tspan>) with an ellipsis until it is at most ``width`` wide.
 * Returns whether it was cut; the caller keeps the whole text somewhere (a <title>, a list). */
export function fitText(node, width) {
  const whole = node.textContent;
  if (width <= 0 || node.getComputedTextLength() <= width) return false;
  let low = 0;
  let high = whole.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    node.textContent = `${whole.slice(0, mid).trimEnd()}…`;
    if (node.getComputedTextLength() <= width) low = mid;
    else high = mid - 1;
  }
  node.textContent = low > 0 ? `${whole.slice(0, low).trimEnd()}…` : "…";
  node.dataset.full = whole;
  return true;
}

/** Add a <title> holding ``text`` to ``node`` (the whole text of a cut label). */
export function keepWhole(node, text) {
  node.append(s("title", {}, text));
}

/** Move ``node`` (a <text>, any anchor) sideways so that its box lies within [low, high]. */
export function keepInside(node, low, high) {
  const box = node.getBBox();
  if (!box.width) return;
  let shift = 0;
  if (box.x < low) shift = low - box.x;
  else if (box.x + box.width > high) shift = high - box.x - box.width;
  if (!shift) return;
  for (const part of [node, ...node.querySelectorAll("tspan[x]")]) {
    part.setAttribute("x", String(Number(part.getAttribute("x")) + shift));
  }
}
