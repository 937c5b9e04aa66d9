"""``/metrics`` (Prometheus), ``/healthz`` and ``/readyz`` (:mod:`tas.health`: 200 or 503 with
``{"status", "checks"}``), and ``/api/config``: the effective settings, secrets masked like
``tas config show``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from tas.admin.context import Ctx, Who
from tas.admin.problems import Problem
from tas.config_check import mask

router = APIRouter()


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str]


_HEALTH: dict[int | str, dict[str, Any]] = {
    503: {"model": HealthOut, "description": "not live / not ready"}
}


def _health(ok: bool, checks: dict[str, str]) -> JSONResponse:
    body = {"status": "ok" if ok else "fail", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/healthz", response_model=HealthOut, responses=_HEALTH, tags=["health"])
async def healthz(ctx: Ctx) -> JSONResponse:
    """Liveness: the event loop's heartbeat is fresh."""
    if ctx.health is None:
        raise Problem(404, "Not found", "no health checks on this server")
    return _health(*ctx.health.liveness())


@router.get("/readyz", response_model=HealthOut, responses=_HEALTH, tags=["health"])
async def readyz(ctx: Ctx) -> JSONResponse:
    """Readiness: live, SIP bound, database answering, directory fresh, not draining."""
    if ctx.health is None:
        raise Problem(404, "Not found", "no health checks on this server")
    return _health(*ctx.health.readiness())


@router.get("/metrics", include_in_schema=False)
async def metrics(ctx: Ctx) -> Response:
    if ctx.registry is None:
        raise Problem(404, "Not found", "metrics are off ([metrics] enabled = false)")
    data = generate_latest(ctx.registry)  # on the loop: the collectors read loop state
    return Response(data, media_type=CONTENT_TYPE_LATEST)


@router.get("/api/config", response_model=dict[str, Any], tags=["config"])
async def config(ctx: Ctx, who: Who) -> dict[str, Any]:
    """Every effective setting of this server (admin only), secrets masked."""
    who.require_admin()
    masked: dict[str, Any] = mask((), ctx.settings.model_dump(mode="json"))
    return masked
