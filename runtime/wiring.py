"""The composition root: the one place that builds Polku's parts from its settings.

The HTTP app, the ``polku`` command, the benchmarks and the tests all build through here, so a
part is made one way only. Nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from domain.application import Clock, JourneyService, system_clock
from domain.household import HouseholdIds
from domain.household_application import HouseholdService
from domain.journey import JourneyIds
from pathways.disclosure import RecordKeys
from projections.journey_view import FOLDS
from readmodels.caseload import CaseloadIndex
from readmodels.feed_index import FeedIndex
from readmodels.households import HouseholdMembership
from readmodels.ledger import Ledger
from readmodels.planner import PlannerConformance, PlannerLog
from readmodels.tracking import TrackedProjection
from runtime.limits import SlidingWindowLimit
from runtime.oidc import OidcProvider
from runtime.settings import Settings, persistence_env
from storage.access_log import AccessLog
from storage.directory import Directory
from storage.event_batches import select_events_of
from storage.keyring import FileKeyring, Keyring, StaticKeyring
from storage.planner_queries import PlannerQueryLog
from storage.pseudonyms import LEGACY, journey_id_scheme
from storage.replica import ReplicaReads
from storage.sessions import SessionStore
from storage.sql import SqlStore
from storage.tokens import TokenStore
from storage.vault import KeyVault
from storage.webhooks import WebhookStore

__all__ = [
    "Components",
    "build_components",
    "build_households",
    "build_replica_service",
    "build_service",
    "open_keyring",
]


def open_keyring(settings: Settings) -> Keyring:
    """The keyring ``settings`` name: the KEK given directly, or the keyring file."""
    if settings.kek is not None and settings.pseudonym_secret is not None:
        previous = settings.kek_previous.get_secret_value() if settings.kek_previous else None
        return StaticKeyring(
            settings.kek.get_secret_value(), settings.pseudonym_secret.get_secret_value(), previous
        )
    return FileKeyring(settings.keyring_path())


def build_service(settings: Settings, *, clock: Clock = system_clock) -> JourneyService:
    """A journey service on the store that ``settings.database_url`` names: personal data sealed
    by per-client keys kept in the same database, wrapped under the keyring's KEK, and journey
    ids keyed by the keyring's pseudonym secret."""
    keyring = open_keyring(settings)
    secret = keyring.pseudonym_secret()
    vault = KeyVault(keyring, reload=lambda: open_keyring(settings))
    ids = JourneyIds(secret)
    service = JourneyService(persistence_env(settings), clock=clock, vault=vault, journey_ids=ids)
    store = SqlStore(service)
    vault.bind(store)
    service.read_many = partial(select_events_of, service.recorder)
    ids.legacy = journey_id_scheme(store, service, secret) == LEGACY
    return service


@dataclass
class Components:
    """Everything the API and the CLI work with, on one store."""

    settings: Settings
    service: JourneyService
    store: SqlStore
    tokens: TokenStore
    access_log: AccessLog
    caseload: CaseloadIndex
    ledger: Ledger
    planner: PlannerLog
    conformance: PlannerConformance
    outside_writes: SlidingWindowLimit
    """Writes by each caller to journeys they may not read (runtime/writes.py), per hour."""
    planner_queries: PlannerQueryLog
    planner_limit: SlidingWindowLimit
    """Analytics questions and exports by each caller (runtime/analytics.py), per hour."""
    record_keys: RecordKeys
    """Each journey's secret record key, for the planners' perturbed figures."""
    households: HouseholdService
    """Households, in a stream (and event table) of their own beside the journeys."""
    household_members: HouseholdMembership
    """Household membership over valid time, pseudonymous (for figures counting households)."""
    household_keys: RecordKeys
    """Each household's secret record key, for figures counting households."""
    webhooks: WebhookStore
    """Webhook subscriptions, their delivery positions and dead letters."""
    feed_index: FeedIndex
    """Which organisations were ever on which journeys' teams (for the change feed)."""
    sessions: SessionStore
    """Web sessions after sign-in through the OpenID provider, and sign-ins under way."""
    oidc: OidcProvider | None
    """The configured OpenID provider (``POLKU_OIDC_ISSUER``), or none."""
    directory: Directory
    """The organisations and professionals case workers pick from (``polku directory load``)."""
    replica: ReplicaReads | None = None
    """The streaming replica the planners' read models and the auditors' ledger read from, and
    that says when journey reads may go to :attr:`replica_service` (``POLKU_REPLICA_URL``), or
    none: every read on the primary."""
    replica_service: JourneyService | None = None
    """The journeys' event store on the replica, for reads of a client's journey
    (``runtime/reads.py``) once the replica has caught up; none without a replica."""

    @property
    def clock(self) -> Clock:
        """What "now" is, everywhere: the service's clock."""
        return self.service.clock

    @property
    def read_models(self) -> dict[str, TrackedProjection]:
        """Every read model fed from the notification log, by name."""
        models = (self.caseload, self.ledger, self.planner, self.conformance, self.feed_index)
        return {m.name: m for m in models}

    def close(self) -> None:
        if self.replica is not None:
            self.replica.close()
        if self.replica_service is not None:
            self.replica_service.close()
        self.households.close()
        self.service.close()


