"""End to end per route type: the sandbox core publishes voice/voicemail events, the consumer
stores them, the call application's records and milestones are in SQL, and the timeline read
back (and printed by ``tas calls``) has both sides in order with the right outcome."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tas.calls.records import CallRecord, CallRecordStore
from tas.events import EventConsumer
from tas.events.cli import calls
from tas.events.history import find_timeline, load_timelines
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database
from tests.integration.events.events_helpers import consumer_settings, eventually

ALICE, BOB, PBX = "+4791111111", "+4792222222", "+4723000000"

# route -> (record fields, steps, expected outcome). A step is ("core", VoiceEventType or
# "NEW_VOICEMAIL") or ("tas", milestone kind); "set:<field>" marks the record answered/ended.
SCENARIOS: dict[str, tuple[dict[str, object], list[tuple[str, str]], str]] = {
    "fork": (
        {"session_id": "{call}", "outcome": "abandoned"},
        [
            ("core", "CALL_INITIATED"),
            ("tas", "invite"),
            ("tas", "180"),
            ("core", "CALL_RINGING"),
            ("core", "CALL_ANSWERED"),
            ("tas", "cancel"),
            ("core", "CALL_ENDED"),
        ],
        "answered-by-handset",
    ),
    "loop": (
        {"session_id": "{call}", "action": "forward", "outcome": "forwarded"},
        [
            ("core", "CALL_INITIATED"),
            ("tas", "invite"),
            ("tas", "forward"),
            ("core", "CALL_RINGING"),
            ("core", "CALL_ANSWERED"),
            ("tas", "bye"),
            ("core", "CALL_ENDED"),
        ],
        "forwarded",
    ),
    "fallback": (
        {"action": "voicemail", "voicemail_id": "vm-{call}", "outcome": "voicemail-left"},
        [
            ("core", "CALL_INITIATED"),
            ("core", "CALL_RINGING"),
            ("tas", "invite"),
            ("tas", "answered"),
            ("tas", "recording"),
            ("tas", "bye"),
            ("core", "CALL_ENDED"),
        ],
        "voicemail-left",
    ),
    "loop-mo": (
        {"sip_call_id": "{call}", "caller": BOB, "callee": ALICE, "outcome": "answered-by-tas"},
        [
            ("core", "CALL_INITIATED"),
            ("tas", "invite"),
            ("tas", "answered"),
            ("core", "CALL_ANSWERED"),
            ("tas", "bye"),
            ("core", "CALL_ENDED"),
        ],
        "answered-by-tas",
    ),
    "loop-mt": (
        {"action": "reject", "status": 486, "outcome": "rejected"},
        [("core", "CALL_INITIATED"), ("tas", "invite"), ("tas", "486"), ("core", "CALL_ENDED")],
        "rejected",
    ),
    "ingress": (
        {"direction": "out", "caller": PBX},
        [
            ("tas", "invite"),
            ("core", "CALL_INITIATED"),
            ("core", "CALL_RINGING"),
            ("core", "CALL_ANSWERED"),
            ("tas", "200"),
            ("tas", "bye"),
            ("core", "CALL_ENDED"),
        ],
        "answered-by-handset",
    ),
    "core-voicemail": (
        {"outcome": "abandoned"},
        [
            ("core", "CALL_INITIATED"),
            ("tas", "invite"),
            ("tas", "cancel"),
            ("core", "CALL_FWD_VOICEMAIL"),
            ("core", "CALL_ENDED"),
            ("core", "NEW_VOICEMAIL"),
        ],
        "voicemail-left",
    ),
}


async def play(
    plane: ControlPlane, store: CallRecordStore, route: str, call: str
) -> tuple[int, list[str]]:
    fields, steps, _ = SCENARIOS[route]
    values = {k: v.format(call=call) if isinstance(v, str) else v for k, v in fields.items()}
    values.setdefault("sip_call_id", f"leg2-{call}@core")
    values.setdefault("direction", "in")
    values.setdefault("caller", ALICE)
    values.setdefault("callee", BOB)
    a, b = str(values["caller"]), str(values["callee"])
    record = await store.open(
        CallRecord.model_validate(
            {"route": route if route != "core-voicemail" else "fork", **values}
        )
    )
    assert record.id is not None
    for source, kind in steps:
        await asyncio.sleep(0.003)  # distinct timestamps on both sides
        if source == "tas":
            await store.milestone(record.id, kind, at=datetime.now(UTC))
        elif kind == "NEW_VOICEMAIL":
            plane.publish_voicemail_event(f"vm-core-{call}", a, b)
        else:
            plane.publish_voice_event(call, kind, a, b)
    return record.id, [f"{source}:{kind}" for source, kind in steps]


@pytest.mark.parametrize("route", sorted(SCENARIOS))
async def test_timeline_per_route(plane: ControlPlane, db: Database, route: str) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    consumer = EventConsumer(consumer_settings(plane), db)
    consumer.start()
    try:
        record_id, expected = await play(plane, CallRecordStore(db), route, f"call-{route}")
        published = sum(1 for line in expected if line.startswith("core:"))
        await eventually(lambda: consumer.stats.acked == published)
    finally:
        await consumer.stop()
    [timeline] = await load_timelines(db, since=started)
    assert timeline.id == str(record_id)
    assert [f"{e.source}:{e.kind}" for e in timeline.entries] == expected
    assert timeline.outcome.value == SCENARIOS[route][2]
    assert timeline.seen_by == "both"
    assert timeline.matched_by in {"session-id", "call-id", "numbers"}
    assert await find_timeline(db, f"call-{route}") == timeline


def test_cli_list_and_show(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"

    async def prepare() -> None:
        db = Database(url)
        await db.migrate()
        plane = ControlPlane()
        await plane.start("127.0.0.1:0")
        consumer = EventConsumer(consumer_settings(plane), db)
        consumer.start()
        try:
            await play(plane, CallRecordStore(db), "fork", "cli-fork")
            plane.publish_voice_event("only-core", "CALL_INITIATED", ALICE, "+4793333333")
            await eventually(lambda: consumer.stats.acked == 5)
        finally:
            await consumer.stop()
            await plane.stop(grace=0)
            await db.close()

    asyncio.run(prepare())
    env = {"TAS_DATABASE__URL": url, "TAS_CONFIG": "", "COLUMNS": "200"}
    runner = CliRunner()
    listed = runner.invoke(calls, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["id"], r["outcome"], r["seen_by"]) for r in rows] == [
        ("core:only-core", "in-progress", "core"),
        ("1", "answered-by-handset", "both"),
    ]
    shown = runner.invoke(calls, ["show", "cli-fork", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["entries"][0]["kind"] == "CALL_INITIATED"
    table = runner.invoke(calls, ["list"], env=env)
    assert table.exit_code == 0 and "answered-by-handset" in table.output
    narrow = runner.invoke(calls, ["list"], env={**env, "COLUMNS": "80"})
    assert narrow.exit_code == 0
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    for number in (ALICE, "+4793333333"):  # whole on one line, not cut at 80 columns
        assert number in narrow.output
    pretty = runner.invoke(calls, ["show", "1"], env=env)
    assert pretty.exit_code == 0 and "CALL_ANSWERED" in pretty.output and "cancel" in pretty.output
    assert "record 1 (operator leg 3: core → TAS): in" in pretty.output  # fork: leg 3
    missing = runner.invoke(calls, ["show", "nope"], env=env)
    assert missing.exit_code == 1 and "no call matches 'nope'" in missing.output
    bad = runner.invoke(calls, ["list", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2 and "neither a span" in bad.output
