"""The one place that wires Polku together from its settings."""

from __future__ import annotations

from api.settings import Settings, persistence_env
from domain.application import Clock, JourneyService

__all__ = ["build_service"]


def build_service(settings: Settings, *, clock: Clock | None = None) -> JourneyService:
    """A journey service on the store that ``settings.database_url`` names."""
    env = persistence_env(settings)
    if clock is None:
        return JourneyService(env)
    return JourneyService(env, clock=clock)
