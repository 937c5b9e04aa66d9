"""Read side of correlation: load records, milestones and core events from SQL and join them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, or_, select

from tas.calls.records import CallMilestone, CallRecord
from tas.events.correlate import DEFAULT_WINDOW, correlate
from tas.events.models import CoreEvent
from tas.events.store import EventStore
from tas.events.timeline import Timeline
from tas.store import Database

__all__ = ["find_timeline", "load_timelines"]

_SHOW_SPAN = timedelta(hours=2)  # how far around a looked-up call we load its neighbours


async def load_timelines(
    db: Database,
    *,
    since: datetime,
    until: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
) -> list[Timeline]:
    """Timelines of the calls that started in [since, until], oldest first."""
    until = until or datetime.now(UTC)
    async with db.session() as session:
        records = list(
            await session.exec(
                select(CallRecord).where(
                    col(CallRecord.started) >= since - window,
                    col(CallRecord.started) <= until,
                )
            )
        )
        ids = [r.id for r in records if r.id is not None]
        milestones: dict[int, list[CallMilestone]] = {}
        if ids:
            rows = await session.exec(
                select(CallMilestone).where(col(CallMilestone.call_record_id).in_(ids))
            )
            for row in rows:
                milestones.setdefault(row.call_record_id, []).append(row)
    events = await EventStore(db).between(since - window, until + window)
    timelines = correlate(records, milestones, events, window=window)
    return [t for t in timelines if since <= t.started <= until]


async def find_timeline(
    db: Database, key: str, *, window: timedelta = DEFAULT_WINDOW
) -> Timeline | None:
    """The timeline named by ``key``: its id (``12``, ``core:…``, ``vm:…``), the core's call_id,
    a SIP Call-ID or Session-ID of one of our legs, or a voicemail id."""
    bare = key.split(":", 1)[1] if key.startswith(("core:", "vm:")) else key
    async with db.session() as session:
        moment: datetime | None = None
        if key.isdigit():
            record = await session.get(CallRecord, int(key))
            moment = record.started if record else None
        if moment is None:
            found = (
                await session.exec(
                    select(CallRecord.started).where(
                        or_(
                            col(CallRecord.sip_call_id) == bare,
                            col(CallRecord.session_id) == bare,
                            col(CallRecord.voicemail_id) == bare,
                        )
                    )
                )
            ).first()
            moment = found
        if moment is None:
            moment = (
                await session.exec(
                    select(CoreEvent.timestamp).where(
                        or_(col(CoreEvent.call_id) == bare, col(CoreEvent.voicemail_id) == bare)
                    )
                )
            ).first()
    if moment is None:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    timelines = await load_timelines(
        db, since=moment - _SHOW_SPAN, until=moment + _SHOW_SPAN, window=window
    )
    for timeline in timelines:
        if key == timeline.id or bare in _names(timeline):
            return timeline
    return None


def _names(timeline: Timeline) -> set[str]:
    names = {n for n in (timeline.call_id, timeline.voicemail_id) if n}
    for leg in timeline.legs:
        names.update(n for n in (leg.sip_call_id, leg.session_id) if n)
    return names
