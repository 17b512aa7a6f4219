"""Whether sharing one information category with one recipient was (or would be) lawful.

One function, :func:`decide`, answers it against a timeline state: the view calls it for every
(disclosure, recipient, category) — with the facts recorded by the moment the disclosure occurred
("then") and with the facts recorded at the view's ``known_at`` ("now") — and ``may_share`` calls
it for a disclosure someone is about to make. So the verdicts and ``may_share`` agree by
construction.

A verdict is one of three words (``docs/audit.md``):

- **lawful** — a basis on record covered it: a consent in force naming the recipient, the
  category and the purpose (and no denial in force), a statutory right, a statute the
  disclosure cites, or the client sharing it themselves;
- **unsupported** — no basis on record at the time, but nothing forbade it (no basis given, or
  the consent relied on not on record yet);
- **unlawful** — something forbade it: a denial in force, a withdrawn, expired, not yet valid or
  non-covering consent, or a statutory basis without its statute.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

from domain.events import ConsentGranted, InformationShared, JourneyEvent, MeetingHeld
from domain.timeline import ConsentState, TimelineState
from domain.vocabulary import vocabulary

__all__ = [
    "LAWFUL",
    "UNLAWFUL",
    "UNSUPPORTED",
    "WORDS",
    "Reason",
    "Recipient",
    "Verdict",
    "VerdictWord",
    "backdated",
    "combine",
    "decide",
    "judge",
    "recipients_of",
    "worst",
]

VerdictWord = Literal["lawful", "unsupported", "unlawful"]
LAWFUL: VerdictWord = "lawful"
UNSUPPORTED: VerdictWord = "unsupported"
UNLAWFUL: VerdictWord = "unlawful"
WORDS: tuple[VerdictWord, ...] = (LAWFUL, UNSUPPORTED, UNLAWFUL)
"""From best to worst."""


class Reason(Enum):
    """Why sharing was not lawful. The value is a stable code; ``text`` is for people."""

    NO_BASIS = "no-basis"
    CONSENT_UNKNOWN = "consent-unknown"
    CONSENT_BACKDATED = "consent-backdated"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    CONSENT_EXPIRED = "consent-expired"
    CONSENT_NOT_YET_VALID = "consent-not-yet-valid"
    RECIPIENT_NOT_NAMED = "recipient-not-named"
    RECIPIENT_NOT_ON_TEAM = "recipient-not-on-team"
    CATEGORY_NOT_NAMED = "category-not-named"
    PURPOSE_NOT_NAMED = "purpose-not-named"
    DENIAL_IN_FORCE = "denial-in-force"
    STATUTE_MISSING = "statute-missing"

    @property
    def code(self) -> str:
        return self.value

    @property
    def text(self) -> str:
        return _REASON_TEXT[self]

    @property
    def forbids(self) -> bool:
        """Whether this reason makes sharing *unlawful* (else it only leaves it unsupported)."""
        return self not in _UNSUPPORTED_ONLY


_UNSUPPORTED_ONLY = frozenset({Reason.NO_BASIS, Reason.CONSENT_UNKNOWN, Reason.CONSENT_BACKDATED})

_REASON_TEXT = {
    Reason.NO_BASIS: "no lawful basis was given and none was on record",
    Reason.CONSENT_UNKNOWN: "the consent relied on was not on record",
    Reason.CONSENT_BACKDATED: "the consent was recorded only after the disclosure occurred",
    Reason.CONSENT_WITHDRAWN: "the consent had been withdrawn",
    Reason.CONSENT_EXPIRED: "the consent had expired",
    Reason.CONSENT_NOT_YET_VALID: "the consent was not yet valid",
    Reason.RECIPIENT_NOT_NAMED: "the consent does not name the recipient",
    Reason.RECIPIENT_NOT_ON_TEAM: "the recipient was not on the team and not named in the consent",
    Reason.CATEGORY_NOT_NAMED: "the consent does not name the category",
    Reason.PURPOSE_NOT_NAMED: "the consent does not name the purpose",
    Reason.DENIAL_IN_FORCE: "a denial registered by the client was in force",
    Reason.STATUTE_MISSING: "a statutory basis was given without a statute reference",
}


@dataclass(frozen=True)
class Verdict:
    """The judgement of sharing information with one recipient.

    ``verdict`` is the word; ``lawful`` says whether it is "lawful"; ``reasons`` are the codes of
    what was wrong, and ``explanations`` say it in sentences with the categories, the ids and
    both times of the facts involved (when they occurred and when they were recorded).
    """

    verdict: VerdictWord
    lawful: bool
    reasons: tuple[Reason, ...] = ()
    explanations: tuple[str, ...] = ()
    relied_on: str | None = None
    """The consent id, statute reference or "client" the disclosure relied on (or would have)."""


def _lawful(relied_on: str, explanation: str) -> Verdict:
    return Verdict(LAWFUL, True, (), (explanation,), relied_on)


def _not_lawful(reasons: list[tuple[Reason, str]], relied_on: str | None) -> Verdict:
    codes = tuple(dict.fromkeys(r for r, _ in reasons))
    word = UNLAWFUL if any(r.forbids for r in codes) else UNSUPPORTED
    return Verdict(word, False, codes, tuple(dict.fromkeys(t for _, t in reasons)), relied_on)


def worst(words: list[VerdictWord] | tuple[VerdictWord, ...]) -> VerdictWord:
    """The worst of some verdict words (lawful if there are none)."""
    return max(words, key=WORDS.index, default=LAWFUL)


def combine(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """One verdict for several categories: the worst word, every reason and explanation."""
    if len(verdicts) == 1:
        return verdicts[0]
    word = worst([v.verdict for v in verdicts])
    relied = tuple(dict.fromkeys(v.relied_on for v in verdicts if v.relied_on is not None))
    return Verdict(
        word,
        word == LAWFUL,
        tuple(dict.fromkeys(r for v in verdicts for r in v.reasons)),
        tuple(dict.fromkeys(e for v in verdicts for e in v.explanations)),
        ", ".join(relied) if relied else None,
    )


def when(moment: datetime) -> str:
    """A moment as the explanations write it: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _both(event: JourneyEvent) -> str:
    return f"occurred {when(event.occurred_at)}, recorded {when(event.timestamp)}"


