"""Mailboxes: one directory of WAV files plus rows in ``voicemail_message``, per E.164 number.

Commit protocol (a row is the proof that a message exists, so nothing half-written is listed):

Every temporary name carries this process's instance id (:mod:`tas.voicemail.naming`), so
replicas sharing a data folder never touch each other's recordings.

1. :meth:`VoicemailStore.reserve` checks the limit and writes a sidecar
   ``<id>.<instance>.pending`` (JSON: mailbox, caller, reason, call_id, created) durably. It
   names the staged recording ``<id>.<instance>.rec`` (:attr:`PendingMessage.path`).
2. The recorder writes a temp file (``.<name>.*.part``) beside it, fsyncs, and renames it into
   place (``media.wav.WavWriter.close``); :func:`~tas.voicemail.wavfile.write_durably` does the
   same for whole buffers.
3. :meth:`VoicemailStore.commit` probes the WAV and fsyncs it, then in one transaction that
   also enforces the limit hands it to the blob store (:mod:`tas.voicemail.blobs`: renamed to
   ``<id>.wav`` before the commit, or inserted into ``voicemail_audio`` with the row) and
   inserts the row; only then are the sidecar and the staged file removed.

Deleting reverses it: the row goes first (with its audio row), then the file.
:meth:`VoicemailStore.recover` (:mod:`tas.voicemail.recovery`), run at startup, repairs what a
crash of *this instance* left between two steps (other instances' files are left alone):

* ``*.part``: a recording that never finished → deleted.
* a sidecar alone: a reservation whose recording never finished → deleted.
* audio (staged ``.rec`` or, local, ``<id>.wav``) + sidecar without a row: the recording
  finished, the process died before its row → **adopted** (row inserted from the sidecar; the
  caller did leave a message). Invalid or too-short audio is deleted instead. Adoption ignores
  the mailbox limit (checked at reserve).
* row + sidecar: died after the commit → sidecar (and staged file) deleted.
* ``<id>.wav`` alone (no row, no sidecar): died between a delete's row and its unlink → deleted.
* A row whose audio is missing is only reported (``missing_audio``), never dropped: a missing
  mount must not erase a mailbox.

``min_age`` leaves files younger than that many seconds alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from tas.config import Settings, VoicemailSettings
from tas.logs import log_event
from tas.store.db import Database
from tas.voicemail.blobs import BlobRef, BlobStore, make_blob_store
from tas.voicemail.commit_rows import add_commit_rows
from tas.voicemail.errors import (
    AudioTooLarge,
    InvalidAudio,
    MailboxFull,
    MessageTooShort,
    StorageError,
    VoicemailNotFound,
)
from tas.voicemail.greeting_catalog import GreetingCatalog
from tas.voicemail.greetings import Greetings
from tas.voicemail.ids import check_number, check_voicemail_id
from tas.voicemail.models import Mailbox, Reason, Voicemail, VoicemailRow
from tas.voicemail.naming import clean_instance, default_instance, staged_name
from tas.voicemail.storeio import _GuardedSession, _io, _seal, _unlink_durably
from tas.voicemail.wavfile import WavInfo, probe_wav, write_durably

__all__ = [
    "PendingMessage",
    "VoicemailStore",
]

if TYPE_CHECKING:
    from tas.voicemail.recovery import RecoveryReport

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_PENDING = ".pending"


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A reserved message: the recorder must rename its finished WAV to ``path`` (staged)."""

    voicemail_id: str
    mailbox: str
    caller: str
    reason: Reason
    call_id: str | None
    created: datetime
    path: Path

    @property
    def sidecar(self) -> Path:
        return self.path.with_suffix(_PENDING)

    @property
    def ref(self) -> BlobRef:
        """Where its audio goes: ``messages/<mailbox digits>/<id>.wav`` (the row's ``path``)."""
        folder = self.path.parent.name
        return BlobRef(self.voicemail_id, f"messages/{folder}/{self.voicemail_id}.wav")


