"""``/api/calls``: live calls (list, show, hang up) and call timelines (``tas calls show``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tas.admin.context import Ctx, Who
from tas.admin.problems import Problem
from tas.calls.live import LiveCall

router = APIRouter(prefix="/api/calls", tags=["calls"])


class HangupOut(BaseModel):
    id: str
    hung_up: bool


def _live(ctx: Ctx, who: Who, call_id: str) -> LiveCall:
    call: LiveCall | None = ctx.need("calls").live.get(call_id)
    if call is None:
        raise Problem(404, "Not found", f"no live call {call_id}")
    if not who.may(call.subscriber, call.callee, call.caller):
        raise Problem(403, "Forbidden", f"call {call_id} is not one of this token's numbers")
    return call


@router.get("/live", response_model=list[LiveCall])
async def list_live(ctx: Ctx, who: Who) -> list[LiveCall]:
    """Calls in progress (``tas calls live``): :class:`~tas.calls.live.LiveCall` served as is."""
    calls = ctx.need("calls").live
    return [c for c in calls if who.may(c.subscriber, c.callee, c.caller)]


@router.get("/live/{call_id}", response_model=LiveCall)
async def show_live(ctx: Ctx, who: Who, call_id: str) -> LiveCall:
    return _live(ctx, who, call_id)


@router.post("/live/{call_id}/hangup", response_model=HangupOut, status_code=202)
async def hang_up(ctx: Ctx, who: Who, call_id: str) -> HangupOut:
    """End the call: BYE when answered, CANCEL / a final response while pending."""
    _live(ctx, who, call_id)
    return HangupOut(id=call_id, hung_up=ctx.need("calls").hang_up(call_id))


@router.get("/timelines", response_model=list[dict[str, Any]])
async def list_timelines(
    ctx: Ctx,
    who: Who,
    minutes: int = Query(1440, ge=1, le=525600),
    limit: int = Query(50, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """The most recent call timelines (``tas calls list``), newest first."""
    from tas.events.history import load_timelines

    window = timedelta(seconds=ctx.settings.events.correlation_window)
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    found = await load_timelines(ctx.need("db"), since=since, window=window)
    shown = [t for t in reversed(found) if who.may(t.caller, t.callee)]
    return [t.as_dict() for t in shown[:limit]]


@router.get("/timelines/{key}", response_model=dict[str, Any])
async def show_timeline(ctx: Ctx, who: Who, key: str) -> dict[str, Any]:
    """One call's timeline (``tas calls show KEY``): core events beside our milestones."""
    from tas.events.history import find_timeline

    if not key.isascii() or (key.isdigit() and len(key) > 18):  # never an id we issued
        raise Problem(404, "Not found", f"no call matches {key!r}")
    window = timedelta(seconds=ctx.settings.events.correlation_window)
    timeline = await find_timeline(ctx.need("db"), key, window=window)
    if timeline is None:
        raise Problem(404, "Not found", f"no call matches {key!r}")
    if not who.may(timeline.caller, timeline.callee):
        raise Problem(403, "Forbidden", f"call {key} is not one of this token's numbers")
    result: dict[str, Any] = timeline.as_dict()
    return result
