"""The client's log report in the client's language: Finnish, Swedish or English.

What each way of reading the data did and why, the report's headings and notes, and dates as
each language writes them (day, month, year) in one time zone.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidQueryError

__all__ = [
    "DEFAULT_ZONE",
    "LANGUAGES",
    "Language",
    "format_day",
    "format_moment",
    "language_of",
    "words",
    "zone",
]

Language = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_ZONE = "Europe/Helsinki"
"""The time zone a report's times are given in unless the caller names another."""


def language_of(preferred: str | None) -> Language:
    """The report's language for a client who registered ``preferred`` ("fi", "sv-FI", "ar"…):
    Finnish or Swedish if it is one of those, else English."""
    base = (preferred or "").strip()[:2].lower()
    return "fi" if base == "fi" else "sv" if base == "sv" else "en"


def zone(name: str | None) -> ZoneInfo:
    """The IANA time zone ``name`` (default Europe/Helsinki); an unknown one is the caller's
    mistake (:class:`InvalidQueryError`, a 422 problem)."""
    if name is None:
        return ZoneInfo(DEFAULT_ZONE)
    try:
        if not name or name.startswith(("/", ".")) or ".." in name or len(name) > 64:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidQueryError(f"tz: not a time zone: {name!r} (e.g. Europe/Helsinki)") from None


_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_day(day: date, language: Language) -> str:
    """A day as the language writes it: 5.3.2025 (Finnish and Swedish), 5 March 2025."""
    if language == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"


def format_moment(moment: datetime, language: Language, where: tzinfo) -> str:
    """A moment in time zone ``where``: 5.3.2025 klo 10.05, 5.3.2025 kl. 10.05,
    5 March 2025, 10:05."""
    local = moment.astimezone(where)
    day = format_day(local.date(), language)
    if language == "fi":
        return f"{day} klo {local.hour}.{local.minute:02d}"
    if language == "sv":
        return f"{day} kl. {local.hour}.{local.minute:02d}"
    return f"{day}, {local.hour:02d}:{local.minute:02d}"


_WHAT: dict[str, tuple[str, str, str]] = {
    "GET /v1/journeys/{client_ref}": (
        "looked at your journey",
        "katsoi asiakkuuttasi",
        "tittade på ditt klientskap",
    ),
    "GET /v1/journeys/{client_ref}/history": (
        "looked at the history of your journey",
        "katsoi asiakkuutesi historiaa",
        "tittade på ditt klientskaps historik",
    ),
    "GET /v1/journeys/{client_ref}/may-share": (
        "checked whether your data may be shared",
        "tarkisti, saako tietojasi luovuttaa",
        "kontrollerade om dina uppgifter får lämnas ut",
    ),
    "GET /v1/journeys/{client_ref}/access-log": (
        "looked at who has read and received your data",
        "katsoi, kuka on katsonut ja saanut tietojasi",
        "tittade på vem som har läst och fått dina uppgifter",
    ),
    "GET /v1/journeys/{client_ref}/log-report": (
        "looked at this report",
        "katsoi tätä raporttia",
        "tittade på den här rapporten",
    ),
    "GET /v1/journeys/{client_ref}/fhir": (
        "exported your record",
        "siirsi tietosi ulos järjestelmästä",
        "exporterade dina uppgifter",
    ),
    "GET /v1/journeys/{client_ref}/conformance": (
        "checked your care pathway",
        "tarkisti palveluketjusi",
        "kontrollerade din servicekedja",
    ),
    "GET /v1/audit/journeys/{client_ref}": (
        "audited your journey",
        "tarkasti asiakkuutesi",
        "granskade ditt klientskap",
    ),
    "GET /v1/audit/journeys/{client_ref}/diff": (
        "audited the changes to your record",
        "tarkasti tietoihisi tehdyt muutokset",
        "granskade ändringarna i dina uppgifter",
    ),
    "GET /v1/audit/journeys/{client_ref}/who-knew": (
        "audited who had received your data",
        "tarkasti, kuka oli saanut tietojasi",
        "granskade vem som hade fått dina uppgifter",
    ),
    "GET /v1/audit/disclosures": (
        "audited disclosures, yours among them",
        "tarkasti tietojen luovutuksia, myös sinun tietojesi",
        "granskade utlämnanden, också av dina uppgifter",
    ),
    "GET /v1/audit/journeys": (
        "searched the journeys, yours among them",
        "haki asiakkuuksia, myös sinun asiakkuuttasi",
        "sökte bland klientskapen, också ditt",
    ),
    "GET /v1/client/journeys/{client_ref}": (
        "looked at your own page",
        "katsoi omaa sivuasi",
        "tittade på din egen sida",
    ),
    "GET /v1/client/journeys/{client_ref}/log-report": (
        "looked at this report",
        "katsoi tätä raporttia",
        "tittade på den här rapporten",
    ),
}
"""What each way of reading someone's data did, in the words a client would use."""

_INDEX = {"en": 0, "fi": 1, "sv": 2}

_ROLES: dict[str, tuple[str, str, str]] = {
    "caseworker": ("case worker", "sosiaalityöntekijä", "socialarbetare"),
    "coordinator": ("coordinator", "vastuuhenkilö", "ansvarsperson"),
    "auditor": ("auditor", "tarkastaja", "granskare"),
    "planner": ("planner", "palvelusuunnittelija", "planerare"),
    "admin": ("admin", "ylläpitäjä", "administratör"),
    "client": ("client", "asiakas", "klient"),
    "guardian": ("guardian", "huoltaja", "vårdnadshavare"),
}

