"""Call records and milestones round-trip through SQLite."""

from pathlib import Path

from tas.calls.records import CallRecord, CallRecordStore, CallRow, Outcome
from tas.store import Database


async def test_record_with_milestones(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}")
    await db.migrate()
    store = CallRecordStore(db)
    record = await store.open(
        CallRecord(sip_call_id="abc@host", direction="in", route="fallback", callee="+4799990000")
    )
    assert record.id is not None
    await store.milestone(record.id, "invite")
    await store.milestone(record.id, "answered", "200 OK")
    await store.update(record.id, outcome=Outcome.VOICEMAIL_LEFT.value, status=200)
    again = await store.get(record.id)
    assert again is not None and again.outcome == "voicemail-left" and again.status == 200
    assert [m.kind for m in await store.milestones(record.id)] == ["invite", "answered"]
    assert [r.sip_call_id for r in await store.recent()] == ["abc@host"]
    await db.close()


async def test_write_batch_is_one_transaction_of_many_legs(tmp_path: Path) -> None:
    await _write_batch(f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}")


async def test_write_batch_on_postgresql() -> None:
    from tests.integration.calls.directory_helpers import postgres_database

    async with postgres_database() as name:
        await _write_batch(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")


async def _write_batch(url: str) -> None:
    """The journal's group commit: inserts get ids, milestones follow them, updates by id."""
    from datetime import UTC, datetime

    db = Database(url)
    await db.migrate()
    store = CallRecordStore(db)
    old = await store.open(CallRecord(sip_call_id="old", direction="in"))
    assert old.id is not None
    new = [CallRow(sip_call_id=f"n{i}", direction="in", status=180) for i in range(3)]
    at = datetime.now(UTC)
    await store.write_batch(
        new,
        [(new[0], "invite", "", at), (old, "bye", "by caller", at), (new[2], "invite", "", at)],
        [
            (old.id, {"outcome": Outcome.ABANDONED.value, "status": 487}),
            (old.id, {"outcome": Outcome.FAILED.value}),  # later wins, status stays
        ],
    )
    assert all(r.id is not None for r in new) and len({r.id for r in new}) == 3
    for i, row in enumerate(new):  # each leg got its own row's id, not a neighbour's
        assert row.id is not None
        stored_row = await store.get(row.id)
        assert stored_row is not None and stored_row.sip_call_id == f"n{i}"
    again = await store.get(old.id)
    assert again is not None and (again.outcome, again.status) == ("failed", 487)
    assert [m.kind for m in await store.milestones(old.id)] == ["bye"]
    assert new[2].id is not None and [m.kind for m in await store.milestones(new[2].id)] == [
        "invite"
    ]
    assert new[1].id is not None and await store.milestones(new[1].id) == []
    stored = await store.get(new[1].id)
    assert stored is not None and stored.status == 180
    await db.close()