def build_components(settings: Settings, *, clock: Clock = system_clock) -> Components:
    """The service, Polku's own tables and the read models, on the store ``settings`` name."""
    service = build_service(settings, clock=clock)
    FOLDS.limit(settings.view_folds_max_events)
    store = SqlStore(service)
    batch = settings.projection_batch_size
    households = build_households(settings, service)
    replica = (
        None
        if settings.replica_url is None
        else ReplicaReads(
            settings.replica_url,
            store,
            max_lag=settings.replica_max_lag_seconds,
            pool_size=settings.postgres_pool_size,
        )
    )
    return Components(
        settings=settings,
        service=service,
        store=store,
        tokens=TokenStore(store),
        access_log=AccessLog(store),
        caseload=CaseloadIndex(store, service, batch),
        ledger=Ledger(store, service, batch, reads=replica),
        planner=PlannerLog(store, service, batch, reads=replica),
        conformance=PlannerConformance(store, service, batch, reads=replica),
        outside_writes=SlidingWindowLimit(
            settings.outside_writes_per_hour, timedelta(hours=1), service.clock
        ),
        planner_queries=PlannerQueryLog(store),
        planner_limit=SlidingWindowLimit(
            settings.planner_queries_per_hour, timedelta(hours=1), service.clock
        ),
        record_keys=RecordKeys(service.journey_id.pseudonym),
        households=households,
        household_members=HouseholdMembership(store, service, households, batch, reads=replica),
        household_keys=RecordKeys(service.journey_id.pseudonym, "planner household key"),
        webhooks=WebhookStore(store, service.journey_id.derive("webhook secrets")),
        feed_index=FeedIndex(store, service, batch),
        sessions=SessionStore(store),
        oidc=OidcProvider(settings) if settings.oidc_issuer is not None else None,
        directory=Directory(store),
        replica=replica,
        replica_service=build_replica_service(settings, service),
    )


def build_replica_service(settings: Settings, service: JourneyService) -> JourneyService | None:
    """A journey service reading the events on the replica (``POLKU_REPLICA_URL``), with
    ``service``'s keys, ids and clock; none without a replica or with
    ``POLKU_REPLICA_JOURNEY_READS=false``. It never writes: no tables are
    created, and it keeps no journeys in memory (an erasure on the primary scrubs the primary
    service's cache; a cache here would keep the journey as it was)."""
    if settings.replica_url is None or not settings.replica_journey_reads:
        return None
    on_replica = settings.model_copy(
        update={"database_url": settings.replica_url, "aggregate_cache_size": 0}
    )
    env = persistence_env(on_replica) | {
        "CREATE_TABLE": "n",
        "POSTGRES_CONNECT_TIMEOUT": "2",
        "POSTGRES_PRE_PING": "y",
    }
    reader = JourneyService(
        env, clock=service.clock, vault=service.vault, journey_ids=service.journey_id
    )
    reader.read_many = partial(select_events_of, reader.recorder)
    return reader


def build_households(settings: Settings, service: JourneyService) -> HouseholdService:
    """The household service on the same store as ``service``: its own event table, the same
    key vault (a key per household) and clock, ids keyed by the same pseudonym secret."""
    secret = open_keyring(settings).pseudonym_secret()
    env = persistence_env(settings)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        # On PostgreSQL the library names the table after the application; on SQLite it would
        # share the journeys' table (storage/household_recorder.py).
        env["APPLICATION_RECORDER_TOPIC"] = "storage.household_recorder:HouseholdSQLiteRecorder"
    else:
        # Households are written rarely: a small pool of their own beside the journeys'.
        env["POSTGRES_POOL_SIZE"] = str(min(2, settings.postgres_pool_size))
    return HouseholdService(
        env,
        ids=HouseholdIds(secret),
        clock=service.clock,
        vault=service.vault,
        journey_ids=lambda: service.journey_id,
    )