@dataclass(frozen=True)
class Recipient:
    party: str | None
    organisation: str | None

    @property
    def name(self) -> str:
        if self.party is not None and self.organisation is not None:
            return f"{self.party} ({self.organisation})"
        return self.party or self.organisation or "?"


def recipients_of(event: InformationShared | MeetingHeld, state: TimelineState) -> list[Recipient]:
    """Who received the information. A party's organisation is taken from the team if not given."""
    if isinstance(event, InformationShared):
        return [Recipient(event.to_party, event.to_org or _org_of(state, event.to_party))]
    return [Recipient(p, _org_of(state, p)) for p in event.participants]


def _org_of(state: TimelineState, party: str | None) -> str | None:
    member = state.members.get(party) if party is not None else None
    return member.added.organisation if member is not None else None


def _names(consent: ConsentGranted, recipient: Recipient) -> bool:
    return (recipient.party is not None and recipient.party in consent.recipient_parties) or (
        recipient.organisation is not None and recipient.organisation in consent.recipient_orgs
    )


def _covers(
    c: ConsentState, at: datetime, recipient: Recipient, category: str, purpose: str
) -> bool:
    g = c.granted
    return (
        c.in_force(at)
        and category in g.categories
        and purpose in g.purposes
        and _names(g, recipient)
    )


