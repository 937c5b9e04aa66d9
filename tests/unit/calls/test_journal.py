"""CallJournal writes in order without blocking the call, survives a failing database and logs
an outage once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from tas.calls.journal import CallJournal
from tas.calls.records import CallRow


class FakeStore:
    """Stands in for CallRecordStore: records each batch's writes, yields to the loop."""

    window = 0.0  # one commit per loop pass unless a test widens it

    def __init__(self, fail_open: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.batches = 0
        self.fail_open = fail_open
        self.next_id = 7

    async def write_batch(
        self,
        opens: list[CallRow],
        milestones: list[tuple[CallRow, str, str, datetime]],
        updates: list[tuple[int, dict[str, object]]],
    ) -> None:
        await asyncio.sleep(0)
        if self.fail_open and opens:
            raise OSError("database is gone")
        self.batches += 1
        for record in opens:
            self.calls.append(("open", record.sip_call_id, record.outcome))
            record.id, self.next_id = self.next_id, self.next_id + 1
        for record, kind, detail, _ in milestones:
            self.calls.append(("milestone", record.id, kind, detail))
        for record_id, fields in updates:
            self.calls.append(("update", record_id, fields))


async def test_journal_writes_record_then_milestones_in_order() -> None:
    store = FakeStore()
    journal = CallJournal(store, CallRow(sip_call_id="c1", direction="in"))  # type: ignore[arg-type]
    journal.note("invite", "fallback MT")
    journal.update(outcome="voicemail-left")
    journal.note("bye")
    assert store.calls == []  # nothing awaited yet: the SIP side never waits
    await journal.close()
    # one batch: the record is inserted with its current values, then the milestones in order
    assert store.batches == 1
    assert store.calls == [
        ("open", "c1", "voicemail-left"),
        ("milestone", 7, "invite", "fallback MT"),
        ("milestone", 7, "bye", ""),
    ]
    assert journal.kinds == ["invite", "bye"] and journal.record.outcome == "voicemail-left"


async def test_journal_survives_a_failing_database() -> None:
    store = FakeStore(fail_open=True)
    journal = CallJournal(store, CallRow(sip_call_id="c2", direction="in"))  # type: ignore[arg-type]
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
        journal = CallJournal(failing, CallRow(sip_call_id=f"down{i}", direction="in"))  # type: ignore[arg-type]
        await journal.close()
    journal = CallJournal(FakeStore(), CallRow(sip_call_id="up", direction="in"))  # type: ignore[arg-type]
    await journal.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "tas.calls.journal"]
    assert len(lines) == 2 and "call_record_failed" in lines[0]
    assert "event=call_records_recovered failed_writes=20" in lines[1]
    assert not [r for r in caplog.records if r.exc_info]


async def test_later_writes_of_an_open_record_are_updates_in_order() -> None:
    store = FakeStore()
    journal = CallJournal(store, CallRow(sip_call_id="c3", direction="in"))  # type: ignore[arg-type]
    await journal.close()
    journal.note("answered")
    journal.update(status=200)
    journal.update(outcome="answered-by-tas")
    await journal.close()
    assert store.calls == [
        ("open", "c3", "in-progress"),
        ("milestone", 7, "answered", ""),
        ("update", 7, {"status": 200}),
        ("update", 7, {"outcome": "answered-by-tas"}),
    ]


async def test_many_legs_share_one_commit() -> None:
    """The group commit: legs queued in the same loop pass go into one transaction."""
    store = FakeStore()
    journals = [
        CallJournal(store, CallRow(sip_call_id=f"g{i}", direction="in"))  # type: ignore[arg-type]
        for i in range(50)
    ]
    for journal in journals:
        journal.note("invite")
    await asyncio.gather(*(j.close() for j in journals))
    assert store.batches == 1 and len(store.calls) == 100
    assert sorted(j.record.id or 0 for j in journals) == list(range(7, 57))


async def test_writes_queued_during_the_window_share_one_commit() -> None:
    """With a commit window, legs queued in later loop passes join the same transaction, and
    a short call's record is inserted once with its final values (no update rows)."""
    store = FakeStore()
    store.window = 0.01
    first = CallJournal(store, CallRow(sip_call_id="w1", direction="in"))  # type: ignore[arg-type]
    first.note("invite")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = CallJournal(store, CallRow(sip_call_id="w2", direction="in"))  # type: ignore[arg-type]
    first.update(outcome="answered-by-tas")
    first.note("bye")
    await asyncio.gather(first.close(), second.close())
    assert store.batches == 1
    assert store.calls == [
        ("open", "w1", "answered-by-tas"),
        ("open", "w2", "in-progress"),
        ("milestone", 7, "invite", ""),
        ("milestone", 7, "bye", ""),
    ]


async def test_a_leg_whose_record_failed_writes_nothing_more() -> None:
    store = FakeStore(fail_open=True)
    journal = CallJournal(store, CallRow(sip_call_id="c4", direction="in"))  # type: ignore[arg-type]
    await journal.close()
    store.fail_open = False
    journal.note("bye")
    journal.update(outcome="abandoned")
    await journal.close()
    assert journal.failed and store.calls == [] and journal.record.id is None


def test_a_call_row_has_the_columns_of_the_call_record_table() -> None:
    """The row the journal inserts and the table it goes to never drift apart."""
    from tas.calls.records import CallRecord

    row = CallRow(sip_call_id="c5", direction="in")
    assert list(row.values()) == [c for c in CallRecord.__table__.columns.keys() if c != "id"]  # type: ignore[attr-defined]
    assert {f for f in CallRow.__dataclass_fields__} == set(CallRecord.model_fields)
