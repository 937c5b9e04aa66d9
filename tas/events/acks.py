"""Pipelined manual acks (wgtwo-api.md §4.1 ``Ack(inbox, sequence)``, one unary call per event).

The consumer hands every committed batch to :meth:`AckPipeline.send` and goes on with the next
commit; the Ack calls run concurrently, at most ``limit`` (the subscription's
``max_in_flight``) at a time, since the server never has more unacked events than that for us.
A failed Ack is counted and left alone: the server redelivers the event after its ack timeout
and the store recognises it as a duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from registrations.wgtwo.events.v0 import events_pb2

__all__ = ["ACK_DEADLINE", "AckPipeline"]

ACK_DEADLINE = 10.0  # seconds per Ack RPC


class AckPipeline:
    """Ack calls of one stream; ``on_done(error)`` is told how each ended (None: accepted)."""

    def __init__(
        self,
        stub: Any,
        metadata: Sequence[tuple[str, str]],
        limit: int,
        on_done: Callable[[grpc.aio.AioRpcError | None], None],
    ) -> None:
        if limit < 1:
            raise ValueError(f"ack pipeline limit must be at least 1, got {limit}")
        self._stub = stub
        self._metadata = metadata
        self._limit = limit
        self._on_done = on_done
        self._pending: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._failure: BaseException | None = None

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def send(self, batch: Sequence[events_pb2.Event]) -> None:
        """Start one Ack per event, waiting for room when ``limit`` are already in flight."""
        for event in batch:
            while len(self._pending) >= self._limit:
                self._room.clear()
                await self._room.wait()
            self._raise_failure()
            request = events_pb2.AckRequest(
                inbox=event.metadata.ack_inbox, sequence=event.metadata.sequence
            )
            task = asyncio.create_task(self._ack(request))
            self._pending.add(task)
            task.add_done_callback(self._finished)

    async def drain(self) -> None:
        """Wait for every Ack started; raises what an Ack raised other than an RPC error."""
        while self._pending:
            await asyncio.wait(set(self._pending))
        self._raise_failure()

    def cancel(self) -> None:
        """Abandon the calls in flight (the stream is gone): their events come back."""
        for task in self._pending:
            task.cancel()

    async def _ack(self, request: events_pb2.AckRequest) -> None:
        try:
            await self._stub.Ack(request, metadata=self._metadata, timeout=ACK_DEADLINE)
        except grpc.aio.AioRpcError as exc:
            self._on_done(exc)
        else:
            self._on_done(None)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        self._room.set()
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
