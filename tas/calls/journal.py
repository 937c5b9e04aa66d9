"""Ordered, non-blocking writes of one leg's :class:`~tas.calls.records.CallRecord`.

SIP events arrive in synchronous callbacks; the SQL writes are async. A :class:`CallJournal`
queues them (the record first, then milestones and updates with the time they happened) and
writes them in order from one task, so SIP handling never waits for the database. A failing
write is skipped: the call goes on. Failures are logged once per database outage (the first
error, then one recovery line with the count), never a traceback per call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from tas.calls.records import CallRecord, CallRecordStore, utcnow
from tas.logs import log_event

__all__ = ["CallJournal"]

log = logging.getLogger(__name__)

_Write = Callable[[int], Awaitable[None]]


class _Outage:
    """Once-per-outage logging of call-record write failures (shared by every journal)."""

    def __init__(self) -> None:
        self.failures = 0

    def failed(self, what: str, call_id: str, error: BaseException) -> None:
        self.failures += 1
        if self.failures == 1:
            log_event(
                log,
                what,
                level=logging.ERROR,
                call_id=call_id,
                error=error,
                effect="further failures counted",
            )

    def succeeded(self) -> None:
        if self.failures:
            log_event(
                log, "call_records_recovered", level=logging.WARNING, failed_writes=self.failures
            )
            self.failures = 0


_outage = _Outage()


class CallJournal:
    """The record of one leg; create it, :meth:`note` milestones, :meth:`close` at the end."""

    def __init__(self, store: CallRecordStore | None, record: CallRecord) -> None:
        self.store = store
        self.record = record
        self.notes: list[tuple[str, str]] = []  # (kind, detail) noted, in order
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="call-journal")

    def note(self, kind: str, detail: str = "", at: datetime | None = None) -> None:
        """Append a milestone (``invite``, ``ringing``, ``answered``, ``dtmf`` …)."""
        when = at or utcnow()
        self.notes.append((kind, detail))
        store = self.store
        if store is not None:
            self._queue.put_nowait(lambda rid: store.milestone(rid, kind, detail, when))

    @property
    def kinds(self) -> list[str]:
        """The milestone kinds noted so far, in order."""
        return [kind for kind, _ in self.notes]

    def update(self, **fields: object) -> None:
        """Change record columns (``outcome``, ``status``, ``answered`` …)."""
        for name, value in fields.items():
            setattr(self.record, name, value)
        store = self.store
        if store is not None:
            self._queue.put_nowait(lambda rid: store.update(rid, **fields))

    async def close(self) -> None:
        """Write everything queued, then stop."""
        self._queue.put_nowait(None)
        await asyncio.shield(self._task)

    async def _run(self) -> None:
        store = self.store
        record_id: int | None = None
        if store is not None:
            try:
                opened = await store.open(CallRecord(**self.record.model_dump(exclude={"id"})))
                record_id = opened.id
                self.record.id = record_id
                _outage.succeeded()
            except Exception as exc:
                _outage.failed("call_record_failed", self.record.sip_call_id, exc)
        while True:
            write = await self._queue.get()
            if write is None:
                return
            if record_id is None:
                continue
            try:
                await write(record_id)
            except Exception as exc:
                _outage.failed("call_record_write_failed", self.record.sip_call_id, exc)
