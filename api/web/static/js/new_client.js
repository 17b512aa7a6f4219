// The new-client page: register a client and join their team as its first member (a registrar
// who is not on the team could not read the journey they just made), then go to the journey.

import { ApiError, get, journeyPath, post } from "./api.js";
import { REGISTER_FORM } from "./commandforms.js";
import { loadDirectory } from "./directory.js";
import { byId, fill } from "./dom.js";
import { commandForm } from "./forms.js";
import { t } from "./i18n.js";
import { explain, mayWrite, say, startPage } from "./shell.js";
import "./texts/new_client.js";

/** The registration's fields, and the registrar's own place on the team (from the directory). */
function registerSpec(me) {
  return {
    ...REGISTER_FORM,
    fields: [
      ...REGISTER_FORM.fields,
      { name: "my_role", type: "vocab", vocab: "roles", initial: (me && me.role) || "case_manager" },
      { name: "my_sector", type: "vocab", vocab: "sectors", initial: me && me.sector },
    ],
  };
}

async function register(who, ctx, body) {
  const role = body.my_role;
  const sector = body.my_sector;
  delete body.my_role;
  delete body.my_sector;
  const registered = await post("/v1/journeys", body);
  const me = ctx.directory.professionals.find((p) => p.party_id === who.party_id);
  try {
    await post(journeyPath(body.client_ref, "/team-members"), {
      party_id: who.party_id,
      member_type: "professional",
      role,
      sector,
      organisation: who.organisation,
      display_name: me ? me.display_name : undefined,
      occurred_at: body.occurred_at,
    });
  } catch (error) {
    // Registered, but not on the team: say so plainly, the registration stands.
    throw new ApiError(error.status || 0, { title: t("new.not_joined"), detail: t("new.not_joined") });
  }
  return registered;
}

async function main() {
  const who = await startPage();
  if (!who) return;
  document.title = `${t("new.title")} — Polku`;
  if (!mayWrite(who)) {
    say(t("new.may_not"), "error");
    return;
  }
  let ctx;
  try {
    const [vocabulary, directory] = await Promise.all([get("/v1/vocabulary"), loadDirectory(get)]);
    ctx = { vocabulary, directory, who, view: null };
  } catch (error) {
    say(explain(error, t("new.vocabulary")), "error");
    return;
  }
  const me = ctx.directory.professionals.find((p) => p.party_id === who.party_id);
  const form = commandForm("register", registerSpec(me), ctx, {
    submitText: t("submit.register"),
    send: (body) => register(who, ctx, body).then(() => body.client_ref),
    onRecorded: (ref) => location.assign(`/journey?ref=${encodeURIComponent(ref)}`),
  });
  fill(byId("register"), form);
  byId("register-panel").hidden = false;
  form.querySelector("input, select").focus();
}

main();
