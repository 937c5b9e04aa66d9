"""CallJournal writes in order without blocking the call, survives a failing database and logs
an outage once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from tas.calls.journal import CallJournal
from tas.calls.records import CallRecord


class FakeStore:
    """Stands in for CallRecordStore: records the calls, yields to the loop on each."""

    def __init__(self, fail_open: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail_open = fail_open

    async def open(self, record: CallRecord) -> CallRecord:
        await asyncio.sleep(0)
        if self.fail_open:
            raise OSError("database is gone")
        self.calls.append(("open", record.sip_call_id))
        record.id = 7
        return record

    async def milestone(self, record_id: int, kind: str, detail: str, at: datetime) -> None:
        await asyncio.sleep(0)
        self.calls.append(("milestone", record_id, kind, detail))

    async def update(self, record_id: int, **fields: object) -> None:
        await asyncio.sleep(0)
        self.calls.append(("update", record_id, fields))


async def test_journal_writes_record_then_milestones_in_order() -> None:
    store = FakeStore()
    journal = CallJournal(store, CallRecord(sip_call_id="c1", direction="in"))  # type: ignore[arg-type]
    journal.note("invite", "fallback MT")
    journal.update(outcome="voicemail-left")
    journal.note("bye")
    assert store.calls == []  # nothing awaited yet: the SIP side never waits
    await journal.close()
    assert store.calls == [
        ("open", "c1"),
        ("milestone", 7, "invite", "fallback MT"),
        ("update", 7, {"outcome": "voicemail-left"}),
        ("milestone", 7, "bye", ""),
    ]
    assert journal.kinds == ["invite", "bye"] and journal.record.outcome == "voicemail-left"


async def test_journal_survives_a_failing_database() -> None:
    store = FakeStore(fail_open=True)
    journal = CallJournal(store, CallRecord(sip_call_id="c2", direction="in"))  # type: ignore[arg-type]
    journal.note("invite")
    await journal.close()
    assert store.calls == [] and journal.notes == [("invite", "")]


async def test_a_database_outage_is_logged_once_not_per_call(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tas.calls import journal as module

    monkeypatch.setattr(module, "_outage", module._Outage())  # earlier tests' failures
    failing = FakeStore(fail_open=True)
    for i in range(20):
        journal = CallJournal(failing, CallRecord(sip_call_id=f"down{i}", direction="in"))  # type: ignore[arg-type]
        await journal.close()
    journal = CallJournal(FakeStore(), CallRecord(sip_call_id="up", direction="in"))  # type: ignore[arg-type]
    await journal.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "tas.calls.journal"]
    assert len(lines) == 2 and "call_record_failed" in lines[0]
    assert "event=call_records_recovered failed_writes=20" in lines[1]
    assert not [r for r in caplog.records if r.exc_info]
