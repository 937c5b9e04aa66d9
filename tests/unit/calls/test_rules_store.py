"""The rule store on in-memory SQLite: a number's rules written whole and read back in order,
the change counter and the in-process feed, and the directory serving what the feed says."""

from __future__ import annotations

import pytest

from tas.calls.directory import Directory
from tas.calls.rules import RuleError, parse_rule
from tas.calls.rules_store import RuleStore, RulesWritten
from tas.store import Database
from tas.store.changes import Change, Topic, read_versions

ALICE, BOB = "+4799990000", "+4799990001"


async def test_rules_are_written_whole_in_order_and_published() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    await db.migrate()
    seen: list[Change] = []
    db.changes.subscribe(seen.append)
    directory = Directory()
    db.changes.subscribe(directory.apply)
    store = RuleStore(db)
    try:
        first = parse_rule({"number": ALICE, "action": "reject", "status": 603, "hidden": True})
        second = parse_rule(
            {"number": ALICE, "action": "ring", "steps": [{"targets": ["handset"], "timeout": 9}]}
        )
        await store.set(ALICE, [first, second])
        await store.set(BOB, [parse_rule({"number": BOB, "action": "dnd"})])
        assert await store.for_number(ALICE) == [first, second]
        assert [r.number for r in await store.all()] == [ALICE, ALICE, BOB]
        assert list(directory.rules_for(ALICE)) == [first, second]
        await store.set(ALICE, [second, first])  # reordering is a write of the whole list
        assert await store.for_number(ALICE) == [second, first]
        assert await store.delete(ALICE) == 2
        assert await store.for_number(ALICE) == [] and directory.rules_for(ALICE) == ()
        assert [r.number for r in await store.all()] == [BOB]
        assert [c.number for c in seen if isinstance(c, RulesWritten)] == [ALICE, BOB, ALICE, ALICE]
        async with db.session() as session:
            assert (await read_versions(session))[Topic.RULES] == 4
        with pytest.raises(RuleError, match="cannot be stored under"):
            await store.set(BOB, [first])
        directory.replace_rules(await store.all())  # a reload (the poller's path)
        assert directory.rules_for(ALICE) == () and len(directory.rules_for(BOB)) == 1
    finally:
        await db.close()
