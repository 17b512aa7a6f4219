// The start page: the journeys the caller is on, and a way to open any other they may read.

import { get } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { label, t } from "./i18n.js";
import { explain, mayReadJourneys, mayWrite, pageTitle, roleName, startPage } from "./shell.js";
import "./texts/home.js";

function journeyLink(clientRef) {
  return h("a", { href: `/journey?ref=${encodeURIComponent(clientRef)}` }, clientRef);
}

async function showCaseload() {
  const target = byId("caseload");
  try {
    const caseload = await get("/v1/me/caseload");
    if (!caseload.journeys.length) {
      fill(target, h("p", {}, t("home.none")));
      return;
    }
    fill(
      target,
      h(
        "ul",
        { class: "cards", id: "caseload-list" },
        caseload.journeys.map((j) =>
          h(
            "li",
            {},
            h("span", { class: "title" }, journeyLink(j.client_ref)),
            " — ",
            label("roles", j.role),
            j.is_coordinator ? [" ", h("span", { class: "badge ok" }, t("home.coordinator"))] : null,
            j.closed ? [" ", h("span", { class: "badge plain" }, t("home.closed"))] : null,
          ),
        ),
      ),
    );
  } catch (error) {
    fill(target, h("p", { class: "error-text" }, explain(error, t("home.your_caseload"))));
  }
}

const who = await startPage();
if (who) {
  pageTitle("title.home");
  byId("who").textContent = t("home.who", who.party_id, who.organisation, roleName(who.role));
  if (mayWrite(who)) {
    byId("caseload-panel").hidden = false;
    showCaseload();
  }
  if (mayReadJourneys(who)) byId("open-panel").hidden = false;
  if (who.role === "planner") location.replace("/planner");
  if (who.role === "admin") {
    byId("role-panel").hidden = false;
    byId("role-note").textContent = t("home.admin_note");
  }
}
