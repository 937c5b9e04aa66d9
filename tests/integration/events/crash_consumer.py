"""A consumer process for the exactly-once test: ``python -m tests.integration.events.crash_consumer
ADDRESS DB_URL STREAM KILL_AT``. With KILL_AT > 0 it SIGKILLs itself right after its KILL_AT-th
commit, before any ack of that batch leaves (printing ``killed <batch size>`` first); with 0 it
consumes until killed from outside."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import EventsSettings, SandboxSettings, Settings
from tas.events import EventConsumer
from tas.events.acks import AckPipeline
from tas.store import Database

MAX_IN_FLIGHT = 20  # batches of at most 10: a backlog takes many commits


class KillAfterCommit(EventConsumer):
    kill_at = 0

    async def _ack(self, batch: list[events_pb2.Event], acks: AckPipeline) -> None:
        if self.kill_at and self.stats.batches >= self.kill_at:
            print(f"killed {len(batch)}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        await super()._ack(batch, acks)


async def main(address: str, url: str, stream: str, kill_at: int) -> None:
    events = EventsSettings(queue_name=stream, durable_name=stream, max_in_flight=MAX_IN_FLIGHT)
    consumer = KillAfterCommit(
        Settings(sandbox=SandboxSettings(grpc=address), events=events), Database(url)
    )
    consumer.stream = stream
    consumer.kill_at = kill_at
    print("consuming", flush=True)
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