_WORDS: dict[str, tuple[str, str, str]] = {
    "title": (
        "Who has processed and received your data",
        "Kuka on käsitellyt ja saanut tietojasi",
        "Vem har behandlat och fått dina uppgifter",
    ),
    "client": (
        "Client {ref}. Period: {period}.",
        "Asiakas {ref}. Ajanjakso: {period}.",
        "Klient {ref}. Period: {period}.",
    ),
    "produced": ("Produced {at}.", "Laadittu {at}.", "Skapad {at}."),
    "zone": (
        "Times are given in the time zone {zone}.",
        "Ajat on ilmoitettu aikavyöhykkeellä {zone}.",
        "Tiderna anges i tidszonen {zone}.",
    ),
    "beginning": ("the beginning", "alusta", "början"),
    "now": ("now", "tähän päivään", "nu"),
    "to": ("{since} to {until}", "{since} \u2013 {until}", "{since} \u2013 {until}"),
    "reads": ("Who read your data", "Kuka on katsonut tietojasi", "Vem har läst dina uppgifter"),
    "reads_note": (
        "Reads by the same person on the same day, for the same thing and reason, are one line.",
        "Saman henkilön saman päivän katselut samaan asiaan ja samasta syystä ovat yhdellä"
        " rivillä.",
        "Samma persons läsningar samma dag, av samma sak och av samma orsak, står på en rad.",
    ),
    "received": (
        "Who received your data",
        "Kuka on saanut tietojasi",
        "Vem har fått dina uppgifter",
    ),
    "received_note": (
        "Each disclosure with its purpose and legal basis, and whether it was lawful: then, with"
        " what was on record when it happened, and now.",
        "Jokainen luovutus käyttötarkoituksineen ja oikeusperusteineen sekä se, oliko luovutus"
        " lainmukainen: silloin, luovutushetken kirjausten mukaan, ja nyt.",
        "Varje utlämnande med ändamål och rättslig grund, och om det var lagligt: då, enligt det"
        " som var registrerat när det skedde, och nu.",
    ),
    "none": ("None.", "Ei yhtään.", "Inga."),
    "more_follow": (
        "This is one page of the report: more reads or recipients follow on the next page.",
        "Tämä on raportin yksi sivu: lisää katseluja tai vastaanottajia on seuraavalla sivulla.",
        "Det här är en sida av rapporten: fler läsningar eller mottagare finns på nästa sida.",
    ),
    "next_page": ("Next page", "Seuraava sivu", "Nästa sida"),
    "no_reason": ("no reason given", "syytä ei ilmoitettu", "ingen orsak angiven"),
    "read_data": ("read your data", "katsoi tietojasi", "läste dina uppgifter"),
    "cli": (
        "read your data with the operators' tools ({tool})",
        "katsoi tietojasi ylläpidon työkaluilla ({tool})",
        "läste dina uppgifter med driftens verktyg ({tool})",
    ),
    "meeting": ("(meeting)", "(tapaaminen)", "(möte)"),
    "lawful": ("lawful", "lainmukainen", "lagligt"),
    "unsupported": ("no basis on record", "ei kirjattua perustetta", "utan registrerad grund"),
    "unlawful": ("unlawful", "lainvastainen", "olagligt"),
    "consent": ("consent {id}", "suostumus {id}", "samtycke {id}"),
    "statute": ("statute {ref}", "lakiperuste {ref}", "lagstöd {ref}"),
    "h.day": ("day", "päivä", "dag"),
    "h.who": ("who", "kuka", "vem"),
    "h.organisation": ("organisation", "organisaatio", "organisation"),
    "h.role": ("role", "rooli", "roll"),
    "h.what": ("what they did", "mitä teki", "vad hen gjorde"),
    "h.why": ("why", "miksi", "varför"),
    "h.times": ("times", "kertaa", "gånger"),
    "h.occurred": ("happened", "tapahtui", "skedde"),
    "h.recorded": ("recorded", "kirjattiin", "registrerades"),
    "h.from": ("from", "keneltä", "från"),
    "h.to": ("to", "kenelle", "till"),
    "h.category": ("information", "tiedot", "uppgifter"),
    "h.purpose": ("purpose", "käyttötarkoitus", "ändamål"),
    "h.basis": ("basis", "peruste", "grund"),
    "h.then": ("then", "silloin", "då"),
    "h.now": ("now", "nyt", "nu"),
    "h.event": ("event", "tapahtuma", "händelse"),
}


def words(key: str, language: Language, **values: object) -> str:
    """The report's words for ``key`` in ``language``, with ``values`` filled in."""
    if key.startswith("what:"):
        table = _WHAT
        key = key.removeprefix("what:")
    elif key.startswith("role:"):
        table = _ROLES
        key = key.removeprefix("role:")
    else:
        table = _WORDS
    entry = table.get(key)
    if entry is None:
        return key
    return entry[_INDEX[language]].format(**values)


def known_what(endpoint: str) -> bool:
    return endpoint in _WHAT


def known_role(role: str) -> bool:
    return role in _ROLES
