"""Crash recovery of the voicemail store (the protocol is in :mod:`tas.voicemail.store`): what a
crash left between two steps is deleted, adopted or only reported, never a listed message lost.

Only this instance's temporary files are touched (:mod:`tas.voicemail.naming`): a replica
starting beside another on a shared folder leaves the other's in-progress recordings alone. A
committed-audio file (``<id>.wav``) is an orphan only when no instance has a sidecar for it;
files are scanned before rows are read, so a commit racing the scan is seen as committed.
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
from tas.voicemail.naming import parse_name
from tas.voicemail.store import PendingMessage
from tas.voicemail.storeio import _io, _seal, _unlink_durably

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
    """Files of the mailbox folders: ``own_*`` are this instance's, ``sidecars`` anyone's."""

    own_temps: list[Path] = field(default_factory=list)
    own_staged: dict[str, Path] = field(default_factory=dict)
    own_pendings: dict[str, Path] = field(default_factory=dict)
    wavs: dict[str, Path] = field(default_factory=dict)
    sidecars: set[str] = field(default_factory=set)


async def recover(store: VoicemailStore, *, min_age: float = 0.0) -> RecoveryReport:
    """Repair what a crash left between two steps of the protocol (see module docstring)."""
    scan = await _io(_scan, store.messages_dir, store.instance)
    async with store._session() as session:  # after the scan: see module docstring
        known = set((await session.exec(select(VoicemailRow.voicemail_id))).all())
    settled = _older_than(min_age)

    temp_removed = [path for path in scan.own_temps if settled(path)]
    remove: list[Path] = list(temp_removed)
    abandoned, adopted, discarded, orphans, cleared = [], [], [], [], []
    for voicemail_id, sidecar in scan.own_pendings.items():
        staged = scan.own_staged.get(voicemail_id)
        if voicemail_id in known:
            cleared.append(voicemail_id)
            remove += [sidecar, *([staged] if staged else [])]
            continue
        audio = staged or scan.wavs.get(voicemail_id)
        if audio is None:
            if settled(sidecar):
                abandoned.append(voicemail_id)
                remove.append(sidecar)
            continue
        if not settled(audio):
            continue
        message = await _adopt(store, voicemail_id, audio, sidecar)
        if message is None:
            discarded.append(voicemail_id)
            remove.append(audio)
        else:
            adopted.append(message)
            remove += [audio] if audio == staged else []
        remove.append(sidecar)
    for voicemail_id, staged in scan.own_staged.items():
        if voicemail_id not in scan.own_pendings and settled(staged):
            remove.append(staged)  # its commit finished, or its sidecar was discarded
    for voicemail_id, wav in scan.wavs.items():
        if voicemail_id in known or voicemail_id in scan.sidecars or not settled(wav):
            continue
        orphans.append(wav)
        remove.append(wav)
    await _io(_unlink_durably, *remove)
    present = await store.blobs.keys()
    committed = known | {message.voicemail_id for message in adopted}
    return RecoveryReport(
        temp_removed=tuple(temp_removed),
        abandoned=tuple(abandoned),
        adopted=tuple(adopted),
        discarded=tuple(discarded),
        orphans_removed=tuple(orphans),
        sidecars_cleared=tuple(cleared),
        missing_audio=tuple(sorted(committed - present)),
    )


async def _adopt(
    store: VoicemailStore, voicemail_id: str, audio: Path, sidecar: Path
) -> Voicemail | None:
    try:
        meta = json.loads(await _io(sidecar.read_bytes))
        info = await _io(_seal, audio)
        pending = PendingMessage(
            voicemail_id=check_voicemail_id(meta["voicemail_id"]),
            mailbox=check_number(meta["mailbox"]),
            caller=str(meta["caller"]),
            reason=Reason(meta["reason"]),
            call_id=meta.get("call_id"),
            created=datetime.fromisoformat(meta["created"]),
            path=audio,
        )
    except (ValueError, KeyError, TypeError, InvalidAudio, OSError):
        return None
    if pending.voicemail_id != voicemail_id or info.duration < store.settings.min_seconds:
        return None
    return Voicemail.from_row(await store._insert(pending, info, enforce_limit=False), store.root)


def _scan(messages_dir: Path, instance: str) -> _Scan:
    scan = _Scan()
    if not messages_dir.is_dir():
        return scan
    for directory in messages_dir.iterdir():
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            name = parse_name(path.name)
            if name is None:
                continue  # not ours: leave it alone
            if name.kind == "audio":
                scan.wavs[name.voicemail_id] = path
                continue
            if name.kind == "pending":
                scan.sidecars.add(name.voicemail_id)
            if not name.owned_by(instance):
                continue  # another instance's recording in progress
            if name.kind == "temp":
                scan.own_temps.append(path)
            elif name.kind == "staged":
                scan.own_staged[name.voicemail_id] = path
            else:
                scan.own_pendings[name.voicemail_id] = path
    return scan


def _older_than(seconds: float) -> Callable[[Path], bool]:
    cutoff = time.time() - seconds

    def settled(path: Path) -> bool:
        try:
            return seconds <= 0 or path.stat().st_mtime <= cutoff
        except FileNotFoundError:
            return False

    return settled