class VoicemailStore:
    """Messages (audio in a :class:`~tas.voicemail.blobs.BlobStore`, rows in SQL, staging files
    under ``root/messages``) and greetings (``root/greetings``)."""

    def __init__(
        self,
        db: Database,
        root: Path,
        settings: VoicemailSettings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        blobs: BlobStore | None = None,
        instance: str | None = None,
    ) -> None:
        self.db = db
        self.root = Path(root)
        self.settings = settings or VoicemailSettings()
        self.blobs = blobs or make_blob_store(self.settings, self.root, db)
        self.instance = clean_instance(instance) if instance else default_instance()
        self.messages_dir = self.root / "messages"
        self.greetings = Greetings(self.root / "greetings")  # the files the player reads
        shared = self.settings.storage == "database"
        self.greeting_catalog = GreetingCatalog(self.greetings, db, shared=shared)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._commit_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> VoicemailStore:
        """The store of a ``tas`` process: its database, ``<data_dir>/voicemail`` for files."""
        db = Database(settings.database_url, echo=settings.database.echo)
        return cls(
            db, settings.data_dir / "voicemail", settings.voicemail, instance=instance_of(settings)
        )

    async def open(self) -> None:
        """Create the tables if needed (idempotent). Run :meth:`recover` once at server start."""
        try:
            await self.db.migrate()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(f"cannot open the voicemail database: {exc}") from exc

    async def close(self) -> None:
        await self.db.close()

    # -- recording ------------------------------------------------------------------------

    async def reserve(
        self,
        mailbox: str,
        caller: str,
        *,
        reason: Reason | str = Reason.DEFAULT,
        call_id: str | None = None,
        now: datetime | None = None,
    ) -> PendingMessage:
        """Start a message; :class:`MailboxFull` before any audio is recorded if it cannot fit."""
        mailbox = check_number(mailbox)
        reason = Reason(reason)
        if await self.count(mailbox) >= self.settings.max_messages:
            raise MailboxFull(mailbox, self.settings.max_messages)
        voicemail_id = str(uuid.uuid4())
        pending = PendingMessage(
            voicemail_id=voicemail_id,
            mailbox=mailbox,
            caller=caller,
            reason=reason,
            call_id=call_id,
            created=self._now(now),
            path=self._mailbox_dir(mailbox) / staged_name(voicemail_id, self.instance),
        )
        sidecar = {
            "voicemail_id": voicemail_id,
            "mailbox": mailbox,
            "caller": caller,
            "reason": reason.value,
            "call_id": call_id,
            "created": pending.created.isoformat(),
        }
        try:
            await _io(write_durably, pending.sidecar, json.dumps(sidecar).encode())
        except OSError as exc:
            raise StorageError(f"cannot reserve a voicemail in {mailbox}: {exc}") from exc
        return pending

    async def commit(self, pending: PendingMessage) -> Voicemail:
        """Make a finished recording (already renamed to ``pending.path``) a listed message, its
        audio handed to the blob store in the row's transaction.

        Raises :class:`InvalidAudio` (no or bad file) or :class:`MessageTooShort` after discarding
        it, :class:`MailboxFull` after discarding it, :class:`StorageError` if the database
        fails (the files stay; :meth:`recover` adopts them later).
        """
        try:
            info = await _io(_seal, pending.path)
            if info.duration < self.settings.min_seconds:
                raise MessageTooShort(info.duration, self.settings.min_seconds)
            row = await self._insert(pending, info, enforce_limit=True)
        except (InvalidAudio, MessageTooShort, MailboxFull):
            await self.discard(pending)
            raise
        except OSError as exc:  # fsync failed: keep the files, recover() decides later
            raise StorageError(f"cannot commit voicemail {pending.voicemail_id}: {exc}") from exc
        try:  # committed: a sidecar left behind is only clutter that recover() clears
            await _io(_unlink_durably, pending.sidecar, pending.path)
        except OSError as exc:
            log_event(
                log,
                "voicemail_sidecar_not_removed",
                level=logging.WARNING,
                id=pending.voicemail_id,
                error=exc,
            )
        return Voicemail.from_row(row, self.root)

    async def discard(self, pending: PendingMessage) -> None:
        """Drop a reservation that will not be committed (its audio and sidecar, if any)."""
        await _io(_unlink_durably, pending.path, pending.sidecar)

    async def deposit(
        self,
        mailbox: str,
        caller: str,
        wav: bytes,
        *,
        reason: Reason | str = Reason.DEFAULT,
        call_id: str | None = None,
        now: datetime | None = None,
    ) -> Voicemail:
        """Reserve, write a whole WAV durably and commit it (imports, tests, tools)."""
        probe_wav(wav)
        pending = await self.reserve(mailbox, caller, reason=reason, call_id=call_id, now=now)
        try:
            await _io(write_durably, pending.path, wav)
        except OSError as exc:
            await self.discard(pending)
            raise StorageError(f"cannot write voicemail audio: {exc}") from exc
        return await self.commit(pending)

    # -- reading --------------------------------------------------------------------------

    async def get(self, voicemail_id: str) -> Voicemail:
        voicemail_id = check_voicemail_id(voicemail_id)
        async with self._session() as session:
            row = await session.get(VoicemailRow, voicemail_id)
        if row is None:
            raise VoicemailNotFound(f"voicemail {voicemail_id} not found")
        return Voicemail.from_row(row, self.root)

    async def read_audio(
        self, voicemail_id: str, *, max_bytes: int | None = None
    ) -> tuple[Voicemail, bytes]:
        """A message and its WAV bytes; :class:`AudioTooLarge` above ``max_bytes``."""
        message = await self.get(voicemail_id)
        if max_bytes is not None and message.size > max_bytes:
            raise AudioTooLarge(
                f"voicemail {message.voicemail_id} is {message.size} bytes, over {max_bytes}"
            )
        try:
            data = await self.blobs.get(self.ref_of(message))
        except (OSError, SQLAlchemyError) as exc:
            raise StorageError(f"audio of voicemail {message.voicemail_id} is unreadable") from exc
        return message, data

    async def open_audio(self, voicemail_id: str) -> tuple[Voicemail, BinaryIO]:
        """A message and a readable file of its WAV, from whichever backend holds it."""
        message = await self.get(voicemail_id)
        try:
            return message, await self.blobs.open(self.ref_of(message))
        except (OSError, SQLAlchemyError) as exc:
            raise StorageError(f"audio of voicemail {message.voicemail_id} is unreadable") from exc

    def ref_of(self, message: Voicemail) -> BlobRef:
        """The blob of a message (its row's ``path`` is relative to :attr:`root`)."""
        return BlobRef(message.voicemail_id, message.path.relative_to(self.root).as_posix())

    async def list_messages(self, mailbox: str | None = None) -> list[Voicemail]:
        """Messages of one mailbox (or all), newest first."""
        query = select(VoicemailRow)
        if mailbox is not None:
            query = query.where(VoicemailRow.mailbox == check_number(mailbox))
        query = query.order_by(col(VoicemailRow.created).desc(), col(VoicemailRow.voicemail_id))
        async with self._session() as session:
            rows = (await session.exec(query)).all()
        return [Voicemail.from_row(row, self.root) for row in rows]

    async def count(self, mailbox: str) -> int:
        query = select(func.count()).where(VoicemailRow.mailbox == check_number(mailbox))
        async with self._session() as session:
            return int((await session.exec(query)).one())

    # -- changing -------------------------------------------------------------------------

    async def mark_played(self, voicemail_id: str, played: bool = True) -> Voicemail:
        voicemail_id = check_voicemail_id(voicemail_id)
        statement = (
            update(VoicemailRow)
            .where(col(VoicemailRow.voicemail_id) == voicemail_id)
            .values(played=played)
        )
        async with self._session() as session:
            result = await session.exec(statement)
            await session.commit()
        if result.rowcount == 0:
            raise VoicemailNotFound(f"voicemail {voicemail_id} not found")
        return await self.get(voicemail_id)

    async def delete(self, voicemail_id: str) -> Voicemail:
        """Delete the row, then the file (a crash in between leaves an orphan recover removes)."""
        message = await self.get(voicemail_id)
        statement = delete(VoicemailRow).where(
            col(VoicemailRow.voicemail_id) == message.voicemail_id
        )
        ref = self.ref_of(message)
        async with self._session() as session:
            await self.blobs.delete([ref], session)
            result = await session.exec(statement)
            await session.commit()
        if result.rowcount == 0:
            raise VoicemailNotFound(f"voicemail {message.voicemail_id} not found")
        await self.blobs.after_delete([ref])
        return message

    async def purge_expired(self, now: datetime | None = None) -> list[Voicemail]:
        """Delete every message whose ``expires`` is at or before ``now``; returns them."""
        cutoff = self._now(now)
        query = select(VoicemailRow).where(col(VoicemailRow.expires) <= cutoff)
        async with self._session() as session:
            rows = (await session.exec(query)).all()
            expired = [Voicemail.from_row(row, self.root) for row in rows]
            refs = [self.ref_of(message) for message in expired]
            if expired:
                ids = [message.voicemail_id for message in expired]
                await self.blobs.delete(refs, session)
                await session.exec(
                    delete(VoicemailRow).where(col(VoicemailRow.voicemail_id).in_(ids))
                )
                await session.commit()
        if expired:
            await self.blobs.after_delete(refs)
        return expired

    async def purge_periodically(
        self,
        interval: float = 3600.0,
        on_purged: Callable[[list[Voicemail]], None] | None = None,
    ) -> None:
        """Run :meth:`purge_expired` every ``interval`` seconds until cancelled (``tas serve``).

        A failing round is logged and retried next round, never fatal.
        """
        while True:
            try:
                purged = await self.purge_expired()
            except StorageError as exc:
                log_event(
                    log,
                    "voicemail_purge_failed",
                    level=logging.WARNING,
                    retry_in=round(interval),
                    error=exc,
                )
            else:
                if purged:
                    log_event(log, "voicemail_purged", expired=len(purged))
                    if on_purged is not None:
                        on_purged(purged)
            await asyncio.sleep(interval)

    # -- crash recovery -------------------------------------------------------------------

    async def recover(self, *, min_age: float = 0.0) -> RecoveryReport:
        """Repair what a crash left between two steps of the protocol (module docstring);
        see :func:`tas.voicemail.recovery.recover`."""
        from tas.voicemail.recovery import recover

        return await recover(self, min_age=min_age)

    # -- internals ------------------------------------------------------------------------

    async def _insert(
        self, pending: PendingMessage, info: WavInfo, *, enforce_limit: bool
    ) -> VoicemailRow:
        """Insert the row and hand the audio at ``pending.path`` to the blob store in the same
        transaction; the mailbox row is locked (PostgreSQL) while the limit is checked."""
        ref = pending.ref
        size = pending.path.stat().st_size
        row = VoicemailRow(
            voicemail_id=pending.voicemail_id,
            mailbox=pending.mailbox,
            caller=pending.caller,
            duration=info.duration,
            created=pending.created,
            expires=pending.created + timedelta(days=self.settings.expiry_days),
            played=False,
            reason=pending.reason.value,
            call_id=pending.call_id,
            size=size,
            path=ref.path,
        )
        async with self._commit_lock, self._session() as session:
            await session.exec(self._ensure_mailbox(pending.mailbox, pending.created))
            await session.exec(
                select(Mailbox).where(Mailbox.number == pending.mailbox).with_for_update()
            )
            if enforce_limit:
                count = select(func.count()).where(VoicemailRow.mailbox == pending.mailbox)
                if (await session.exec(count)).one() >= self.settings.max_messages:
                    raise MailboxFull(pending.mailbox, self.settings.max_messages)
            session.add(row)
            await session.flush()  # the row before its audio (voicemail_audio's foreign key)
            await self.blobs.put(ref, pending.path, session)
            # Its transcript and notifications commit with it (tas.voicemail.commit_rows).
            await add_commit_rows(session, row, self.settings, self._now(None))
            await session.commit()
        return row

    def _ensure_mailbox(self, number: str, now: datetime) -> Any:
        dialect = postgresql if self.db.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(Mailbox).values(number=number, created=now).on_conflict_do_nothing()

    def _session(self) -> _GuardedSession:
        return _GuardedSession(self.db)

    def _mailbox_dir(self, mailbox: str) -> Path:
        return self.messages_dir / mailbox.lstrip("+")

    def _now(self, now: datetime | None) -> datetime:
        return (now or self._clock()).astimezone(UTC)


def instance_of(settings: Settings) -> str:
    """The instance id of a ``tas`` process: ``[server] instance`` when the settings have one
    (several replicas on one host), on top of the host name (:func:`default_instance`)."""
    server = getattr(settings, "server", None)
    return default_instance(getattr(server, "instance", None))
