"""The admin app in process (httpx over ASGI): health and metrics routes, bearer tokens and
roles, problem documents. Parts that need a running server: tests/integration/admin/."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from tas.admin.app import create_app
from tas.admin.auth import Tokens
from tas.admin.context import AdminContext
from tas.config import Settings
from tas.config_admin import AdminToken
from tas.health import Health

ADMIN, SUB = "admin-secret", "sub-secret"


def context(health: Health | None = None) -> AdminContext:
    tokens = [
        AdminToken(token=ADMIN),
        AdminToken(
            token_sha256=hashlib.sha256(SUB.encode()).hexdigest(),
            role="subscriber",
            numbers=["+4799990001"],
        ),
    ]
    settings = Settings(data_dir="/nonexistent")
    settings.operator.client_secret = "very-secret"  # type: ignore[assignment]
    settings.admin.tokens = tokens
    return AdminContext(settings, Tokens(tokens), health=health, registry=CollectorRegistry())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(context(Health()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as c:
        yield c


async def test_health_routes_answer_like_before(client: httpx.AsyncClient) -> None:
    health: Health = client._transport.app.state.admin.health  # type: ignore[attr-defined]
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"event_loop": "ok", "draining": "ok"}}
    health.draining = True
    r = await client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "fail"
    assert r.json()["checks"]["draining"] == "draining"
    assert (await client.get("/healthz")).status_code == 200  # draining is alive
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["content-type"]


async def test_tokens_and_roles(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/config")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401 and r.json()["detail"] == "missing bearer token"
    wrong = await client.get("/api/config", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "unknown bearer token"
    sub = await client.get("/api/config", headers={"Authorization": f"Bearer {SUB}"})
    assert sub.status_code == 403 and sub.json()["title"] == "Forbidden"
    ok = await client.get("/api/config", headers={"Authorization": f"Bearer {ADMIN}"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["operator"]["client_secret"] == "***"  # masked like `tas config show`
    assert body["admin"]["tokens"] == ["***", "***"]
    assert ADMIN not in ok.text and "very-secret" not in ok.text


async def test_subscriber_scope_on_numbers(client: httpx.AsyncClient) -> None:
    sub = {"Authorization": f"Bearer {SUB}"}
    other = await client.get("/api/policies/+4799990002", headers=sub)
    assert other.status_code == 403 and "+4799990002" in other.json()["detail"]
    bad = await client.get("/api/policies/12ab", headers={"Authorization": f"Bearer {ADMIN}"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("path.number:")
    typo = await client.get("/api/policies?numbr=1", headers={"Authorization": f"Bearer {ADMIN}"})
    assert typo.status_code == 400 and "numbr" in typo.json()["detail"]
    # the database is not running here: a problem document, not a 500
    own = await client.get("/api/policies/+4799990001", headers=sub)
    assert own.status_code == 503 and own.json()["detail"] == "db is not running on this server"


async def test_openapi_document_lists_every_resource(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = set(doc["paths"])
    for path in (
        "/api/calls/live",
        "/api/calls/live/{call_id}/hangup",
        "/api/calls/timelines/{key}",
        "/api/registrations",
        "/api/policies/{number}",
        "/api/voicemail/{voicemail_id}/audio",
        "/api/voicemail/greetings/{number}/{kind}",
        "/api/config",
        "/readyz",
    ):
        assert path in paths, path
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_route_names_of_the_schema_are_the_cli_spellings() -> None:
    from typing import get_args

    from registrations.model import Route
    from tas.admin.routes_numbers import RouteName

    assert set(get_args(RouteName)) == {route.cli_name for route in Route}


async def test_the_star_policy_is_for_admins_only(client: httpx.AsyncClient) -> None:
    sub = await client.get("/api/policies/*", headers={"Authorization": f"Bearer {SUB}"})
    assert sub.status_code == 403 and sub.json()["detail"] == "this needs an admin token"
    admin = await client.get("/api/policies/*", headers={"Authorization": f"Bearer {ADMIN}"})
    assert admin.status_code == 503  # allowed; no database in this test
