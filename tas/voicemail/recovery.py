"""Crash recovery of the voicemail store (the protocol is in :mod:`tas.voicemail.store`): what a
crash left between two steps is deleted, adopted or only reported, never a listed message lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from tas.voicemail.errors import InvalidAudio
from tas.voicemail.ids import check_number, check_voicemail_id
from tas.voicemail.models import Reason, Voicemail, VoicemailRow
from tas.voicemail.store import (
    _PART,
    _PENDING,
    _UUID,
    _WAV,
    PendingMessage,
    _io,
    _seal,
    _unlink_durably,
)

if TYPE_CHECKING:
    from tas.voicemail.store import VoicemailStore

__all__ = ["RecoveryReport", "recover"]


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What :meth:`VoicemailStore.recover` found and did."""

    temp_removed: tuple[Path, ...] = ()
    abandoned: tuple[str, ...] = ()
    adopted: tuple[Voicemail, ...] = ()
    discarded: tuple[str, ...] = ()
    orphans_removed: tuple[Path, ...] = ()
    sidecars_cleared: tuple[str, ...] = ()
    missing_audio: tuple[str, ...] = ()


@dataclass(slots=True)
class _Scan:
    parts: list[Path] = field(default_factory=list)
    wavs: dict[str, Path] = field(default_factory=dict)
    pendings: dict[str, Path] = field(default_factory=dict)


async def recover(store: VoicemailStore, *, min_age: float = 0.0) -> RecoveryReport:
    """Repair what a crash left between two steps of the protocol (see module docstring)."""
    scan = await _io(_scan, store.messages_dir)
    async with store._session() as session:
        rows = (await session.exec(select(VoicemailRow.voicemail_id, VoicemailRow.path))).all()
    known = {voicemail_id: store.root / path for voicemail_id, path in rows}
    settled = _older_than(min_age)

    temp_removed = [path for path in scan.parts if settled(path)]
    abandoned, adopted, discarded, orphans, cleared = [], [], [], [], []
    for voicemail_id, pending in scan.pendings.items():
        if voicemail_id in known:
            cleared.append(voicemail_id)
        elif voicemail_id not in scan.wavs and settled(pending):
            abandoned.append(voicemail_id)
    remove = [*temp_removed, *(scan.pendings[i] for i in (*abandoned, *cleared))]
    for voicemail_id, wav in scan.wavs.items():
        if voicemail_id in known or not settled(wav):
            continue
        sidecar = scan.pendings.get(voicemail_id)
        if sidecar is None:
            orphans.append(wav)
            remove.append(wav)
            continue
        message = await _adopt(store, voicemail_id, wav, sidecar)
        if message is None:
            discarded.append(voicemail_id)
            remove.append(wav)
        else:
            adopted.append(message)
        remove.append(sidecar)
    await _io(_unlink_durably, *remove)
    missing = await _io(lambda: [i for i, path in known.items() if not path.exists()])
    return RecoveryReport(
        temp_removed=tuple(temp_removed),
        abandoned=tuple(abandoned),
        adopted=tuple(adopted),
        discarded=tuple(discarded),
        orphans_removed=tuple(orphans),
        sidecars_cleared=tuple(cleared),
        missing_audio=tuple(sorted(missing)),
    )


async def _adopt(
    store: VoicemailStore, voicemail_id: str, wav: Path, sidecar: Path
) -> Voicemail | None:
    try:
        meta = json.loads(await _io(sidecar.read_bytes))
        info = await _io(_seal, wav)
        pending = PendingMessage(
            voicemail_id=check_voicemail_id(meta["voicemail_id"]),
            mailbox=check_number(meta["mailbox"]),
            caller=str(meta["caller"]),
            reason=Reason(meta["reason"]),
            call_id=meta.get("call_id"),
            created=datetime.fromisoformat(meta["created"]),
            path=wav,
        )
    except (ValueError, KeyError, TypeError, InvalidAudio, OSError):
        return None
    if pending.voicemail_id != voicemail_id or info.duration < store.settings.min_seconds:
        return None
    return Voicemail.from_row(await store._insert(pending, info, enforce_limit=False), store.root)


def _scan(messages_dir: Path) -> _Scan:
    scan = _Scan()
    if not messages_dir.is_dir():
        return scan
    for directory in messages_dir.iterdir():
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.name.endswith(_PART):
                scan.parts.append(path)
            elif not _UUID.fullmatch(path.stem):
                continue  # not ours: leave it alone
            elif path.suffix == _WAV:
                scan.wavs[path.stem] = path
            elif path.suffix == _PENDING:
                scan.pendings[path.stem] = path
    return scan


def _older_than(seconds: float) -> Callable[[Path], bool]:
    cutoff = time.time() - seconds

    def settled(path: Path) -> bool:
        try:
            return seconds <= 0 or path.stat().st_mtime <= cutoff
        except FileNotFoundError:
            return False

    return settled