def _covering(
    state: TimelineState,
    at: datetime,
    recipient: Recipient,
    category: str,
    purpose: str,
    consent_id: str | None,
) -> ConsentState | None:
    """The consent a disclosure relies on: the one cited if it covers the sharing, else the
    first granted of those in force covering it, else none.

    Only the consents naming the recipient are looked at, in the order granted (the order of
    ``state.consents``), and the look stops at the first that covers: not every consent of the
    journey for every judgement.
    """
    cited = state.consents.get(consent_id) if consent_id is not None else None
    if cited is not None and _covers(cited, at, recipient, category, purpose):
        return cited
    naming = state.consents_naming
    by_party = naming.get(("party", recipient.party), ()) if recipient.party is not None else ()
    by_org = (
        naming.get(("org", recipient.organisation), ())
        if recipient.organisation is not None
        else ()
    )
    # Both lists are in the order granted; merged lazily (a consent naming both comes twice).
    candidates = (state.consents[cid] for _, cid in heapq.merge(by_party, by_org))
    return next((c for c in candidates if _covers(c, at, recipient, category, purpose)), None)


def decide(
    state: TimelineState,
    *,
    at: datetime,
    recipient: Recipient,
    category: str,
    purpose: str,
    basis: str | None = None,
    consent_id: str | None = None,
    statute: str | None = None,
) -> Verdict:
    """Judge sharing ``category`` with ``recipient`` for ``purpose`` at ``at`` against ``state``.

    ``basis``, ``consent_id`` and ``statute`` are what a recorded disclosure gave as its basis
    (``may_share`` gives none). Sharing is lawful when the client shared it themselves, when
    the disclosure cites a statute, when a consent in force names the recipient, the category
    and the purpose and no denial covering them is in force (the consent cited is preferred),
    or when a statutory right from the vocabulary applies to the recipient's sector (a denial
    does not override a statutory right). Otherwise the verdict lists what was wrong with the
    basis given and any denial in force.
    """
    if basis == "client_self":
        return _lawful("client", "the client shared it themselves")
    if basis == "statutory" and statute:
        return _lawful(statute, f"the disclosure cites the statute {statute}")
    consent = _covering(state, at, recipient, category, purpose, consent_id)
    denials = [
        d
        for d in state.denials.values()
        if d.covers(category, recipient.party, recipient.organisation)
    ]
    if consent is not None and not denials:
        g = consent.granted
        return _lawful(
            g.consent_id,
            f"{category}: consent {g.consent_id} ({_both(g)}) covers {recipient.name}"
            f" and the purpose {purpose}",
        )
    right = _statutory_right(state, recipient, category, purpose)
    if right is not None:
        ref, title = right
        return _lawful(ref, f"{category}: statutory right {ref} ({title})")
    reasons: list[tuple[Reason, str]] = []
    relied_on = consent_id
    if basis == "consent":
        reasons += _gaps(state, at, recipient, category, purpose, consent_id)
    elif basis == "statutory":
        reasons.append((Reason.STATUTE_MISSING, f"{category}: {Reason.STATUTE_MISSING.text}"))
    elif not denials:
        reasons.append(
            (
                Reason.NO_BASIS,
                f"{category}: no consent in force named {recipient.name}, the category and the"
                f" purpose {purpose}, and no statutory right applied",
            )
        )
    if consent is not None:
        relied_on = relied_on or consent.granted.consent_id
    for d in denials:
        r = d.registered
        beats = f", and it beats consent {consent.granted.consent_id}" if consent else ""
        reasons.append(
            (
                Reason.DENIAL_IN_FORCE,
                f"{category}: denial {r.denial_id} ({_both(r)}) forbade sharing it with"
                f" {recipient.name}{beats}",
            )
        )
    return _not_lawful(reasons, relied_on)


