"""A journey as one reader may see it: the parts their :class:`~domain.policy.Sight` hides taken
out of the view, the history, the disclosures and the record.

The view is folded from the whole record first (a disclosure's lawfulness depends on consents a
reader may not see) and filtered afterwards, so what is shown is judged as it is for everyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Protocol, TypeVar

from domain.journey import JourneyRecord
from domain.policy import PLAN_CATEGORY, Sight
from projections.journey_view import DisclosureView, JourneyView, knowledge_of

__all__ = [
    "visible_disclosures",
    "visible_reads",
    "visible_record",
    "visible_view",
]

_D = TypeVar("_D", bound=DisclosureView)


def visible_disclosures(disclosures: Iterable[_D], sight: Sight) -> tuple[_D, ...]:
    return tuple(d for d in disclosures if sight.sees(d.categories))


def visible_view(v: JourneyView, sight: Sight) -> JourneyView:
    if sight.everything:
        return v
    disclosures = visible_disclosures(v.disclosures, sight)
    professional = sight.professional
    return dataclasses.replace(
        v,
        consents=v.consents if professional else (),
        denials=v.denials if professional else (),
        open_referrals=v.open_referrals if professional else (),
        active_services=v.active_services if professional else (),
        transitions=v.transitions if professional else (),
        plan=v.plan if sight.sees((PLAN_CATEGORY,)) else None,
        disclosures=disclosures,
        knowledge=knowledge_of(disclosures),
    )


def visible_record(record: JourneyRecord, sight: Sight) -> JourneyRecord:
    """The record without the events the reader may not see (for folds that show events, such
    as the history or conformance; lawfulness is judged on the whole record)."""
    hidden = sight.hidden_events(record.events)
    if not hidden:
        return record
    return dataclasses.replace(
        record, events=tuple(e for e in record.events if e.event_id not in hidden)
    )


class _Read(Protocol):
    @property
    def role(self) -> str: ...


_R = TypeVar("_R", bound=_Read)


def visible_reads(reads: Iterable[_R], sight: Sight) -> tuple[_R, ...]:
    """The reads of the journey the reader may be shown (auditors' reads only to auditors)."""
    return tuple(r for r in reads if sight.shows_reads_by(r.role))
