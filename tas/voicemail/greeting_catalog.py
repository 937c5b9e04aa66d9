"""A mailbox's greetings wherever ``[voicemail] storage`` keeps them.

The player reads WAV files (:class:`~tas.voicemail.greetings.Greetings`, ``greetings/<digits>/``
under the data folder). With ``storage = "local"`` those files are the greetings. With
``"database"`` the greetings live in ``voicemail_greeting`` (one row per mailbox and kind, the
WAV and its SHA-256), so every replica on the database has them; the files are a cache:
:meth:`GreetingCatalog.greeting_for` first brings the mailbox's files in line with its rows
(fetching only rows whose digest differs, removing files whose row is gone). If the database
cannot be read at that moment the cached files are used (logged): a greeting lookup never fails
a call.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.greetings import GreetingKind, Greetings
from tas.voicemail.ids import check_number
from tas.voicemail.models import GreetingRow, Reason
from tas.voicemail.wavfile import write_durably

__all__ = ["GreetingCatalog"]

log = logging.getLogger(__name__)


class GreetingCatalog:
    """Set, delete, reset and look up greetings (files alone, or database rows + file cache)."""

    def __init__(self, files: Greetings, db: Database, *, shared: bool) -> None:
        self.files = files
        self.db = db
        self.shared = shared  # True: ``voicemail_greeting`` is the truth ("database" storage)

    async def set_greeting(self, number: str, kind: GreetingKind | str, wav: bytes) -> Path:
        """Store an 8 kHz mono PCM16 WAV (see :func:`~tas.voicemail.greeting_audio.prepare_greeting`)."""
        number, kind = check_number(number), GreetingKind(kind)
        path = await asyncio.to_thread(self.files.set_greeting, number, kind, wav)  # validates
        if self.shared:
            async with self.db.session() as session:
                row = await session.get(GreetingRow, (number, kind.value))
                now = datetime.now(UTC)
                if row is None:
                    row = GreetingRow(
                        mailbox=number, kind=kind.value, data=wav, sha256=_digest(wav), updated=now
                    )
                else:
                    row.data, row.sha256, row.updated = wav, _digest(wav), now
                session.add(row)
                await session.commit()
        return path

    async def delete_greeting(self, number: str, kind: GreetingKind | str) -> bool:
        """Drop one greeting; whether there was one."""
        number, kind = check_number(number), GreetingKind(kind)
        had = await asyncio.to_thread(self.files.delete_greeting, number, kind)
        if self.shared:
            statement = delete(GreetingRow).where(
                col(GreetingRow.mailbox) == number, col(GreetingRow.kind) == kind.value
            )
            async with self.db.session() as session:
                result = await session.exec(statement)
                await session.commit()
            had = had or result.rowcount > 0
        return had

    async def reset_greeting(self, number: str) -> int:
        """Drop every greeting of ``number``; how many there were."""
        number = check_number(number)
        if self.shared:
            await self.sync(number)
        removed = await asyncio.to_thread(self.files.reset_greeting, number)
        if self.shared:
            async with self.db.session() as session:
                await session.exec(delete(GreetingRow).where(col(GreetingRow.mailbox) == number))
                await session.commit()
        return removed

    async def custom_greetings(self, number: str) -> dict[GreetingKind, Path]:
        if self.shared:
            await self.sync(number)
        return await asyncio.to_thread(self.files.custom_greetings, check_number(number))

    async def greeting_for(self, number: str, reason: Reason | str) -> Path:
        """The WAV to play for a call to ``number`` that came for ``reason``."""
        if self.shared:
            try:
                await self.sync(number)
            except (SQLAlchemyError, OSError) as exc:
                log_event(
                    log, "greeting_sync_failed", level=logging.WARNING, mailbox=number, error=exc
                )
        return self.files.greeting_for(number, reason)

    async def sync(self, number: str) -> None:
        """Make the cached files of ``number`` match its rows."""
        number = check_number(number)
        query = select(GreetingRow.kind, GreetingRow.sha256).where(GreetingRow.mailbox == number)
        async with self.db.session() as session:
            wanted = dict((await session.exec(query)).all())
            cached = await asyncio.to_thread(_cached_digests, self.files, number)
            for kind in GreetingKind:
                digest = wanted.get(kind.value)
                if digest is None and kind in cached:
                    await asyncio.to_thread(self.files.delete_greeting, number, kind)
                elif digest is not None and cached.get(kind) != digest:
                    row = await session.get(GreetingRow, (number, kind.value))
                    if row is not None:
                        path = self.files.root / number[1:] / f"{kind.value}.wav"
                        await asyncio.to_thread(write_durably, path, row.data)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cached_digests(files: Greetings, number: str) -> dict[GreetingKind, str]:
    return {
        kind: _digest(path.read_bytes()) for kind, path in files.custom_greetings(number).items()
    }
