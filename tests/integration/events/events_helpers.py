"""Helpers shared by the event-consumer integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import EventsSettings, SandboxSettings, Settings
from tas.events import EventConsumer
from tas.events.acks import AckPipeline
from tas.sandbox.grpc_server import ControlPlane


def consumer_settings(plane: ControlPlane, **events: object) -> Settings:
    """Settings aimed at ``plane`` with quick reconnects (and ``events`` overrides)."""
    assert plane.address is not None
    fields: dict[str, object] = {"backoff_initial": 0.02, "backoff_max": 0.2, **events}
    return Settings(
        sandbox=SandboxSettings(grpc=plane.address),
        events=EventsSettings.model_validate(fields),
    )


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Wait (polling the loop) until ``condition()`` holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


class CrashBeforeAck(EventConsumer):
    """Commits, but none of its acks reach the server: a process killed between the two."""

    async def _ack(self, batch: list[events_pb2.Event], acks: AckPipeline) -> None:
        return None
