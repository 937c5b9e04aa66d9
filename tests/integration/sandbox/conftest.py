"""A sandbox control plane on an ephemeral loopback port, and a channel to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import grpc
import pytest

from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane


@pytest.fixture
async def plane() -> AsyncIterator[ControlPlane]:
    control = ControlPlane(SandboxSettings())
    await control.start("127.0.0.1:0")
    yield control
    await control.stop(grace=0)


@pytest.fixture
async def channel(plane: ControlPlane) -> AsyncIterator[grpc.aio.Channel]:
    assert plane.address is not None
    async with grpc.aio.insecure_channel(plane.address) as chan:
        yield chan


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait (polling the loop) until ``condition()`` holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
