"""The transcript worker (tas.voicemail.transcribe_worker) on SQLite and PostgreSQL with a
scripted recogniser: the row commits with the message, the worker transcribes after commit,
holds and then releases the e-mail/webhook notifications, notes the timeline, survives a crashed
recogniser and a dead worker, never transcribes one message twice across two replicas, and
without the extra every message is clearly ``unavailable``. ``tas voicemail show`` prints it."""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete
from sqlmodel import select

from tas.calls.records import CallMilestone, CallRecord
from tas.cli import cli
from tas.config import (
    NotifySettings,
    Settings,
    TranscribeSettings,
    VoicemailSettings,
    load_settings,
)
from tas.store.db import Database
from tas.voicemail import VoicemailStore
from tas.voicemail import transcribe as transcribe_module
from tas.voicemail.models import Mailbox, VoicemailRow
from tas.voicemail.notify_models import Channel, OutboxRow
from tas.voicemail.notify_store import OutboxStore
from tas.voicemail.transcribe_worker import EngineCrashed, TranscribeWorker, start_transcriber
from tas.voicemail.transcript_models import TranscriptRow, TranscriptStatus
from tas.voicemail.transcript_store import TranscriptStore
from tests.integration.voicemail.conftest import Speech

BOX = "+4799990001"
CALLER = "+4799990002"
HANG = "hang"


class ScriptedEngine:
    """Answers each call from ``script``: a text, an exception to raise, or HANG (never)."""

    name = "scripted"
    language = "xx"

    def __init__(self, *script: object, by_seconds: dict[int, object] | None = None) -> None:
        self.script = list(script)
        self.by_seconds = by_seconds or {}  # concurrent calls: the step by audio length
        self.heard: list[int] = []

    async def transcribe(self, wav: bytes) -> str:
        self.heard.append(len(wav))
        seconds = round((len(wav) - 44) / 16000)
        if seconds in self.by_seconds:
            step = self.by_seconds[seconds]
        else:
            step = self.script.pop(0) if self.script else "hello"
        if step == HANG:
            await asyncio.Event().wait()
        if isinstance(step, BaseException):
            raise step
        return str(step)

    async def aclose(self) -> None:
        return None


NOTIFY = NotifySettings(
    channels=["sms", "email", "webhook"], email_to="o@example.test", webhook_url="http://x/h"
)
CONFIG = TranscribeSettings(timeout=0.5, lease_seconds=60, notify_wait=30, queue=4)


@pytest.fixture
async def store(db_url: str, tmp_path: Path) -> Any:
    vm = VoicemailStore(
        Database(db_url), tmp_path / "vm", VoicemailSettings(notify=NOTIFY, transcribe=CONFIG)
    )
    await vm.open()
    async with vm.db.session() as session:  # PostgreSQL is shared by the session
        for table in (CallMilestone, CallRecord, OutboxRow, TranscriptRow, VoicemailRow, Mailbox):
            await session.exec(delete(table))  # type: ignore[call-overload]
        await session.commit()
    yield vm
    await vm.close()


def worker(
    store: VoicemailStore, engine: ScriptedEngine, owner: str = "w1", offset: float = 0.0
) -> TranscribeWorker:
    return TranscribeWorker(
        store,
        engine,
        CONFIG,
        owner=owner,
        clock=lambda: datetime.now(UTC) + timedelta(seconds=offset),
    )


async def milestones(store: VoicemailStore) -> list[tuple[str, str]]:
    async with store.db.session() as session:
        rows = (await session.exec(select(CallMilestone).order_by(CallMilestone.id))).all()
        return [(r.kind, r.detail) for r in rows]


