"""Two replicas, one database (issue #14): with ``storage = "database"`` a message recorded on
replica A (its own data folder) is read, played through the API and exported by replica B
(another data folder) byte-identical; audio and row commit or roll back together; and replicas
sharing one data folder never remove each other's in-progress recordings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func
from sqlmodel import select

from registrations.wgtwo.voicemail.v0 import voicemail_pb2, voicemail_pb2_grpc
from tas.cli import cli
from tas.config import Settings, VoicemailSettings
from tas.store.db import Database
from tas.voicemail import StorageError, VoicemailStore
from tas.voicemail.api import start_voicemail_api
from tas.voicemail.blobs_db import DatabaseBlobStore
from tas.voicemail.export import export_audio
from tas.voicemail.models import Mailbox, VoicemailAudio, VoicemailRow
from tas.voicemail.wavfile import pcm16_wav, temp_path, write_durably

pytestmark = pytest.mark.timeout(60)
BOX = "+4712345678"
CALLER = "+4799999999"
TOKEN = "replica-token"


def _settings(**extra: Any) -> VoicemailSettings:
    return VoicemailSettings(
        **{"max_messages": 5, "min_seconds": 1.0, "storage": "database", **extra}
    )


async def _replica(url: str, folder: Path, instance: str) -> VoicemailStore:
    store = VoicemailStore(Database(url), folder / "vm", _settings(), instance=instance)
    await store.open()
    return store


@pytest.fixture
async def replicas(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[VoicemailStore, ...]]:
    """Replica A and B: one database, separate data folders, storage = database."""
    a = await _replica(db_url, tmp_path / "A", "a")
    b = await _replica(db_url, tmp_path / "B", "b")
    async with a.db.session() as session:  # the PostgreSQL database is shared by the session
        for table in (VoicemailAudio, VoicemailRow, Mailbox):
            await session.exec(delete(table))
        await session.commit()
    yield a, b
    await a.close()
    await b.close()


async def _audio_rows(store: VoicemailStore) -> int:
    async with store.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(VoicemailAudio))).one())


async def test_recorded_on_a_is_read_and_exported_by_b(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any, tmp_path: Path
) -> None:
    a, b = replicas
    wav = speech(2.0, seed=7)
    message = await a.deposit(BOX, CALLER, wav)
    assert isinstance(b.blobs, DatabaseBlobStore)
    assert not list((tmp_path / "A").rglob("*.wav")) and not list((tmp_path / "A").rglob("*.rec"))
    seen, data = await b.read_audio(message.voicemail_id)
    assert seen.voicemail_id == message.voicemail_id and data == wav
    _, file = await b.open_audio(message.voicemail_id)
    with file:
        assert file.read() == wav
    out = await asyncio.to_thread(export_audio, data, tmp_path / "B" / "out.wav")
    assert out.read_bytes() == wav
    await b.delete(message.voicemail_id)  # the audio row goes with the message
    assert await a.list_messages() == [] and await _audio_rows(a) == 0


async def test_b_plays_a_message_through_its_api(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any, tmp_path: Path
) -> None:
    a, b = replicas
    wav = speech(1.5, seed=3)
    message = await a.deposit(BOX, CALLER, wav)
    settings = Settings(data_dir=tmp_path / "B", voicemail=_settings(api_tokens=[TOKEN]))
    api = await start_voicemail_api(settings, b, address="127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{api.port}") as channel:
            stub = voicemail_pb2_grpc.VoicemailMediaServiceStub(channel)  # type: ignore[no-untyped-call]
            request = voicemail_pb2.GetVoicemailRequest(voicemail_id=message.voicemail_id)
            reply = await stub.GetVoicemail(
                request, metadata=(("authorization", f"Bearer {TOKEN}"),)
            )
    finally:
        await api.stop(None)
    assert reply.wav == wav and reply.metadata.voicemail_id == message.voicemail_id


class _FailAfterAudio(DatabaseBlobStore):
    """Adds the audio row, then fails before the transaction commits."""

    async def put(self, ref: Any, source: Path, session: Any) -> None:
        await super().put(ref, source, session)
        await session.flush()  # the audio really reached the database
        raise OSError("disk gone between audio and row commit")


async def test_failure_between_audio_and_row_leaves_neither(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any
) -> None:
    a, b = replicas
    a.blobs = _FailAfterAudio(a.db)
    with pytest.raises(StorageError):
        await a.deposit(BOX, CALLER, speech(2.0))
    assert await b.list_messages() == [] and await _audio_rows(b) == 0
    a.blobs = DatabaseBlobStore(a.db)
    report = await a.recover()  # the staged recording and its sidecar are A's: adopted
    assert len(report.adopted) == 1 and report.missing_audio == ()
    assert [m.voicemail_id for m in await b.list_messages()] == [report.adopted[0].voicemail_id]


async def test_row_failure_rolls_back_the_audio(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any
) -> None:
    a, _ = replicas
    first = await a.deposit(BOX, CALLER, speech(2.0))
    pending = await a.reserve(BOX, CALLER)
    write_durably(pending.path, speech(2.0, seed=2))
    clash = replace(pending, voicemail_id=first.voicemail_id)  # its row already exists
    with pytest.raises(StorageError):
        await a.commit(clash)
    assert await _audio_rows(a) == 1 and len(await a.list_messages()) == 1


async def test_recovery_leaves_other_instances_recordings_alone(
    db_url: str, tmp_path: Path, speech: Any
) -> None:
    shared = tmp_path / "shared"
    a = VoicemailStore(Database(db_url), shared, _settings(storage="local"), instance="a")
    b = VoicemailStore(Database(db_url), shared, _settings(storage="local"), instance="b")
    await a.open()
    await b.open()
    try:
        for table in (VoicemailAudio, VoicemailRow, Mailbox):
            async with a.db.session() as session:
                await session.exec(delete(table))
                await session.commit()
        recording = await a.reserve(BOX, CALLER)  # A is still recording this one
        part = temp_path(recording.path)
        part.write_bytes(b"RIFF half a recording")
        finished = await a.reserve(BOX, CALLER)  # A finished this, died before its row
        write_durably(finished.path, speech(2.0))
        committing = await a.reserve(BOX, CALLER)  # A mid-commit: renamed, row not yet in
        write_durably(committing.path, speech(2.0, seed=5))
        final = a.root / committing.ref.path
        committing.path.rename(final)
        stale = await b.reserve(BOX, CALLER)  # B's own leftovers from before its restart
        temp_path(stale.path).write_bytes(b"RIFF")
        report = await b.recover()
        assert report.temp_removed == (temp_path(stale.path),)
        assert report.abandoned == (stale.voicemail_id,) and report.adopted == ()
        assert part.exists() and recording.sidecar.exists()
        assert finished.path.exists() and finished.sidecar.exists()
        assert report.orphans_removed == () and final.exists()  # A's sidecar vouches for it
        mine = await a.recover()
        adopted = {finished.voicemail_id, committing.voicemail_id}
        assert {m.voicemail_id for m in mine.adopted} == adopted
        assert mine.temp_removed == (part,)
    finally:
        await a.close()
        await b.close()


@pytest.mark.postgres
def test_cli_export_on_b_of_a_message_recorded_on_a(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    monkeypatch.delenv("TAS_DATABASE__URL", raising=False)
    wav = pcm16_wav(bytes(range(256)) * 125)

    async def record_on_a() -> str:
        store = await _replica(pg_database, tmp_path / "A", "a")
        try:
            return (await store.deposit(BOX, CALLER, wav)).voicemail_id
        finally:
            await store.close()

    voicemail_id = asyncio.run(record_on_a())
    config = tmp_path / "b.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "B"}"\n[database]\nurl = "{pg_database}"\n'
        '[voicemail]\nstorage = "database"\n'
    )
    out = tmp_path / "exported.wav"
    args = ["voicemail", "--config", str(config), "export", voicemail_id, "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == wav
