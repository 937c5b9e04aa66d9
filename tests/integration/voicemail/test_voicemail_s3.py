"""``[voicemail] storage = "s3"`` against a real S3-compatible HTTP server on loopback (moto's
``moto_server``, from the dev extra): a message recorded by replica A is one object in the
bucket and replica B (another data folder, same database) reads it back byte-identical; delete
removes the object; a row that fails to commit takes its uploaded object with it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from tas.config import S3Settings, VoicemailSettings
from tas.store.db import Database
from tas.voicemail import StorageError, VoicemailStore
from tas.voicemail.blobs import BlobRef
from tas.voicemail.models import Mailbox, VoicemailRow

pytest.importorskip("aiobotocore", reason="the s3 extra (aiobotocore) is not installed")
from tas.voicemail.blobs_s3 import S3BlobStore  # noqa: E402

MOTO = shutil.which("moto_server")
pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(MOTO is None, reason="moto_server missing (pip install 'moto[server]')"),
]
BOX = "+4712345678"
CALLER = "+4799999999"
BUCKET = "tas-voicemail"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    assert MOTO is not None
    port = _free_port()
    process = subprocess.Popen(
        ["timeout", "-s", "KILL", "300", MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _settings(endpoint: str) -> VoicemailSettings:
    s3 = S3Settings(
        bucket=BUCKET,
        endpoint_url=endpoint,
        access_key_id="test",
        secret_access_key="test",  # type: ignore[arg-type]
    )
    return VoicemailSettings(max_messages=5, min_seconds=1.0, storage="s3", s3=s3)


async def _objects(store: S3BlobStore) -> list[str]:
    async with store._client() as client:
        reply = await client.list_objects_v2(Bucket=BUCKET)
        return [item["Key"] for item in reply.get("Contents", ())]


@pytest.fixture
async def replicas(
    s3_server: str, db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[VoicemailStore, VoicemailStore]]:
    settings = _settings(s3_server)
    a = VoicemailStore(Database(db_url), tmp_path / "A", settings, instance="a")
    b = VoicemailStore(Database(db_url), tmp_path / "B", settings, instance="b")
    await a.open()
    await b.open()
    assert isinstance(a.blobs, S3BlobStore)
    async with a.blobs._client() as client:
        try:
            await client.create_bucket(Bucket=BUCKET)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        for key in await _objects(a.blobs):
            await client.delete_object(Bucket=BUCKET, Key=key)
    async with a.db.session() as session:  # PostgreSQL is shared by the test session
        for table in (VoicemailRow, Mailbox):
            await session.exec(delete(table))
        await session.commit()
    yield a, b
    await a.close()
    await b.close()


async def test_recorded_on_a_is_one_object_that_b_reads_back(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any, tmp_path: Path
) -> None:
    a, b = replicas
    assert isinstance(a.blobs, S3BlobStore)
    wav = speech(2.0, seed=11)
    message = await a.deposit(BOX, CALLER, wav)
    ref = BlobRef(message.voicemail_id, f"messages/{BOX.lstrip('+')}/{message.voicemail_id}.wav")
    assert await _objects(a.blobs) == [a.blobs.key_of(ref)]
    assert not list((tmp_path / "A").rglob("*.wav"))  # nothing left in A's folder
    seen, data = await b.read_audio(message.voicemail_id)
    assert seen.voicemail_id == message.voicemail_id and data == wav
    _, file = await b.open_audio(message.voicemail_id)
    with file:
        assert file.read() == wav
    assert await b.blobs.keys() == {message.voicemail_id}
    assert await b.blobs.exists(ref)
    await b.delete(message.voicemail_id)
    assert await _objects(a.blobs) == []
    assert not await a.blobs.exists(ref)
    with pytest.raises(FileNotFoundError):
        await a.blobs.get(ref)


class _CommitFails(S3BlobStore):
    """Uploads, then fails before the row's transaction commits."""

    async def put(self, ref: BlobRef, source: Path, session: Any) -> None:
        await super().put(ref, source, session)
        raise OSError("database gone between upload and commit")


async def test_a_row_that_does_not_commit_takes_its_object_along(
    replicas: tuple[VoicemailStore, VoicemailStore], speech: Any
) -> None:
    a, b = replicas
    s3 = a.settings.s3
    assert s3 is not None
    a.blobs = failing = _CommitFails(s3)
    with pytest.raises(StorageError):
        await a.deposit(BOX, CALLER, speech(2.0))
    assert failing._cleanups  # the rollback scheduled the object's deletion
    await asyncio.wait_for(asyncio.gather(*failing._cleanups), 10)
    assert await _objects(failing) == []
    assert await b.list_messages() == []