async def test_transcribed_after_commit_then_notifications_released(
    store: VoicemailStore, speech: Speech
) -> None:
    message = await store.deposit(BOX, CALLER, speech(2.0), call_id="c-1")
    async with store.db.session() as session:
        session.add(
            CallRecord(sip_call_id="c-1", direction="in", voicemail_id=message.voicemail_id)
        )
        await session.commit()
    transcripts = TranscriptStore(store.db)
    pending = await transcripts.get(message.voicemail_id)
    assert pending is not None and pending.status is TranscriptStatus.PENDING
    due = {e.channel: e.next_attempt for e in await OutboxStore(store.db).entries()}
    assert due[Channel.SMS] <= datetime.now(UTC)  # SMS stays short: never held
    for channel in (Channel.EMAIL, Channel.WEBHOOK):
        assert due[channel] == due[Channel.SMS] + timedelta(seconds=30)  # waits for the text

    engine = ScriptedEngine("please call me back")
    woken: list[str] = []
    w = worker(store, engine)
    w._on_transcribed = woken.append
    assert await w.run_once() == 1
    assert await w.run_once() == 0  # nothing left, nothing twice
    done = await transcripts.get(message.voicemail_id)
    assert done is not None and done.status is TranscriptStatus.DONE
    assert (done.text, done.engine, done.language, done.attempts) == (
        "please call me back",
        "scripted",
        "xx",
        1,
    )
    assert woken == [message.voicemail_id]
    due = {e.channel: e.next_attempt for e in await OutboxStore(store.db).entries()}
    assert max(due.values()) <= datetime.now(UTC)  # released: due now
    assert await milestones(store) == [("transcribed", "scripted: 'please call me back'")]


async def test_a_crashed_recogniser_is_retried_and_a_timeout_fails(
    store: VoicemailStore, speech: Speech
) -> None:
    first = await store.deposit(BOX, CALLER, speech(2.0))
    engine = ScriptedEngine(EngineCrashed("worker process died"), "words")
    w = worker(store, engine)
    assert await w.run_once() == 1
    row = await TranscriptStore(store.db).get(first.voicemail_id)
    assert row is not None and row.status is TranscriptStatus.PENDING and row.lease_owner is None
    assert await w.run_once() == 1
    row = await TranscriptStore(store.db).get(first.voicemail_id)
    assert row is not None and (row.status, row.attempts) == (TranscriptStatus.DONE, 2)

    second = await store.deposit(BOX, CALLER, speech(2.0, seed=2))
    third = await store.deposit(BOX, CALLER, speech(3.0, seed=3))
    w = worker(store, ScriptedEngine(by_seconds={2: HANG, 3: ValueError("not PCM")}))
    assert await w.run_once() == 2
    rows = await TranscriptStore(store.db).get_many([second.voicemail_id, third.voicemail_id])
    assert rows[second.voicemail_id].status is TranscriptStatus.FAILED
    assert rows[second.voicemail_id].error == "timed out after 0.5 s"
    assert rows[third.voicemail_id].error == "ValueError: not PCM"


async def test_a_dead_workers_row_is_picked_up_after_the_lease(
    store: VoicemailStore, speech: Speech, restart: Any
) -> None:
    message = await store.deposit(BOX, CALLER, speech(2.0))
    # Worker "a" claims and its process dies before it records anything.
    [held] = await TranscriptStore(store.db).claim_due(
        "a", datetime.now(UTC), timedelta(seconds=60), 3, 4
    )
    again = await restart()  # the next start, on the same database
    engine = ScriptedEngine("after the restart")
    assert await worker(again, engine, "b").run_once() == 0  # a's lease is live
    assert await worker(again, engine, "b", offset=61).run_once() == 1
    row = await TranscriptStore(store.db).get(message.voicemail_id)
    assert row is not None and (row.status, row.text, row.attempts) == (
        TranscriptStatus.DONE,
        "after the restart",
        2,
    )
    # "a" comes back late: its lease is gone, it cannot overwrite b's result.
    from tas.voicemail.transcript_rules import done

    assert not await TranscriptStore(store.db).record(
        held, done(held, datetime.now(UTC), "x", "a", "xx")
    )


