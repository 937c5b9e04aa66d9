"""Where a committed message's audio lives: the blob-store interface and its local-folder backend.

Every backend takes the finished, staged recording inside the transaction that inserts the
message's row (:meth:`BlobStore.put`), so a listed message always has its audio:

* ``local`` (:class:`LocalBlobStore`, the embedded default): the staged file is fsynced and
  renamed to ``messages/<mailbox>/<id>.wav`` before the row commits; a crash in between leaves
  a file that start-up recovery adopts or deletes. Replicas need a shared folder for it.
* ``database`` (:class:`tas.voicemail.blobs_db.DatabaseBlobStore`): the bytes go into
  ``voicemail_audio`` in the same transaction as the row: atomic, and any replica on the same
  PostgreSQL serves any message. Use it for replicas.
* ``s3`` (:class:`tas.voicemail.blobs_s3.S3BlobStore`): one object per message in an
  S3-compatible bucket, uploaded before the row commits (deleted again if it does not); any
  replica reaching the bucket serves any message. Needs the ``s3`` extra.

Selected by ``[voicemail] storage`` (:func:`make_blob_store`).
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from tas.voicemail.wavfile import fsync_dir

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from tas.config import VoicemailSettings
    from tas.store.db import Database

__all__ = ["BlobRef", "BlobStore", "LocalBlobStore", "make_blob_store"]


@dataclass(frozen=True, slots=True)
class BlobRef:
    """Which audio: the message's id and its row's ``path`` (relative to the store's root)."""

    voicemail_id: str
    path: str


class BlobStore(Protocol):
    """The audio of committed messages, keyed by voicemail id."""

    name: str

    async def put(self, ref: BlobRef, source: Path, session: AsyncSession) -> None:
        """Take the finished recording at ``source`` as part of ``session``'s transaction:
        durable before it commits, and gone with it if it rolls back (database backend)."""

    async def get(self, ref: BlobRef) -> bytes:
        """The whole WAV; :class:`FileNotFoundError` if it is missing."""

    async def open(self, ref: BlobRef) -> BinaryIO:
        """A readable binary file of the WAV (the caller closes it)."""

    async def delete(self, refs: Sequence[BlobRef], session: AsyncSession) -> None:
        """Delete inside the transaction that deletes the rows (database backend)."""

    async def after_delete(self, refs: Sequence[BlobRef]) -> None:
        """Delete after that transaction committed (local backend: the files)."""

    async def exists(self, ref: BlobRef) -> bool:
        """Whether the audio is there (recovery reports a row without it)."""

    async def keys(self) -> set[str]:
        """Voicemail ids that have audio in this backend."""


class LocalBlobStore:
    """Audio as ``<root>/<ref.path>`` WAV files (a local or shared folder)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, ref: BlobRef) -> Path:
        return self.root / ref.path

    async def put(self, ref: BlobRef, source: Path, session: AsyncSession) -> None:
        await asyncio.to_thread(_move_durably, source, self.path_of(ref))

    async def get(self, ref: BlobRef) -> bytes:
        return await asyncio.to_thread(self.path_of(ref).read_bytes)

    async def open(self, ref: BlobRef) -> BinaryIO:
        return await asyncio.to_thread(open, self.path_of(ref), "rb")

    async def delete(self, refs: Sequence[BlobRef], session: AsyncSession) -> None:
        return None  # files go after the rows commit: a crash between leaves an orphan

    async def after_delete(self, refs: Sequence[BlobRef]) -> None:
        await asyncio.to_thread(_unlink_all, [self.path_of(ref) for ref in refs])

    async def exists(self, ref: BlobRef) -> bool:
        return await asyncio.to_thread(self.path_of(ref).is_file)

    async def keys(self) -> set[str]:
        def scan() -> set[str]:
            messages = self.root / "messages"
            if not messages.is_dir():
                return set()
            return {path.stem for path in messages.glob("*/*.wav")}

        return await asyncio.to_thread(scan)


def _move_durably(source: Path, target: Path) -> None:
    """fsync ``source``, rename it to ``target`` and fsync the folder (no-op if already there)."""
    if source == target:
        return
    fd = os.open(source, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    fsync_dir(target.parent)


def _unlink_all(paths: Sequence[Path]) -> None:
    directories = set()
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        directories.add(path.parent)
    for directory in directories:
        fsync_dir(directory)


def bytes_file(data: bytes) -> BinaryIO:
    """In-memory file over ``data`` (for backends that hold the bytes)."""
    return io.BytesIO(data)


def make_blob_store(settings: VoicemailSettings, root: Path, db: Database) -> BlobStore:
    """The backend ``[voicemail] storage`` names: ``local``, ``database`` or ``s3``."""
    if settings.storage == "local":
        return LocalBlobStore(root)
    if settings.storage == "database":
        from tas.voicemail.blobs_db import DatabaseBlobStore

        return DatabaseBlobStore(db)
    if settings.storage == "s3" and settings.s3 is not None:
        from tas.voicemail.blobs_s3 import S3BlobStore

        return S3BlobStore(settings.s3)
    raise ValueError(f"unknown voicemail storage {settings.storage!r} (local, database or s3)")
