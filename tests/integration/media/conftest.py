"""Every media test gives back what it took (issue 11): open files and sockets, and tasks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest


def _open_fds() -> set[str]:
    try:
        return set(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: nothing to compare
        return set()


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    before_fds = _open_fds()
    before_tasks = asyncio.all_tasks()
    yield
    for _ in range(20):  # closed transports let go of their sockets on the next loop turns
        await asyncio.sleep(0.01)
        leaked = _open_fds() - before_fds
        tasks = asyncio.all_tasks() - before_tasks - {asyncio.current_task()}
        if not leaked and not tasks:
            return
    targets = {fd: _target(fd) for fd in leaked}
    assert not leaked, f"file descriptors left open: {targets}"
    assert not tasks, f"tasks left running: {tasks}"


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"
