"""The ``database`` blob backend: each message's WAV in ``voicemail_audio`` (bytea on
PostgreSQL, BLOB on SQLite), inserted in the transaction of its row, so a message and its audio
commit or roll back together and every replica on the same database serves every message."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import delete
from sqlmodel import col, select

from tas.voicemail.blobs import BlobRef, bytes_file
from tas.voicemail.models import VoicemailAudio

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from tas.store.db import Database

__all__ = ["DatabaseBlobStore"]


class DatabaseBlobStore:
    """Audio rows keyed by voicemail id, deleted with their message (``ON DELETE CASCADE``)."""

    name = "database"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, ref: BlobRef, source: Path, session: AsyncSession) -> None:
        data = await asyncio.to_thread(source.read_bytes)
        session.add(VoicemailAudio(voicemail_id=ref.voicemail_id, data=data))

    async def get(self, ref: BlobRef) -> bytes:
        query = select(VoicemailAudio.data).where(VoicemailAudio.voicemail_id == ref.voicemail_id)
        async with self.db.session() as session:
            data = (await session.exec(query)).first()
        if data is None:
            raise FileNotFoundError(f"no audio for voicemail {ref.voicemail_id} in the database")
        return bytes(data)

    async def open(self, ref: BlobRef) -> BinaryIO:
        return bytes_file(await self.get(ref))

    async def delete(self, refs: Sequence[BlobRef], session: AsyncSession) -> None:
        if refs:
            ids = [ref.voicemail_id for ref in refs]
            await session.exec(
                delete(VoicemailAudio).where(col(VoicemailAudio.voicemail_id).in_(ids))
            )

    async def after_delete(self, refs: Sequence[BlobRef]) -> None:
        return None

    async def exists(self, ref: BlobRef) -> bool:
        query = select(VoicemailAudio.voicemail_id).where(
            VoicemailAudio.voicemail_id == ref.voicemail_id
        )
        async with self.db.session() as session:
            return (await session.exec(query)).first() is not None

    async def keys(self) -> set[str]:
        async with self.db.session() as session:
            return set((await session.exec(select(VoicemailAudio.voicemail_id))).all())
