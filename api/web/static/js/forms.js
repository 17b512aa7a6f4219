// The journey page's command forms. Each form's named controls are the command's body fields;
// the server checks everything, and each error it names is shown next to its field (a rule of
// the timeline next to the field it concerns, anything else above the button).

import { ApiError, journeyPath, post } from "./api.js";
import { h } from "./dom.js";
import { isoMinute, localDay, term } from "./format.js";

const RULE_FIELDS = {
  "member-not-on-team": "party_id",
  "member-on-team": "party_id",
  "consent-unique": "consent_id",
  "disclosure-unique": "disclosure_id",
  "transition-unique": "transition_id",
  "time-aware": "occurred_at",
  "time-not-future": "occurred_at",
  "registered-first": "occurred_at",
  "closed-journey": "occurred_at",
};

function newId(prefix) {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Every place a field's value comes from: a named control, or a fieldset of checkboxes. */
function fieldsOf(form) {
  const named = [...form.querySelectorAll("input[name], select[name]")].filter((c) => c.type !== "checkbox");
  const groups = [...form.querySelectorAll("fieldset[data-name]")];
  return [...named, ...groups];
}

function nameOf(field) {
  return field.tagName === "FIELDSET" ? field.dataset.name : field.name;
}

function isShown(field) {
  return !field.closest("[hidden]");
}

function fillChoices(form, vocabulary) {
  for (const select of form.querySelectorAll("select[data-vocabulary]")) {
    const key = select.dataset.vocabulary;
    const choices =
      key === "statutes"
        ? vocabulary.statutes.map((st) => [st.ref, st.title])
        : vocabulary[key].map((value) => [value, term(value)]);
    select.replaceChildren(
      h("option", { value: "" }, "Choose…"),
      ...choices.map(([value, text]) => h("option", { value }, text)),
    );
  }
  for (const fieldset of form.querySelectorAll("fieldset[data-vocabulary]")) {
    const legend = fieldset.querySelector("legend");
    const boxes = vocabulary[fieldset.dataset.vocabulary].map((value) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: fieldset.dataset.name, value }),
        term(value),
      ),
    );
    fieldset.replaceChildren(legend, ...boxes);
  }
}

function addErrorSlots(form) {
  for (const field of fieldsOf(form)) {
    const id = `${field.id}-error`;
    const slot = h("p", { class: "error-text field-error", id, hidden: true });
    if (field.tagName === "FIELDSET") field.append(slot);
    else field.closest(".field").append(slot);
    field.setAttribute("aria-describedby", id);
  }
}

/** The command body from the form's controls (empty controls are left out). */
export function bodyOf(form) {
  const body = {};
  for (const field of fieldsOf(form)) {
    if (!isShown(field)) continue;
    const name = nameOf(field);
    if (field.tagName === "FIELDSET") {
      body[name] = [...field.querySelectorAll("input:checked")].map((c) => c.value);
      continue;
    }
    const value = field.value.trim();
    if (!value) continue;
    const kind = field.dataset.kind;
    if (kind === "list") {
      const items = value.split(",").map((v) => v.trim()).filter(Boolean);
      if (items.length) body[name] = items;
    } else if (kind === "moment") {
      const date = new Date(value);
      body[name] = Number.isNaN(date.getTime()) ? value : date.toISOString();
    } else if (kind === "day") {
      body[name] = localDay(value).toISOString();
    } else {
      body[name] = value;
    }
  }
  return body;
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error, .form-error")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const field of fieldsOf(form)) field.removeAttribute("aria-invalid");
}

function fieldNamed(form, name) {
  return fieldsOf(form).find((f) => nameOf(f) === name && isShown(f)) || null;
}

/** Show each error the server named next to its field; returns the first field shown. */
export function showErrors(form, error) {
  const problem = error instanceof ApiError ? error.problem : {};
  const messages = [];
  if (problem.errors && problem.errors.length) {
    for (const item of problem.errors) {
      const loc = (item.loc || []).filter((part) => part !== "body");
      const field = loc.map((part) => fieldNamed(form, part)).find(Boolean) || null;
      messages.push([field, String(item.msg || "invalid").replace(/^Value error, /, "")]);
    }
  } else if (problem.rule) {
    messages.push([fieldNamed(form, RULE_FIELDS[problem.rule]), problem.detail || problem.title]);
  } else if (error.status === 403 || error.status === 404) {
    messages.push([null, "You may not record on this journey (you are not on the client's team, or your role may not write)."]);
  } else if (error.status === 409) {
    messages.push([null, `${problem.detail || "The journey changed meanwhile."} Reload and try again.`]);
  } else {
    messages.push([null, error.message || "The command was not recorded."]);
  }
  let first = null;
  for (const [field, text] of messages) {
    if (field) {
      const slot = document.getElementById(`${field.id}-error`);
      slot.textContent = slot.hidden ? text : `${slot.textContent} ${text}`;
      slot.hidden = false;
      field.setAttribute("aria-invalid", "true");
      first = first || field;
    } else {
      const slot = form.querySelector(".form-error");
      slot.textContent = slot.hidden ? text : `${slot.textContent} ${text}`;
      slot.hidden = false;
    }
  }
  const focus = first ? first.querySelector("input") || first : form.querySelector(".form-error");
  if (focus && focus.focus) focus.focus();
  return first;
}

/** Show the consent or statute field only when the basis chosen needs it. */
function wireBasis(form) {
  const basis = form.querySelector('[name="basis"]');
  if (!basis) return;
  basis.addEventListener("change", () => {
    for (const field of form.querySelectorAll("[data-when-basis]")) field.hidden = field.dataset.whenBasis !== basis.value;
  });
}

function reset(form) {
  form.reset();
  form.querySelectorAll("[data-new-id]").forEach((input) => {
    input.value = newId(input.dataset.newId);
  });
  const now = new Date();
  form.querySelectorAll('[data-kind="moment"]').forEach((input) => {
    input.value = isoMinute(now);
    input.max = isoMinute(now);
  });
  const basis = form.querySelector('[name="basis"]');
  if (basis) {
    basis.value = "consent";
    basis.dispatchEvent(new Event("change"));
  }
}

/** Wire every command form on the page. ``onRecorded(result, what)`` runs after a success. */
export function setUpForms({ forms, vocabulary, clientRef, onRecorded }) {
  for (const form of forms) {
    fillChoices(form, vocabulary);
    addErrorSlots(form);
    wireBasis(form);
    reset(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const result = await post(journeyPath(clientRef, form.dataset.path), bodyOf(form));
        const what = form.dataset.what;
        reset(form);
        await onRecorded(result, what);
      } catch (error) {
        showErrors(form, error);
      } finally {
        button.disabled = false;
      }
    });
  }
}

/** Offer the journey's parties, organisations and consent ids as suggestions. */
export function suggest(viewData) {
  const parties = new Set();
  const orgs = new Set();
  for (const m of viewData.team) {
    parties.add(m.party_id);
    orgs.add(m.organisation);
  }
  for (const c of viewData.consents) c.recipient_orgs.forEach((o) => orgs.add(o));
  const options = (values) => [...values].sort().map((value) => h("option", { value }));
  document.getElementById("parties").replaceChildren(...options(parties));
  document.getElementById("organisations").replaceChildren(...options(orgs));
  document.getElementById("consent-ids").replaceChildren(...options(viewData.consents.map((c) => c.consent_id)));
}
