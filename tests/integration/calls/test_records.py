"""Call records and milestones round-trip through SQLite."""

from pathlib import Path

from tas.calls.records import CallRecord, CallRecordStore, Outcome
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
