"""The one place that wires Polku together from its settings."""

from __future__ import annotations

from api.settings import Settings, persistence_env
from api.sqlstore import SqlStore
from api.vault import KeyVault
from domain.application import Clock, JourneyService

__all__ = ["build_service"]


def build_service(settings: Settings, *, clock: Clock | None = None) -> JourneyService:
    """A journey service on the store that ``settings.database_url`` names, with personal data
    sealed by per-client keys kept in the same database."""
    env = persistence_env(settings)
    vault = KeyVault()
    service = (
        JourneyService(env, vault=vault)
        if clock is None
        else JourneyService(env, clock=clock, vault=vault)
    )
    vault.bind(SqlStore(service))
    return service
