"""Folds of a journey's events into views at (valid time, record time)."""

from projections.history import HistoryEntry, history
from projections.journey_view import JourneyView, view
from projections.lawfulness import Reason, Verdict
from projections.sharing import SharingAnswer, may_share

__all__ = [
    "HistoryEntry",
    "JourneyView",
    "Reason",
    "SharingAnswer",
    "Verdict",
    "history",
    "may_share",
    "view",
]
