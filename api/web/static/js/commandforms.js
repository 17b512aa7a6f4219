// Every command a case worker or coordinator gives on a journey, as a form: which API path it
// posts to, which kind of event it records and its fields. Each field's type says where its
// choices come from (forms.js draws it):
//   newid      — an id made here (never typed): hidden
//   moment     — when it happened (datetime-local, the reader's time zone); day: a date
//   text, name, note, lines — free text (name and note are personal data; lines: one per line)
//   vocab, vocabs — one or several terms of a vocabulary (``vocab``), shown by their labels
//   service    — a service, named by the sectors vocabulary
//   org, orgs  — one or several organisations: the directory's and the team's
//   professional — a professional of the directory, of the organisation chosen in ``org``
//   member, members — one or several members of the team (as it stands now)
//   consent, denial, referral, episode, transition — one in force / open / running now
//   grantor    — the client, or a guardian the registration names
//   statute    — a statute of the vocabulary; bool — a check box
// ``optional`` fields may be left empty; ``when`` shows a field only for some values of another.

export const GROUPS = [
  ["team", ["add-member", "change-role", "remove-member", "assign-coordinator", "release-coordinator"]],
  ["consents", ["grant-consent", "withdraw-consent", "register-denial", "lift-denial"]],
  ["services", ["make-referral", "accept-referral", "decline-referral", "start-service", "end-service", "transition"]],
  ["sharing", ["share", "meeting"]],
  ["plan", ["plan", "close", "reopen"]],
];

const BASIS = [
  { name: "categories", type: "vocabs", vocab: "information_categories" },
  { name: "purpose", type: "vocab", vocab: "purposes" },
  { name: "basis", type: "vocab", vocab: "basis_kinds", initial: "consent" },
  { name: "consent_id", type: "consent", when: ["basis", "consent"] },
  { name: "statute", type: "statute", when: ["basis", "statutory"] },
];

