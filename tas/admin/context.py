"""What the admin routes reach: the running server's parts, and the request's principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry

from tas.admin.auth import Principal, Tokens
from tas.admin.problems import Problem
from tas.config import Settings
from tas.health import Health

__all__ = ["AdminContext", "Ctx", "Who"]


@dataclass
class AdminContext:
    """The parts of ``tas serve`` the API serves; ``calls`` is the running
    :class:`tas.calls.app.CallApp`, ``db`` a :class:`tas.store.Database`, ``voicemail`` a
    :class:`tas.voicemail.VoicemailStore` (each None when not running)."""

    settings: Settings
    tokens: Tokens
    calls: Any = None
    db: Any = None
    voicemail: Any = None
    health: Health | None = None
    registry: CollectorRegistry | None = None

    def need(self, part: str) -> Any:
        value = getattr(self, part)
        if value is None:
            raise Problem(503, "Unavailable", f"{part} is not running on this server")
        return value


_bearer = HTTPBearer(auto_error=False, description="an [admin] tokens entry")


def _ctx(request: Request) -> AdminContext:
    context: AdminContext = request.app.state.admin
    return context


def _who(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The request's principal (``_credentials`` only declares the scheme in OpenAPI)."""
    return _ctx(request).tokens.authenticate(request.headers.get("authorization"))


def strict_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (a typo is not silently ignored)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known: set[str] = set()
    pending = [dependant]
    while pending:  # the route's own query parameters and those of its dependencies
        current = pending.pop()
        known.update(p.alias for p in current.query_params)
        pending.extend(current.dependencies)
    if unknown := sorted(set(request.query_params) - known):
        raise Problem(400, "Unknown query parameter", f"unknown query parameter {unknown[0]!r}")


Ctx = Annotated[AdminContext, Depends(_ctx)]
Who = Annotated[Principal, Depends(_who)]
