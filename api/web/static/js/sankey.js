// A bipartite Sankey diagram of the sector transition matrix: the sectors clients moved from on
// the left, the sectors they moved to on the right, one flow per (unsuppressed) cell, its width
// the number of moves. Drawn bipartite, a cycle such as A → B → A is simply two flows.

import { s } from "./dom.js";
import { label, number, t } from "./i18n.js";
import { sectorColour } from "./network.js";
import "./texts/planner.js";

const term = (code) => label("sectors", code);

function column(cells, key) {
  const totals = new Map();
  for (const cell of cells) totals.set(cell[key], (totals.get(cell[key]) || 0) + cell.transitions);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([sector, total]) => ({ sector, total }));
}

/** Draw ``cells`` (unsuppressed transition cells) into ``container``. */
export function drawSankey(container, cells) {
  const compact = container.clientWidth < 560;
  const width = compact ? 380 : 1000;
  const left = column(cells, "from_sector");
  const right = column(cells, "to_sector");
  const rows = Math.max(left.length, right.length);
  const gap = compact ? 14 : 18;
  const top = 30;
  const height = Math.max(220, rows * (compact ? 52 : 60)) + top + 10;
  const nodeWidth = compact ? 12 : 16;
  const xLeft = compact ? 6 : 10;
  const xRight = width - nodeWidth - (compact ? 6 : 10);
  const fontSize = compact ? 12 : 13;
  const total = cells.reduce((sum, c) => sum + c.transitions, 0);
  const usable = (count) => height - top - 10 - gap * Math.max(count - 1, 0);
  const scale = total ? Math.min(usable(left.length), usable(right.length)) / total : 0;

  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "sankey-svg-title", class: "sankey" });
  svg.append(s("title", { id: "sankey-svg-title" }, t("sankey.title", number(cells.length), number(total))));
  svg.append(s("text", { x: xLeft, y: 16, "font-size": fontSize - 1, fill: "#57606a", "font-weight": 600 }, t("sankey.from")));
  svg.append(s("text", { x: xRight + nodeWidth, y: 16, "font-size": fontSize - 1, fill: "#57606a", "font-weight": 600, "text-anchor": "end" }, t("sankey.to")));

  const place = (nodes) => {
    let y = top;
    for (const node of nodes) {
      node.y = y;
      node.height = Math.max(node.total * scale, 2);
      node.next = y; // where the next flow attaches
      y += node.height + gap;
    }
    return new Map(nodes.map((n) => [n.sector, n]));
  };
  const fromNodes = place(left);
  const toNodes = place(right);
  const order = (nodes) => new Map([...nodes.keys()].map((sector, i) => [sector, i]));
  const leftOrder = order(fromNodes);
  const rightOrder = order(toNodes);
  // Flows leave each source in the order of their targets and arrive in the order of their
  // sources, so that bands do not cross more than they must.
  const byTarget = [...cells].sort((a, b) => leftOrder.get(a.from_sector) - leftOrder.get(b.from_sector) || rightOrder.get(a.to_sector) - rightOrder.get(b.to_sector));
  const starts = new Map();
  for (const cell of [...cells].sort((a, b) => rightOrder.get(a.to_sector) - rightOrder.get(b.to_sector) || leftOrder.get(a.from_sector) - leftOrder.get(b.from_sector))) {
    const node = fromNodes.get(cell.from_sector);
    starts.set(cell, node.next);
    node.next += cell.transitions * scale;
  }
  const flows = s("g", { class: "flows" });
  for (const cell of byTarget) {
    const band = Math.max(cell.transitions * scale, 1);
    const target = toNodes.get(cell.to_sector);
    const y0 = starts.get(cell) + band / 2;
    const y1 = target.next + band / 2;
    target.next += cell.transitions * scale;
    const x0 = xLeft + nodeWidth;
    const x1 = xRight;
    const mid = (x0 + x1) / 2;
    flows.append(
      s(
        "path",
        {
          class: "flow",
          d: `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`,
          fill: "none",
          stroke: sectorColour(cell.from_sector),
          "stroke-width": band,
          "stroke-opacity": 0.45,
          "data-from": cell.from_sector,
          "data-to": cell.to_sector,
        },
        s("title", {}, t("sankey.flow", term(cell.from_sector), term(cell.to_sector), number(cell.transitions), number(cell.clients))),
      ),
    );
  }
  svg.append(flows);
  const nodes = s("g", { class: "nodes" });
  for (const [side, map, x] of [
    ["from", fromNodes, xLeft],
    ["to", toNodes, xRight],
  ]) {
    for (const node of map.values()) {
      const labelX = side === "from" ? x + nodeWidth + 6 : x - 6;
      nodes.append(
        s(
          "g",
          { class: `node ${side}`, "data-sector": node.sector },
          s("rect", { x, y: node.y, width: nodeWidth, height: node.height, fill: sectorColour(node.sector) }),
          s(
            "text",
            {
              x: labelX,
              y: node.y + node.height / 2 + fontSize / 3,
              "text-anchor": side === "from" ? "start" : "end",
              "font-size": fontSize,
              class: "halo",
            },
            `${term(node.sector)} ${number(node.total)}`,
          ),
        ),
      );
    }
  }
  svg.append(nodes);
  container.replaceChildren(svg);
}
