// The team as a network map around the client: four wedges (professionals, informal network,
// third sector, employer), each member a node coloured by sector, the coordinator ringed.

import { h, s } from "./dom.js";
import { fitText, keepInside } from "./fit.js";
import { term } from "./format.js";

export const SECTOR_COLOURS = {
  health_care: "#0072b2",
  social_care: "#d55e00",
  employment_services: "#009e73",
  education: "#cc79a7",
  early_childhood_education: "#e69f00",
  youth_work: "#56b4e9",
  integration_services: "#7b52c7",
  rehabilitation: "#117733",
  housing: "#882255",
  criminal_sanctions: "#555555",
  third_sector: "#44aa99",
  family: "#b8a13a",
  employer: "#aa4499",
};

export function sectorColour(sector) {
  return SECTOR_COLOURS[sector] || "#8c959f";
}

export const MEMBER_TYPES = [
  ["professional", "Professionals", null],
  ["informal", "Informal network", "6 4"],
  ["third_sector", "Third sector", "2 3"],
  ["employer", "Employer", "9 3 2 3"],
];

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** Draw ``team`` (members of the journey view) into ``container``. */
export function drawTeam(container, clientRef, team) {
  const compact = container.clientWidth < 560;
  const width = compact ? 380 : 840;
  const height = compact ? 470 : 520;
  const cx = width / 2;
  const cy = height / 2;
  const radius = compact ? 118 : 180;
  const nodeRadius = compact ? 13 : 17;
  const fontSize = compact ? 12 : 13;
  const nameLength = compact ? 15 : 28;

  const groups = MEMBER_TYPES.map(([type, title, dash]) => ({
    type,
    title,
    dash,
    members: team.filter((m) => m.member_type === type),
  }));
  const weights = groups.map((g) => Math.max(g.members.length, 0.75));
  const total = weights.reduce((a, b) => a + b, 0);

  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": "map-svg-title",
    class: "network",
  });
  svg.append(s("title", { id: "map-svg-title" }, `Team of ${clientRef}: ${team.length} members`));
  const edges = s("g", { class: "edges" });
  const wedges = s("g", { class: "wedges" });
  const nodes = s("g", { class: "nodes" });
  svg.append(wedges, edges, nodes);

  let angle = -Math.PI / 2 - (Math.PI * weights[0]) / total; // professionals centred at the top
  groups.forEach((group, index) => {
    const span = (2 * Math.PI * weights[index]) / total;
    const start = angle;
    angle += span;
    // The wedge, lightly shaded, and its name inside the ring.
    const outer = radius + 44;
    const large = span > Math.PI ? 1 : 0;
    wedges.append(
      s("path", {
        d: `M${cx},${cy} L${cx + Math.cos(start) * outer},${cy + Math.sin(start) * outer} A${outer},${outer} 0 ${large} 1 ${cx + Math.cos(start + span) * outer},${cy + Math.sin(start + span) * outer} Z`,
        fill: index % 2 ? "#ffffff" : "#f3f6f9",
        stroke: "#e1e6eb",
        "stroke-width": 1,
      }),
    );
    // The wedge's name: inside the ring among its members, or out at the rim if it is empty.
    const middle = start + span / 2;
    const labelRadius = group.members.length ? radius * 0.5 : radius + 22;
    wedges.append(
      s(
        "text",
        {
          x: cx + Math.cos(middle) * labelRadius,
          y: cy + Math.sin(middle) * labelRadius,
          "text-anchor": "middle",
          "dominant-baseline": "middle",
          fill: "#57606a",
          "font-size": fontSize - 1,
          "font-style": "italic",
          class: "wedge-label halo",
        },
        `${group.title} (${group.members.length})`,
      ),
    );
    group.members.forEach((member, i) => {
      const at = start + (span * (i + 0.5)) / group.members.length;
      const r = group.members.length > 4 && i % 2 ? radius * 0.8 : radius;
      const x = cx + Math.cos(at) * r;
      const y = cy + Math.sin(at) * r;
      edges.append(
        s("line", {
          x1: cx,
          y1: cy,
          x2: x,
          y2: y,
          stroke: member.is_coordinator ? "#1b1f24" : "#8c959f",
          "stroke-width": member.is_coordinator ? 3 : 1.5,
          "stroke-dasharray": group.dash,
        }),
      );
      nodes.append(memberNode(member, x, y, at, { nodeRadius, fontSize, nameLength, compact }));
    });
  });

  nodes.append(
    s(
      "g",
      { class: "client" },
      s("circle", { cx, cy, r: nodeRadius + 12, fill: "#16324f" }),
      s("title", {}, `The client, ${clientRef}`),
      s("text", { x: cx, y: cy + 4, "text-anchor": "middle", fill: "#fff", "font-size": fontSize, "font-weight": 700 }, "Client"),
    ),
  );
  if (!team.length) {
    nodes.append(
      s("text", { x: cx, y: 28, "text-anchor": "middle", "font-size": fontSize + 1, fill: "#57606a" }, "No one on the team on this date"),
    );
  }
  container.replaceChildren(svg);
  fitLabels(svg, width);
}

