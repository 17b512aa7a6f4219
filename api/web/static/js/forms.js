// The command forms, drawn from their descriptions (commandforms.js): pickers fed by the journey
// as it stands now and by the directory (no id is typed by hand), a preview of what will be
// recorded, and the server's answer shown in the reader's terms — each error next to its field,
// in their language and time zone, the conflicting entry named by its kind and date with a link
// to it on the timeline. The server checks everything; nothing here decides what is allowed.

import { ApiError, journeyPath, post } from "./api.js";
import { fill, h } from "./dom.js";
import { isoMinute, kind as kindName, localDay, when } from "./format.js";
import { label, lang, t } from "./i18n.js";
import "./texts/forms.js";

function newId(prefix) {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The choices a picker offers: [value, text] pairs, from the context. */
function choices(field, ctx, values) {
  const view = ctx.view;
  const team = view ? view.team : [];
  const who = (id) => memberName(ctx, id);
  switch (field.type) {
    case "vocab":
    case "vocabs":
      return ctx.vocabulary[field.vocab].map((v) => [v, label(field.vocab, v)]);
    case "service":
      return ctx.vocabulary.sectors.map((v) => [v, label("sectors", v)]);
    case "statute":
      return ctx.vocabulary.statutes.map((st) => [st.ref, st.title]);
    case "language":
      return LANGUAGES.map((code) => [code, t(`lang.${code}`)]);
    case "org":
    case "orgs":
      return orgChoices(ctx);
    case "professional": {
      const org = values[field.org];
      const onTeam = new Set(team.map((m) => m.party_id));
      return ctx.directory.professionals
        .filter((p) => (!org || p.organisation === org) && !onTeam.has(p.party_id))
        .map((p) => [p.party_id, `${p.display_name} — ${label("roles", p.role)}`]);
    }
    case "member":
    case "members":
      return team
        .filter((m) => !field.professionals || m.member_type === "professional")
        .filter((m) => !field.coordinator || m.is_coordinator)
        .map((m) => [m.party_id, `${who(m.party_id)} — ${label("roles", m.role)}`]);
    case "consent":
      return view.consents.map((c) => [c.consent_id, `${t("consent_of", when(c.granted_at))}: ${c.categories.map((x) => label("information_categories", x)).join(", ")}`]);
    case "denial":
      return view.denials.map((d) => [d.denial_id, `${t("denial_of", when(d.since))}: ${d.categories.map((x) => label("information_categories", x)).join(", ")}`]);
    case "referral":
      return view.open_referrals.map((r) => [r.referral_id, `${orgName(ctx, r.from_org)} → ${orgName(ctx, r.to_org)} (${label("sectors", r.service)}), ${when(r.made_at)}`]);
    case "episode":
      return view.active_services.map((s) => [s.episode_id, `${label("sectors", s.service)}, ${orgName(ctx, s.provider_org)}, ${when(s.started_at)}`]);
    case "transition":
      return view.transitions.map((tr) => [tr.transition_id, `${label("transition_kinds", tr.kind)}, ${when(tr.occurred_at)}`]);
    case "grantor":
      return [["client", t("the_client")], ...(ctx.guardians || []).map((g) => [g, t("guardian_named", g)])];
    default:
      return [];
  }
}

const LANGUAGES = ["fi", "sv", "en", "nl", "ar", "so", "ru", "et", "uk", "fa"];

function orgChoices(ctx) {
  const seen = new Map(ctx.directory.organisations.map((o) => [o.org_id, o.name]));
  for (const m of ctx.view ? ctx.view.team : []) if (!seen.has(m.organisation) && m.member_type !== "informal") seen.set(m.organisation, m.organisation);
  return [...seen].sort((a, b) => a[1].localeCompare(b[1], lang()));
}

/** An organisation's name from the directory (else its id). */
export function orgName(ctx, id) {
  const org = ctx.directory.organisations.find((o) => o.org_id === id);
  return org ? org.name : id;
}

/** A party's name: the team's display name, the directory's, else the id. */
export function memberName(ctx, id) {
  const member = ctx.view && ctx.view.team.find((m) => m.party_id === id);
  if (member && member.display_name) return member.display_name;
  const pro = ctx.directory.professionals.find((p) => p.party_id === id);
  return pro ? pro.display_name : id;
}

function fieldId(formId, index) {
  return `${formId}-f${index}`;
}

function isShown(field, values) {
  if (!field.when) return true;
  const [other, ...allowed] = field.when;
  return allowed.includes(values[other]);
}

function labelText(formId, field) {
  const specific = `field.${formId}.${field.name}`;
  const text = t(specific);
  return text === specific ? t(`field.${field.name}`) : text;
}

function control(formId, field, index, ctx, values) {
  const id = fieldId(formId, index);
  const name = field.name;
  const labelled = (input) =>
    h(
      "div",
      { class: "field", "data-field": name, "data-index": index },
      h("label", { for: id }, labelText(formId, field), field.optional ? h("span", { class: "hint" }, ` (${t("optional")})`) : null),
      input,
      h("p", { class: "error-text field-error", id: `${id}-error`, hidden: true }),
    );
  switch (field.type) {
    case "newid":
    case "fixed":
      return null;
    case "moment":
    case "day":
      return labelled(h("input", { type: field.type === "moment" ? "datetime-local" : "date", id, name, "aria-describedby": `${id}-error` }));
    case "text":
    case "name":
      return labelled(h("input", { type: "text", id, name, autocomplete: "off", spellcheck: field.type === "name" ? null : "false", "aria-describedby": `${id}-error` }));
    case "note":
    case "lines":
      return labelled(h("textarea", { id, name, rows: field.type === "lines" ? 3 : 2, "aria-describedby": `${id}-error` }));
    case "bool":
      return h(
        "div",
        { class: "field", "data-field": name, "data-index": index },
        h("label", { class: "check" }, h("input", { type: "checkbox", id, name }), labelText(formId, field)),
        h("p", { class: "error-text field-error", id: `${id}-error`, hidden: true }),
      );
    case "vocabs":
    case "orgs":
    case "members": {
      const options = choices(field, ctx, values);
      return h(
        "fieldset",
        { id, "data-field": name, "data-index": index, "aria-describedby": `${id}-error` },
        h("legend", {}, labelText(formId, field), field.optional ? h("span", { class: "hint" }, ` (${t("optional")})`) : null),
        options.length
          ? options.map(([value, text]) => h("label", { class: "check" }, h("input", { type: "checkbox", name, value }), text))
          : h("p", { class: "meta" }, t("nothing_to_choose")),
        h("p", { class: "error-text field-error", id: `${id}-error`, hidden: true }),
      );
    }
    default: {
      const options = choices(field, ctx, values);
      const select = h(
        "select",
        { id, name, "aria-describedby": `${id}-error` },
        h("option", { value: "" }, options.length ? t("choose") : t("nothing_to_choose")),
        options.map(([value, text]) => h("option", { value, selected: value === values[name] }, text)),
      );
      return labelled(select);
    }
  }
}

/** The values the form's controls hold now, by field name (shown fields only). */
function valuesOf(form, spec) {
  const values = {};
  spec.fields.forEach((field, index) => {
    if (!isShown(field, values)) return;
    if (field.type === "newid") {
      values[field.name] = form.dataset[`id${index}`] || (form.dataset[`id${index}`] = newId(field.prefix));
      return;
    }
    if (field.type === "fixed") {
      values[field.name] = field.value;
      return;
    }
    const node = form.querySelector(`[data-index="${index}"]`);
    if (!node) {
      if (field.initial) values[field.name] = field.initial;
      return;
    }
    if (node.tagName === "FIELDSET") {
      values[field.name] = [...node.querySelectorAll("input:checked")].map((c) => c.value);
    } else if (field.type === "bool") {
      values[field.name] = node.querySelector("input").checked;
    } else {
      values[field.name] = node.querySelector("input, select, textarea").value.trim();
    }
  });
  for (const name of ["occurred_at", "note"]) {
    const input = form.querySelector(`[name="${name}"]`);
    if (input && input.value.trim()) values[name] = input.value.trim();
  }
  return values;
}

/** The command's body from the form's values (empty values are left out). */
export function bodyOf(spec, values, ctx) {
  const body = {};
  for (const field of spec.fields) {
    if (!(field.name in values)) continue;
    const value = values[field.name];
    if (value === "" || (Array.isArray(value) && !value.length && field.optional)) continue;
    if (field.type === "moment") {
      const date = new Date(value);
      body[field.name] = Number.isNaN(date.getTime()) ? value : date.toISOString();
    } else if (field.type === "day") {
      body[field.name] = localDay(value).toISOString();
    } else if (field.type === "lines") {
      body[field.name] = value.split("\n").map((line) => line.trim()).filter(Boolean);
    } else {
      body[field.name] = value;
    }
  }
  if (values.party_id && spec.kind === "team_member_added" && values.member_type === "professional") {
    const pro = ctx.directory.professionals.find((p) => p.party_id === values.party_id);
    if (pro && pro.display_name) body.display_name = pro.display_name;
  }
  body.occurred_at = values.occurred_at ? new Date(values.occurred_at).toISOString() : new Date().toISOString();
  if (values.note) body.note = values.note;
  return body;
}

/** How a value is shown in the preview and in messages. */
function shown(field, value, ctx) {
  if (Array.isArray(value)) return value.map((v) => shown({ ...field, type: field.type.replace(/s$/, "") }, v, ctx)).join(", ");
  if (value === true) return t("yes");
  if (value === false) return t("no");
  switch (field.type) {
    case "vocab":
      return label(field.vocab, value);
    case "service":
      return label("sectors", value);
    case "org":
      return orgName(ctx, value);
    case "member":
    case "professional":
      return memberName(ctx, value);
    case "moment":
      return when(new Date(value).toISOString());
    case "language":
      return t(`lang.${value}`);
    case "grantor":
      return value === "client" ? t("the_client") : t("guardian_named", value);
    default: {
      const options = choices(field, ctx, {});
      const found = options.find(([v]) => v === value);
      return found ? found[1] : value;
    }
  }
}

function preview(form, spec, formId, ctx) {
  const values = valuesOf(form, spec);
  const rows = [];
  spec.fields.forEach((field, index) => {
    if (!isShown(field, values) || ["newid", "fixed"].includes(field.type)) return;
    const value = values[field.name];
    if (value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    rows.push(h("dt", {}, labelText(formId, field)), h("dd", { "data-preview": field.name, "data-index": index }, shown(field, value, ctx)));
  });
  const moment = form.querySelector('[name="occurred_at"]').value;
  rows.push(h("dt", {}, t("field.occurred_at")), h("dd", {}, moment ? when(new Date(moment).toISOString()) : t("now")));
  fill(form.querySelector(".preview"), h("p", { class: "preview-title" }, t("will_record", kindName(spec.kind))), h("dl", {}, rows));
}

/** The message for an error the server gave, in the reader's terms. */
export function explainProblem(error, ctx) {
  const problem = error instanceof ApiError ? error.problem : {};
  if (problem.rule) {
    const link = problem.conflicting_event_id ? `?ref=${encodeURIComponent(ctx.clientRef || "")}&event=${problem.conflicting_event_id}` : null;
    const conflict = problem.conflicting_kind
      ? t("conflict", kindName(problem.conflicting_kind), when(problem.conflicting_occurred_at))
      : "";
    return { rule: problem.rule, text: `${t(`rule.${problem.rule}`)}${conflict ? ` ${conflict}` : ""}`, link };
  }
  if (error.status === 403 || error.status === 404) return { text: t("err.not_permitted") };
  if (error.status === 409) return { text: t("err.stale") };
  if (error.status === 429) return { text: t("err.slow_down") };
  if (error.status === 503 || !error.status) return { text: t("err.unavailable") };
  return { text: t("err.not_recorded") };
}

const RULE_FIELDS = {
  "member-not-on-team": "party_id",
  "member-on-team": "party_id",
  "coordinator-on-team": "party_id",
  "coordinator-not-already": "party_id",
  "coordinator-release-current": "party_id",
  "coordinator-released-before-removal": "party_id",
  "consent-withdrawn-after-grant": "consent_id",
  "consent-withdrawn-once": "consent_id",
  "denial-lifted-after-registered": "denial_id",
  "referral-open": "referral_id",
  "service-ended-after-start": "episode_id",
  "time-aware": "occurred_at",
  "time-not-future": "occurred_at",
  "registered-first": "occurred_at",
  "closed-journey": "occurred_at",
};

function slotFor(form, name) {
  const node = name && [...form.querySelectorAll(`[data-field="${name}"]`)].find((n) => !n.hidden);
  return node ? node.querySelector(".field-error") : null;
}

function showErrors(form, error, ctx) {
  const problem = error instanceof ApiError ? error.problem : {};
  const messages = [];
  if (problem.errors && problem.errors.length) {
    for (const item of problem.errors) {
      const loc = (item.loc || []).filter((part) => part !== "body" && typeof part === "string");
      const name = loc.find((part) => form.querySelector(`[data-field="${part}"]`)) || null;
      const key = `err.${item.type}`;
      let text = t(key) === key ? t("err.invalid") : t(key);
      // Polku's own checks word their sentence for a person; shown as such in English.
      if (item.type === "value_error" && lang() === "en") text = String(item.msg || text).replace(/^Value error, /, "");
      messages.push([name, text]);
    }
  } else {
    const { rule, text, link } = explainProblem(error, ctx);
    messages.push([RULE_FIELDS[rule] || null, text, link]);
  }
  let first = null;
  for (const [name, text, link] of messages) {
    const slot = slotFor(form, name) || form.querySelector(".form-error");
    if (slot.hidden) fill(slot, text);
    else slot.append(` ${text}`);
    if (link) slot.append(" ", h("a", { href: `/journey${link}`, class: "conflict-link" }, t("show_on_timeline")));
    slot.hidden = false;
    const holder = slot.closest("[data-field]");
    const input = holder && holder.querySelector("input, select, textarea");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  const focus = first || form.querySelector(".form-error");
  if (focus && focus.focus) focus.focus();
}

/** Mark every required field left empty; whether there was one (then nothing is sent). */
function missing(form, spec, values) {
  let first = null;
  spec.fields.forEach((field, index) => {
    if (field.optional || !isShown(field, values) || ["newid", "fixed", "bool"].includes(field.type)) return;
    const value = values[field.name];
    if (value !== undefined && value !== "" && !(Array.isArray(value) && !value.length)) return;
    const holder = form.querySelector(`[data-index="${index}"]`);
    if (!holder) return;
    const slot = holder.querySelector(".field-error");
    fill(slot, t(field.type === "vocabs" || field.type === "members" || field.type === "orgs" ? "err.choose_some" : "err.required"));
    slot.hidden = false;
    const input = holder.querySelector("input, select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
    first = first || input;
  });
  if (first) first.focus();
  return first !== null;
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error, .form-error")) {
    slot.replaceChildren();
    slot.hidden = true;
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/**
 * One command's form. ``ctx`` holds what the pickers offer ({view, vocabulary, directory,
 * guardians, who, clientRef}); ``send(body)`` posts it and ``onRecorded(result)`` follows a
 * success. ``start`` prefills values (a correction starts from the entry it corrects).
 */
export function commandForm(formId, spec, ctx, { send, onRecorded, start = {}, submitText } = {}) {
  const form = h("form", { id: formId, class: "command", novalidate: true, "data-kind": spec.kind });
  const fields = h("div", { class: "fields" });
  const now = isoMinute(new Date());
  const moment = h(
    "div",
    { class: "field", "data-field": "occurred_at" },
    h("label", { for: `${formId}-occurred_at` }, t("field.occurred_at"), h("span", { class: "hint" }, ` (${t("your_time")})`)),
    h("input", { type: "datetime-local", id: `${formId}-occurred_at`, name: "occurred_at", value: start.occurred_at || now, max: now, "aria-describedby": `${formId}-occurred_at-error` }),
    h("p", { class: "error-text field-error", id: `${formId}-occurred_at-error`, hidden: true }),
  );
  const note = h(
    "div",
    { class: "field", "data-field": "note" },
    h("label", { for: `${formId}-note` }, t("field.note"), h("span", { class: "hint" }, ` (${t("optional")}; ${t("personal_data")})`)),
    h("textarea", { id: `${formId}-note`, name: "note", rows: 2 }),
  );
  const previewBox = h("div", { class: "preview", "aria-live": "polite" });
  const formError = h("p", { class: "error-text form-error", hidden: true, tabindex: "-1" });
  const button = h("button", { type: "submit" }, submitText || t(`submit.${formId}`));
  form.append(fields, moment, note, previewBox, formError, h("div", { class: "actions" }, button));

  let values = { ...start };
  const redraw = (read = true) => {
    if (read) values = { ...values, ...valuesOf(form, spec) };
    const drawn = [];
    spec.fields.forEach((field, index) => {
      if (!isShown(field, values)) return;
      const node = control(formId, field, index, ctx, values);
      if (node) drawn.push(node);
    });
    fields.replaceChildren(...drawn);
    for (const [name, value] of Object.entries(values)) {
      for (const holder of fields.querySelectorAll(`[data-field="${name}"]`)) {
        if (holder.tagName === "FIELDSET") {
          for (const box of holder.querySelectorAll("input")) box.checked = Array.isArray(value) && value.includes(box.value);
        } else {
          const input = holder.querySelector("input, select, textarea");
          if (input.type === "checkbox") input.checked = Boolean(value);
          else if (value !== undefined && !Array.isArray(value)) input.value = value;
        }
      }
    }
    preview(form, spec, formId, ctx);
  };
  form.addEventListener("change", (event) => {
    values = valuesOf(form, spec);
    const name = event.target.name;
    if (name === "party_id" && values.member_type === "professional") {
      const pro = ctx.directory.professionals.find((p) => p.party_id === values.party_id);
      if (pro) Object.assign(values, { role: pro.role, sector: pro.sector });
    }
    if (spec.fields.some((f) => f.when && f.when[0] === name) || spec.fields.some((f) => f.type === "professional" && f.org === name) || name === "party_id") redraw(false);
    else preview(form, spec, formId, ctx);
  });
  form.addEventListener("input", () => preview(form, spec, formId, ctx));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    button.disabled = true;
    try {
      const current = valuesOf(form, spec);
      if (missing(form, spec, current)) return;
      const body = bodyOf(spec, current, ctx);
      // Left at "now" (to the minute): it happened now, to the second — not a minute back-dated.
      const moment = form.querySelector('[name="occurred_at"]');
      if (!start.occurred_at && moment.value === now) body.occurred_at = new Date().toISOString();
      const result = await send(body);
      await onRecorded(result, spec.kind);
    } catch (error) {
      showErrors(form, error, ctx);
    } finally {
      button.disabled = false;
    }
  });
  for (const field of spec.fields) {
    if (values[field.name] !== undefined) continue;
    if (field.initial) values[field.name] = field.initial;
    else if (field.mine && ctx.who) values[field.name] = ctx.who.organisation;
  }
  redraw();
  return form;
}

/** The path a command posts to, with the ids its path names filled in from the body. */
export function commandPath(clientRef, spec, body) {
  const path = spec.path.replace(/\{(\w+)\}/g, (_, name) => {
    const value = body[name];
    delete body[name];
    return encodeURIComponent(value || "-");
  });
  return journeyPath(clientRef, path);
}

/** Post a command of the journey page. */
export function sendCommand(clientRef, spec) {
  return (body) => post(commandPath(clientRef, spec, body), body);
}