export const COMMAND_FORMS = {
  "add-member": {
    path: "/team-members",
    kind: "team_member_added",
    fields: [
      { name: "member_type", type: "vocab", vocab: "member_types", initial: "professional" },
      { name: "organisation", type: "org", when: ["member_type", "professional", "third_sector", "employer"] },
      { name: "party_id", type: "professional", org: "organisation", when: ["member_type", "professional"] },
      { name: "party_id", type: "newid", prefix: "p", when: ["member_type", "informal", "third_sector", "employer"] },
      { name: "display_name", type: "name", when: ["member_type", "informal", "third_sector", "employer"] },
      { name: "organisation", type: "fixed", value: "family", when: ["member_type", "informal"] },
      { name: "role", type: "vocab", vocab: "roles" },
      { name: "sector", type: "vocab", vocab: "sectors" },
      { name: "contact", type: "text", optional: true },
    ],
  },
  "change-role": {
    path: "/team-members/{party_id}/role",
    kind: "team_member_role_changed",
    fields: [
      { name: "party_id", type: "member" },
      { name: "role", type: "vocab", vocab: "roles" },
    ],
  },
  "remove-member": {
    path: "/team-members/{party_id}/removal",
    kind: "team_member_removed",
    fields: [{ name: "party_id", type: "member" }],
  },
  "assign-coordinator": {
    path: "/coordinator",
    kind: "coordinator_assigned",
    fields: [{ name: "party_id", type: "member", professionals: true }],
  },
  "release-coordinator": {
    path: "/coordinator/release",
    kind: "coordinator_released",
    fields: [{ name: "party_id", type: "member", coordinator: true }],
  },
  "grant-consent": {
    path: "/consents",
    kind: "consent_granted",
    fields: [
      { name: "consent_id", type: "newid", prefix: "consent" },
      { name: "grantor", type: "grantor" },
      { name: "recipient_orgs", type: "orgs", optional: true },
      { name: "recipient_parties", type: "members", optional: true },
      { name: "categories", type: "vocabs", vocab: "information_categories" },
      { name: "purposes", type: "vocabs", vocab: "purposes" },
      { name: "form", type: "vocab", vocab: "consent_forms" },
      { name: "evidence_ref", type: "text", optional: true },
      { name: "valid_from", type: "day", optional: true },
      { name: "valid_until", type: "day", optional: true, end: true },
    ],
  },
  "withdraw-consent": {
    path: "/consents/{consent_id}/withdrawal",
    kind: "consent_withdrawn",
    fields: [{ name: "consent_id", type: "consent" }],
  },
  "register-denial": {
    path: "/denials",
    kind: "disclosure_denial_registered",
    fields: [
      { name: "denial_id", type: "newid", prefix: "denial" },
      { name: "categories", type: "vocabs", vocab: "information_categories" },
      { name: "recipient_orgs", type: "orgs", optional: true },
      { name: "recipient_parties", type: "members", optional: true },
    ],
  },
  "lift-denial": {
    path: "/denials/{denial_id}/lifting",
    kind: "disclosure_denial_lifted",
    fields: [{ name: "denial_id", type: "denial" }],
  },
  "make-referral": {
    path: "/referrals",
    kind: "referral_made",
    fields: [
      { name: "referral_id", type: "newid", prefix: "referral" },
      { name: "from_org", type: "org", mine: true },
      { name: "to_org", type: "org" },
      { name: "to_sector", type: "vocab", vocab: "sectors" },
      { name: "service", type: "service" },
      { name: "reason", type: "note", optional: true },
    ],
  },
  "accept-referral": {
    path: "/referrals/{referral_id}/acceptance",
    kind: "referral_accepted",
    fields: [{ name: "referral_id", type: "referral" }],
  },
  "decline-referral": {
    path: "/referrals/{referral_id}/decline",
    kind: "referral_declined",
    fields: [
      { name: "referral_id", type: "referral" },
      { name: "decline_reason", type: "vocab", vocab: "referral_decline_reasons" },
    ],
  },
  "start-service": {
    path: "/services",
    kind: "service_started",
    fields: [
      { name: "episode_id", type: "newid", prefix: "service" },
      { name: "service", type: "service" },
      { name: "sector", type: "vocab", vocab: "sectors" },
      { name: "provider_org", type: "org" },
      { name: "responsible_party", type: "member", optional: true },
    ],
  },
  "end-service": {
    path: "/services/{episode_id}/end",
    kind: "service_ended",
    fields: [{ name: "episode_id", type: "episode" }],
  },
  transition: {
    path: "/transitions",
    kind: "transition_recorded",
    fields: [
      { name: "transition_id", type: "newid", prefix: "transition" },
      { name: "kind", type: "vocab", vocab: "transition_kinds" },
      { name: "from_service", type: "service", optional: true },
      { name: "from_org", type: "org", optional: true },
      { name: "to_service", type: "service", optional: true },
      { name: "to_org", type: "org" },
    ],
  },
  share: {
    path: "/disclosures",
    kind: "information_shared",
    fields: [
      { name: "disclosure_id", type: "newid", prefix: "disclosure" },
      { name: "from_party", type: "member", optional: true },
      { name: "from_org", type: "org", optional: true, mine: true },
      { name: "to_party", type: "member", optional: true },
      { name: "to_org", type: "org", optional: true },
      ...BASIS,
      { name: "transition_id", type: "transition", optional: true },
      { name: "channel", type: "text", optional: true },
    ],
  },
  meeting: {
    path: "/meetings",
    kind: "meeting_held",
    fields: [
      { name: "meeting_id", type: "newid", prefix: "meeting" },
      { name: "participants", type: "members" },
      { name: "client_present", type: "bool" },
      ...BASIS,
    ],
  },
  plan: {
    path: "/plan",
    kind: "plan_agreed",
    fields: [
      { name: "goals", type: "lines" },
      { name: "responsible_parties", type: "members", optional: true },
      { name: "review_on", type: "day", optional: true },
    ],
  },
  close: { path: "/closure", kind: "journey_closed", fields: [], whenClosed: false },
  reopen: { path: "/reopening", kind: "journey_reopened", fields: [], whenClosed: true },
};

/** The form id for a kind of event (the correction of an entry uses the form that made it). */
export function formForKind(kind) {
  return Object.keys(COMMAND_FORMS).find((id) => COMMAND_FORMS[id].kind === kind) || null;
}

/** The registration, on the new-client page. */
export const REGISTER_FORM = {
  path: "",
  kind: "client_registered",
  fields: [
    { name: "client_ref", type: "text" },
    { name: "name", type: "name", optional: true },
    { name: "preferred_language", type: "language" },
    { name: "interpreter_needed", type: "bool" },
    { name: "contact", type: "text", optional: true },
  ],
};