async def test_two_replicas_never_transcribe_one_message(
    store: VoicemailStore, speech: Speech, restart: Any
) -> None:
    ids = [
        (await store.deposit(BOX, f"+47999900{n:02d}", speech(1.5, seed=n))).voicemail_id
        for n in range(6)
    ]
    other = await restart()
    one, two = ScriptedEngine(), ScriptedEngine()
    counts = await asyncio.gather(
        worker(store, one, "r1").run_once(), worker(other, two, "r2").run_once()
    )
    counts += await asyncio.gather(
        worker(store, one, "r1").run_once(), worker(other, two, "r2").run_once()
    )
    assert sum(counts) == 6 and len(one.heard) + len(two.heard) == 6
    rows = await TranscriptStore(store.db).get_many(ids)
    assert {r.status for r in rows.values()} == {TranscriptStatus.DONE}
    assert {r.attempts for r in rows.values()} == {1}


@pytest.fixture
def no_pocketsphinx(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_import = builtins.__import__

    def blocked(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pocketsphinx"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    transcribe_module.available.cache_clear()
    yield
    monkeypatch.undo()
    transcribe_module.available.cache_clear()


async def test_without_the_extra_every_message_is_unavailable(
    store: VoicemailStore, speech: Speech, no_pocketsphinx: None, caplog: pytest.LogCaptureFixture
) -> None:
    message = await store.deposit(BOX, CALLER, speech(2.0))
    row = await TranscriptStore(store.db).get(message.voicemail_id)
    assert row is not None and row.status is TranscriptStatus.UNAVAILABLE
    assert row.describe().startswith("no transcriber installed")
    due = {e.channel: e.next_attempt for e in await OutboxStore(store.db).entries()}
    assert len(set(due.values())) == 1  # nothing waits for a transcript
    tasks: list[asyncio.Task[None]] = []
    with caplog.at_level(logging.INFO):
        assert start_transcriber(store, Settings(), None, tasks) is None
    assert tasks == []
    [line] = [r for r in caplog.records if "transcripts_unavailable" in r.getMessage()]
    assert line.levelno == logging.INFO and "no transcriber installed" in line.getMessage()


def test_tas_voicemail_show_prints_the_transcript(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    config = tmp_path / "tas.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    from tas.voicemail.wavfile import pcm16_wav

    async def seed() -> list[str]:
        vm = VoicemailStore.from_settings(load_settings(config))
        await vm.open()
        try:
            ids = [
                (await vm.deposit(BOX, CALLER, pcm16_wav(bytes(16000)))).voicemail_id
                for _ in range(2)
            ]
            await TranscribeWorker(vm, ScriptedEngine("call me back"), CONFIG, owner="w").run_once()
            await vm.deposit(BOX, CALLER, pcm16_wav(bytes(16000)))
            return ids
        finally:
            await vm.close()

    first, second = asyncio.run(seed())

    def show(*args: str) -> Any:
        return CliRunner().invoke(cli, ["voicemail", "--config", str(config), "show", *args])

    shown = show(first)
    assert shown.exit_code == 0 and "done: call me back" in shown.output
    data = json.loads(show(first, "--json").output)["transcript"]
    assert (data["status"], data["text"], data["engine"]) == ("done", "call me back", "scripted")
    vm_list = json.loads(
        CliRunner().invoke(cli, ["voicemail", "--config", str(config), "list", "--json"]).output
    )
    pending = [m["voicemail_id"] for m in vm_list if m["voicemail_id"] not in (first, second)]
    assert "pending: not transcribed yet" in show(*pending).output


def test_show_says_no_transcriber_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pocketsphinx: None
) -> None:
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    config = tmp_path / "tas.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    from tas.voicemail.wavfile import pcm16_wav

    async def seed() -> str:
        vm = VoicemailStore.from_settings(load_settings(config))
        await vm.open()
        try:
            return (await vm.deposit(BOX, CALLER, pcm16_wav(bytes(16000)))).voicemail_id
        finally:
            await vm.close()

    voicemail_id = asyncio.run(seed())
    args = ["voicemail", "--config", str(config), "show", voicemail_id]
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 0
    assert "unavailable: no transcriber installed" in " ".join(shown.output.split())
    data = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)["transcript"]
    assert (data["status"], data["text"]) == ("unavailable", None)