def _gaps(
    state: TimelineState,
    at: datetime,
    recipient: Recipient,
    category: str,
    purpose: str,
    consent_id: str | None,
) -> list[tuple[Reason, str]]:
    """What the consent relied on lacked for this category (empty if it covered it)."""
    consent = state.consents.get(consent_id) if consent_id else None
    if consent is None:
        return [
            (
                Reason.CONSENT_UNKNOWN,
                f"{category}: consent {consent_id or '(none named)'} was not on record",
            )
        ]
    g = consent.granted
    name = f"consent {g.consent_id}"
    gaps: list[tuple[Reason, str]] = []
    if consent.withdrawn is not None:
        w = consent.withdrawn
        gaps.append(
            (
                Reason.CONSENT_WITHDRAWN,
                f"{category}: {name} was withdrawn ({_both(w)}) before the disclosure at"
                f" {when(at)}",
            )
        )
    elif at < g.valid_from:
        gaps.append(
            (
                Reason.CONSENT_NOT_YET_VALID,
                f"{category}: {name} was valid only from {when(g.valid_from)}, after the"
                f" disclosure at {when(at)}",
            )
        )
    elif g.valid_until is not None and at >= g.valid_until:
        gaps.append(
            (
                Reason.CONSENT_EXPIRED,
                f"{category}: {name} expired {when(g.valid_until)}, before the disclosure at"
                f" {when(at)}",
            )
        )
    if not _names(g, recipient):
        gaps.append(
            (Reason.RECIPIENT_NOT_NAMED, f"{category}: {name} does not name {recipient.name}")
        )
        if recipient.party is None or recipient.party not in state.members:
            gaps.append(
                (
                    Reason.RECIPIENT_NOT_ON_TEAM,
                    f"{category}: {recipient.name} was not on the team",
                )
            )
    if category not in g.categories:
        gaps.append(
            (
                Reason.CATEGORY_NOT_NAMED,
                f"{category}: {name} does not name the category {category}"
                f" (it names {', '.join(g.categories)})",
            )
        )
    if purpose not in g.purposes:
        gaps.append(
            (
                Reason.PURPOSE_NOT_NAMED,
                f"{category}: {name} does not name the purpose {purpose}",
            )
        )
    return gaps


def _statutory_right(
    state: TimelineState, recipient: Recipient, category: str, purpose: str
) -> tuple[str, str] | None:
    sectors = _sectors(state, recipient)
    for statute in vocabulary().statutes.values():
        if (
            category in statute.categories
            and purpose in statute.purposes
            and (sectors & statute.recipient_sectors)
        ):
            return statute.ref, statute.title
    return None


def _sectors(state: TimelineState, recipient: Recipient) -> set[str]:
    """The recipient's sectors, as known from the team, services and referrals."""
    party, organisation = recipient.party, recipient.organisation
    sectors = set()
    if party is not None and party in state.members:
        sectors.add(state.members[party].added.sector)
    if organisation is not None:
        sectors.update(
            m.added.sector for m in state.members.values() if m.added.organisation == organisation
        )
        sectors.update(
            s.started.sector
            for s in state.services.values()
            if s.started.provider_org == organisation
        )
        sectors.update(
            r.made.to_sector for r in state.referrals.values() if r.made.to_org == organisation
        )
    return sectors


def judge(
    event: InformationShared | MeetingHeld,
    recipient: Recipient,
    category: str,
    state: TimelineState,
) -> Verdict:
    """Judge one category of one disclosure to one recipient against ``state`` (the timeline
    when it occurred, as recorded at some moment)."""
    return decide(
        state,
        at=event.occurred_at,
        recipient=recipient,
        category=category,
        purpose=event.purpose,
        basis=event.basis,
        consent_id=event.consent_id,
        statute=event.statute,
    )


def backdated(
    verdict: Verdict, consent: ConsentGranted, disclosure: InformationShared | MeetingHeld
) -> Verdict:
    """A "then" verdict whose consent was not on record yet, though it is now: the consent was
    recorded after the disclosure occurred (whenever the disclosure itself was recorded)."""
    if Reason.CONSENT_UNKNOWN not in verdict.reasons:
        return verdict
    codes = tuple(
        Reason.CONSENT_BACKDATED if r is Reason.CONSENT_UNKNOWN else r for r in verdict.reasons
    )
    text = (
        f"consent {consent.consent_id} was recorded {when(consent.timestamp)}, after the"
        f" disclosure occurred {when(disclosure.occurred_at)} (recorded"
        f" {when(disclosure.timestamp)}); it is dated {when(consent.occurred_at)}"
    )
    explanations = tuple(
        f"{e.split(':', 1)[0]}: {text}" if "was not on record" in e else e
        for e in verdict.explanations
    )
    return Verdict(verdict.verdict, False, codes, explanations, verdict.relied_on)
