"""The rules of the valid-time timeline, in one place.

A command is checked against what was true when its event occurred, with every later fact still
valid once the event is inserted. A rejected command raises
:class:`~domain.errors.InvariantViolationError` naming the rule and the conflicting event, and
writes nothing. ``docs/rules.md`` lists the same rules for readers; a test keeps them in step.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Rule"]


class Rule(Enum):
    """Each rule: a stable code and the sentence shown to the caller."""

    OCCURRED_AT_AWARE = ("time-aware", "occurred_at must carry a time zone")
    OCCURRED_AT_NOT_FUTURE = ("time-not-future", "occurred_at must not be in the future")
    REGISTERED_FIRST = ("registered-first", "nothing happens before the client is registered")
    REGISTERED_ONCE = ("registered-once", "a client is registered once")
    CLOSED_JOURNEY = (
        "closed-journey",
        "a closed journey takes nothing but a reopening or a retraction",
    )
    REOPEN_CLOSED = ("reopen-closed", "only a closed journey can be reopened")
    REFERRAL_UNIQUE = ("referral-unique", "a referral id is used once")
    REFERRAL_OPEN = (
        "referral-open",
        "a referral can be accepted or declined only after it was made, and once",
    )
    CONSENT_UNIQUE = ("consent-unique", "a consent id is granted once")
    CONSENT_WITHDRAWN_AFTER_GRANT = (
        "consent-withdrawn-after-grant",
        "a consent can be withdrawn only after it was granted",
    )
    CONSENT_WITHDRAWN_ONCE = ("consent-withdrawn-once", "a consent can be withdrawn once")
    DENIAL_UNIQUE = ("denial-unique", "a denial id is registered once")
    DENIAL_LIFTED_AFTER_REGISTERED = (
        "denial-lifted-after-registered",
        "a denial can be lifted only after it was registered, and once",
    )
    MEMBER_NOT_ON_TEAM = (
        "member-not-on-team",
        "a party can be added only while not already on the team",
    )
    MEMBER_ON_TEAM = (
        "member-on-team",
        "a member can change role or be removed only while on the team",
    )
    COORDINATOR_ON_TEAM = (
        "coordinator-on-team",
        "a coordinator must be on the team when assigned",
    )
    COORDINATOR_RELEASED_BEFORE_REMOVAL = (
        "coordinator-released-before-removal",
        "the coordinator must be released before leaving the team",
    )
    COORDINATOR_NOT_ALREADY = (
        "coordinator-not-already",
        "a party already coordinating cannot be assigned again",
    )
    COORDINATOR_RELEASE_CURRENT = (
        "coordinator-release-current",
        "only the current coordinator can be released",
    )
    SERVICE_UNIQUE = ("service-unique", "a service episode id is started once")
    SERVICE_ENDED_AFTER_START = (
        "service-ended-after-start",
        "a service can end only after it started, and once",
    )
    TRANSITION_UNIQUE = ("transition-unique", "a transition id is recorded once")
    DISCLOSURE_UNIQUE = ("disclosure-unique", "a disclosure or meeting id is recorded once")
    RETRACTION_TARGET = (
        "retraction-target",
        "a retraction names an event of this journey that is neither a retraction nor an"
        " erasure, and not already retracted",
    )
    REGISTRATION_CORRECTED_ONLY = (
        "registration-corrected-only",
        "the registration can only be corrected: retracted with a replacement registration",
    )

    HOUSEHOLD_FORMED_FIRST = (
        "household-formed-first",
        "nothing happens in a household before it is formed",
    )
    HOUSEHOLD_FORMED_ONCE = ("household-formed-once", "a household is formed once")
    HOUSEHOLD_FORMATION_KEPT = (
        "household-formation-kept",
        "a household's formation cannot be retracted",
    )
    HOUSEHOLD_NOT_MEMBER = (
        "household-not-member",
        "a client can join a household only while not a member of it",
    )
    HOUSEHOLD_MEMBER = (
        "household-member",
        "a client can leave a household only while a member of it",
    )
    HOUSEHOLD_COORDINATOR_WITH_MEMBERS = (
        "household-coordinator-with-members",
        "a household coordinator can be assigned only while the household has members",
    )
    HOUSEHOLD_COORDINATOR_RELEASED_BEFORE_EMPTY = (
        "household-coordinator-released-before-empty",
        "the household coordinator must be released before the last member leaves",
    )

    def __init__(self, code: str, text: str) -> None:
        self.code = code
        self.text = text
