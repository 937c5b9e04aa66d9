"""Ordered, non-blocking writes of each leg's call record (a :class:`~tas.calls.records.CallRow`),
in group commits.

SIP events arrive in synchronous callbacks; the SQL writes are async. A :class:`CallJournal`
queues them (the record first, then milestones and updates with the time they happened) on the
:class:`_Writer` of its store, which gathers what every leg queues for the store's commit
window (:attr:`~tas.calls.records.CallRecordStore.window`, 0.1 s) and writes it in one
transaction (:meth:`~tas.calls.records.CallRecordStore.write_batch`), so SIP handling never
waits for the database and the database sees a few commits per second, not five per call (one
session per write held ``tas serve`` to ~250 calls/s; one commit per loop pass still cost
2/3 of the CPU per call at 100 calls/s: issue 17). Each leg's writes stay in order; a short
call's record is inserted once with its final values. A crash loses what was queued and not
yet committed: at most one window of call records (they are the TAS's own log of what it saw;
voicemail and notification rows commit on their own paths). A failing batch is skipped: the calls go on (a leg whose record could not be opened
writes nothing more). Failures are logged once per database outage (the first error, then
one recovery line with the count), never a traceback per call.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

from tas.calls.records import CallRecordStore, CallRow, MilestoneRow, utcnow
from tas.logs import log_event
from tas.transport.capture import WireMessage

__all__ = ["WIRE_KIND", "CallJournal"]

log = logging.getLogger(__name__)

#: The milestone kind of a SIP message summary (the timeline lists them apart, as messages).
WIRE_KIND = "sip"
#: Most queued writes in one transaction (bounds one commit's latency under a backlog).
BATCH = 2000


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


@dataclass(slots=True)
class _Op:
    """One queued write of ``journal`` (``what``): "open" its record, a "milestone" (``kind``,
    ``detail``, ``at``), an "update" (``fields``), or "flush" (``done`` resolves once
    everything queued before it is written)."""

    journal: CallJournal
    what: str
    kind: str = ""
    detail: str = ""
    at: datetime | None = None
    fields: dict[str, object] | None = None
    done: asyncio.Future[None] | None = None


class _Writer:
    """The one writer task of a store: drains the queue in batches, one transaction each."""

    def __init__(self, store: CallRecordStore) -> None:
        self.store = store
        self.pending: list[_Op] = []
        self.task: asyncio.Task[None] | None = None

    def put(self, op: _Op) -> None:
        self.pending.append(op)
        task = self.task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self.task = asyncio.get_running_loop().create_task(self._run(), name="call-records")

    async def _run(self) -> None:
        while True:  # the group commit: what legs queue during the window joins the batch
            if len(self.pending) < BATCH:
                await asyncio.sleep(self.store.window)
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            await self._write(batch)
            if not self.pending:
                return

    async def _write(self, batch: list[_Op]) -> None:
        opens: list[CallJournal] = []
        milestones: list[MilestoneRow] = []
        updates: list[tuple[int, dict[str, object]]] = []
        flushes: list[asyncio.Future[None]] = []
        for op in batch:
            journal = op.journal
            if op.what == "flush":
                assert op.done is not None
                flushes.append(op.done)
            elif op.what == "open":
                opens.append(journal)
            elif journal.failed:
                continue
            elif op.what == "update":
                assert op.fields is not None
                if journal.record.id is not None:  # else opened in this batch, current values
                    updates.append((journal.record.id, op.fields))
            else:
                assert op.at is not None
                milestones.append((journal.record, op.kind, op.detail, op.at))
        try:
            await self.store.write_batch([j.record for j in opens], milestones, updates)
            _outage.succeeded()
        except Exception as exc:
            for journal in opens:
                journal.failed = True
                journal.record.id = None
            first = opens[0].record if opens else batch[0].journal.record
            what = "call_record_failed" if opens else "call_record_write_failed"
            _outage.failed(what, first.sip_call_id, exc)
        for done in flushes:
            if not done.done():
                done.set_result(None)


_writers: weakref.WeakKeyDictionary[CallRecordStore, _Writer] = weakref.WeakKeyDictionary()


def _writer(store: CallRecordStore) -> _Writer:
    writer = _writers.get(store)
    if writer is None:
        writer = _writers[store] = _Writer(store)
    return writer


class CallJournal:
    """The record of one leg; create it, :meth:`note` milestones, :meth:`close` at the end."""

    __slots__ = ("store", "record", "notes", "failed", "_writer")  # one per held call

    def __init__(self, store: CallRecordStore | None, record: CallRow) -> None:
        self.store = store
        self.record = record
        self.notes: list[tuple[str, str]] = []  # (kind, detail) noted, in order
        self.failed = False  # the record could not be opened: nothing more is written
        self._writer = _writer(store) if store is not None else None
        if self._writer is not None:
            self._writer.put(_Op(self, "open"))

    def note(self, kind: str, detail: str = "", at: datetime | None = None) -> None:
        """Append a milestone (``invite``, ``ringing``, ``answered``, ``dtmf`` …)."""
        self.notes.append((kind, detail))
        if self._writer is not None:
            self._writer.put(_Op(self, "milestone", kind, detail, at or utcnow()))

    def wire(self, message: WireMessage) -> None:
        """A SIP message of this leg (:mod:`tas.transport.capture`), written as a ``sip``
        milestone in the same batched commits (not kept in :attr:`notes`)."""
        if self._writer is not None:
            at = datetime.fromtimestamp(message.at, UTC)
            self._writer.put(_Op(self, "milestone", WIRE_KIND, message.to_detail(), at))

    @property
    def kinds(self) -> list[str]:
        """The milestone kinds noted so far, in order."""
        return [kind for kind, _ in self.notes]

    def update(self, **fields: object) -> None:
        """Change record columns (``outcome``, ``status``, ``answered`` …)."""
        for name, value in fields.items():
            setattr(self.record, name, value)
        if self._writer is not None:
            self._writer.put(_Op(self, "update", fields=fields))

    async def close(self) -> None:
        """Wait until everything queued so far is written (or skipped)."""
        if self._writer is None:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writer.put(_Op(self, "flush", done=done))
        await asyncio.shield(done)
