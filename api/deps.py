"""Dependencies shared by the routes: the wired components and the authenticated actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.access_log import AccessLog
from api.caseload import CaseloadIndex
from api.ledger import Ledger
from api.planner_model import PlannerConformance, PlannerLog
from api.settings import Settings
from api.sqlstore import SqlStore
from api.tokens import TokenStore
from api.tracking import TrackedProjection
from domain.application import Clock, JourneyService
from domain.events import Actor

__all__ = ["Components", "ComponentsDep", "CurrentActor"]


@dataclass
class Components:
    settings: Settings
    service: JourneyService
    store: SqlStore
    tokens: TokenStore
    access_log: AccessLog
    caseload: CaseloadIndex
    ledger: Ledger
    planner: PlannerLog
    conformance: PlannerConformance
    clock: Clock

    @property
    def read_models(self) -> dict[str, TrackedProjection]:
        """Every read model fed from the notification log, by name."""
        return {m.name: m for m in (self.caseload, self.ledger, self.planner, self.conformance)}

    def close(self) -> None:
        self.service.close()
        self.store.close()


def _components(request: Request) -> Components:
    components: Components = request.app.state.polku
    return components


ComponentsDep = Annotated[Components, Depends(_components)]
_bearer = HTTPBearer(auto_error=False, description="A token from `polku tokens create`.")


def _actor(
    request: Request,
    components: ComponentsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required")
    actor = components.tokens.authenticate(credentials.credentials)
    if actor is None:
        raise HTTPException(401, "the token is not valid")
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(_actor)]