/**
 * Keep every label inside the drawing (a phone's map is narrow): a wedge's name moves inwards,
 * a member's name and role are cut with an ellipsis to the room beside their node (the whole
 * text stays in the member's <title> and in the list view).
 */
function fitLabels(svg, width) {
  const pad = 4;
  for (const label of svg.querySelectorAll("text.wedge-label")) {
    keepInside(label, pad, width - pad);
    if (fitText(label, width - 2 * pad)) label.append(s("title", {}, label.dataset.full));
  }
  for (const label of svg.querySelectorAll("g.member text")) {
    const x = Number(label.getAttribute("x"));
    const anchor = label.getAttribute("text-anchor");
    const room = anchor === "start" ? width - pad - x : anchor === "end" ? x - pad : 2 * Math.min(x - pad, width - pad - x);
    for (const line of label.querySelectorAll("tspan")) fitText(line, room);
  }
}

function memberNode(member, x, y, angle, { nodeRadius, fontSize, nameLength, compact }) {
  const name = member.display_name || member.party_id;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let anchor = "middle";
  let tx = x;
  let ty = y + (sin >= 0 ? nodeRadius + fontSize + 2 : -nodeRadius - fontSize - 10);
  // Beside the node on the left and right (wide maps), otherwise above or below it.
  if (compact) {
    ty = y + (sin >= -0.2 ? nodeRadius + fontSize + 2 : -nodeRadius - fontSize - 8);
  } else if (cos > 0.35) {
    anchor = "start";
    tx = x + nodeRadius + 6;
    ty = y - 2;
  } else if (cos < -0.35) {
    anchor = "end";
    tx = x - nodeRadius - 6;
    ty = y - 2;
  }
  const details = [term(member.role), member.organisation, term(member.sector)];
  if (member.is_coordinator) details.push("coordinator");
  const group = s("g", {
    class: ["member", member.is_coordinator ? "coordinator" : null],
    "data-party": member.party_id,
    "data-sector": member.sector,
    "data-type": member.member_type,
  });
  group.append(s("title", {}, `${name}: ${details.join(", ")}`));
  if (member.is_coordinator) {
    group.append(s("circle", { cx: x, cy: y, r: nodeRadius + 6, fill: "#ffbf47", stroke: "#1b1f24", "stroke-width": 2 }));
  }
  group.append(
    s("circle", { cx: x, cy: y, r: nodeRadius, fill: sectorColour(member.sector), stroke: "#fff", "stroke-width": 2 }),
  );
  const label = s("text", { x: tx, y: ty, "text-anchor": anchor, "font-size": fontSize, class: "halo" });
  label.append(s("tspan", { class: "name", x: tx, "font-weight": 600 }, clip(name, nameLength)));
  const roleLine = member.is_coordinator ? `★ Coordinator · ${term(member.role)}` : term(member.role);
  label.append(s("tspan", { x: tx, dy: fontSize + 2, fill: "#57606a", "font-size": fontSize - 1 }, clip(roleLine, nameLength + 6)));
  group.append(label);
  return group;
}

/** The legend: the sectors present, the member types' line styles and the coordinator ring. */
export function teamLegend(list, team) {
  const sectors = [...new Set(team.map((m) => m.sector))].sort();
  const items = sectors.map((sector) =>
    h(
      "li",
      {},
      swatch(s("circle", { cx: 14, cy: 7, r: 6, fill: sectorColour(sector) })),
      term(sector),
    ),
  );
  for (const [, title, dash] of MEMBER_TYPES) {
    items.push(
      h(
        "li",
        {},
        swatch(s("line", { x1: 1, y1: 7, x2: 27, y2: 7, stroke: "#8c959f", "stroke-width": 2, "stroke-dasharray": dash })),
        title,
      ),
    );
  }
  items.push(
    h(
      "li",
      {},
      swatch(s("circle", { cx: 14, cy: 7, r: 6, fill: "#ffbf47", stroke: "#1b1f24", "stroke-width": 2 })),
      "Coordinator",
    ),
  );
  list.replaceChildren(...items);
}

function swatch(shape) {
  return s("svg", { viewBox: "0 0 28 14", "aria-hidden": "true" }, shape);
}
