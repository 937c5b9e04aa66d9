"""Helpers of the voicemail store: database sessions whose errors are :class:`StorageError`,
blocking file work off the event loop, sealing and durable unlinking of files."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from tas.store.db import Database
from tas.voicemail.errors import InvalidAudio, StorageError
from tas.voicemail.wavfile import WavInfo, fsync_dir, probe_wav

_T = TypeVar("_T")


class _GuardedSession:
    """A database session whose driver errors come out as :class:`StorageError`."""

    def __init__(self, db: Database) -> None:
        self._context = db.session()

    async def __aenter__(self) -> Any:
        try:
            return await self._context.__aenter__()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(f"voicemail database unavailable: {exc}") from exc

    async def __aexit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        await self._context.__aexit__(kind, exc, tb)
        if isinstance(exc, SQLAlchemyError | OSError):
            raise StorageError(f"voicemail database error: {exc}") from exc


async def _io(function: Callable[..., _T], *args: Any) -> _T:
    """Blocking file work (fsync, reads) off the event loop."""
    return await asyncio.to_thread(function, *args)


def _seal(path: Path) -> WavInfo:
    """Probe the finished WAV and make it (and its rename) durable before its row exists."""
    if not path.is_file():
        raise InvalidAudio(f"no finished recording at {path}")
    info = probe_wav(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return info


def _unlink_durably(*paths: Path) -> None:
    directories = set()
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        directories.add(path.parent)
    for directory in directories:
        fsync_dir(directory)
