// Building the page with DOM calls only: every value becomes a text node or an attribute,
// never markup, so client data is always escaped. (The pages' CSP enforces Trusted Types
// with no policy, so an HTML string could not reach the DOM even by mistake.)

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "style" || key.startsWith("on") && typeof value !== "function") {
      throw new Error(`refusing attribute ${key}`);
    }
    if (typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "text") {
      node.textContent = String(value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "/x", class: "link"}, "text", otherNode). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element, as h() is for HTML. */
export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`no element #${id}`);
  return node;
}

/** Replace the children of ``node`` with ``children``. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A table; ``columns`` are [heading, cellFunction, className?]; rows become stacked cards on
 * narrow screens (each cell carries its heading as ``data-label``). */
export function table(columns, rows, { caption, rowAttrs } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map(([title, , cls]) => h("th", { scope: "col", class: cls }, title))));
  const body = h(
    "tbody",
    {},
    rows.map((row) =>
      h(
        "tr",
        rowAttrs ? rowAttrs(row) : {},
        columns.map(([title, cell, cls]) => h("td", { "data-label": title, class: cls }, cell(row))),
      ),
    ),
  );
  return h("div", { class: "table-wrap" }, h("table", { class: "stack" }, caption ? h("caption", {}, caption) : null, head, body));
}
