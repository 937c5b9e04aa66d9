"""The local-folder blob backend and the backend selection (no database involved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tas.config import S3Settings, VoicemailSettings
from tas.voicemail.blobs import BlobRef, BlobStore, LocalBlobStore, make_blob_store
from tas.voicemail.blobs_db import DatabaseBlobStore
from tas.voicemail.blobs_s3 import S3BlobStore

ID = "0b3c2b8e-1c1a-4a57-9a83-1a2b3c4d5e6f"
REF = BlobRef(ID, f"messages/4712345678/{ID}.wav")
NO_SESSION: Any = None  # the local backend never touches the session


async def test_put_moves_the_staged_file_into_place(tmp_path: Path) -> None:
    staged = tmp_path / "messages" / "4712345678" / f"{ID}.a.rec"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"RIFF-audio")
    blobs = LocalBlobStore(tmp_path)
    await blobs.put(REF, staged, NO_SESSION)
    assert not staged.exists() and await blobs.exists(REF)
    assert await blobs.get(REF) == b"RIFF-audio" and await blobs.keys() == {ID}
    with await blobs.open(REF) as file:
        assert file.read() == b"RIFF-audio"
    await blobs.delete([REF], NO_SESSION)
    assert await blobs.exists(REF)  # files go only after the rows' transaction
    await blobs.after_delete([REF, REF])
    assert not await blobs.exists(REF) and await blobs.keys() == set()


async def test_put_of_audio_already_in_place_is_a_no_op(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    final = blobs.path_of(REF)
    final.parent.mkdir(parents=True)
    final.write_bytes(b"RIFF")
    await blobs.put(REF, final, NO_SESSION)  # recovery adopting a renamed recording
    assert final.read_bytes() == b"RIFF"


async def test_missing_audio_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await LocalBlobStore(tmp_path).get(REF)


def test_storage_setting_selects_the_backend(tmp_path: Path) -> None:
    db: Any = object()
    local: BlobStore = make_blob_store(VoicemailSettings(storage="local"), tmp_path, db)
    database: BlobStore = make_blob_store(VoicemailSettings(storage="database"), tmp_path, db)
    assert isinstance(local, LocalBlobStore) and isinstance(database, DatabaseBlobStore)
    s3 = VoicemailSettings(storage="s3", s3=S3Settings(bucket="vm"))
    assert isinstance(make_blob_store(s3, tmp_path, db), S3BlobStore)
    unknown = VoicemailSettings.model_construct(storage="tape")
    with pytest.raises(ValueError, match="unknown voicemail storage"):
        make_blob_store(unknown, tmp_path, db)


def test_s3_storage_needs_its_bucket() -> None:
    with pytest.raises(ValidationError, match=r"\[voicemail.s3\]"):
        VoicemailSettings(storage="s3")
