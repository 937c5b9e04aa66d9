"""Consumer fault paths: the server closing streams cleanly (the hourly forced close), the
database refusing a batch (no ack, so the server redelivers), and PostgreSQL idempotency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from registrations.wgtwo.events.v0 import events_pb2, events_pb2_grpc
from tas.config import EventsSettings, SandboxSettings, Settings
from tas.events import CoreEvent, EventConsumer, EventRecord, EventStore
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database
from tests.integration.events.events_helpers import CrashBeforeAck, consumer_settings, eventually


class ClosingEvery(events_pb2_grpc.EventsServiceServicer):
    """Sends at most ``per_stream`` unacked events per Subscribe, then ends the stream with OK
    (as the operator does every hour); keeps the position across streams like a durable."""

    def __init__(self, count: int, per_stream: int) -> None:
        self.events = {n: self._event(n) for n in range(1, count + 1)}
        self.acked: set[int] = set()
        self.sent: set[int] = set()
        self.per_stream = per_stream
        self.requests: list[events_pb2.SubscribeEventsRequest] = []

    @staticmethod
    def _event(sequence: int) -> events_pb2.Event:
        event = events_pb2.Event(
            voice_event=events_pb2.VoiceEvent(
                call_id=f"c{sequence}", type=events_pb2.VoiceEvent.CALL_INITIATED
            )
        )
        event.timestamp.FromDatetime(datetime(2026, 11, 23, 18, 0, sequence % 60, tzinfo=UTC))
        event.metadata.sequence = sequence
        event.metadata.ack_inbox = "_INBOX.test"
        return event

    async def Subscribe(  # noqa: N802 (gRPC API)
        self, request: events_pb2.SubscribeEventsRequest, context: Any
    ) -> AsyncIterator[events_pb2.SubscribeEventsResponse]:
        self.requests.append(request)
        pending = [n for n in sorted(self.events) if n not in self.acked][: self.per_stream]
        for n in pending:
            event = events_pb2.Event()
            event.CopyFrom(self.events[n])
            event.metadata.is_redelivered = n in self.sent
            self.sent.add(n)
            yield events_pb2.SubscribeEventsResponse(event=event)
        await asyncio.sleep(0.05)  # let the acks of this stream arrive, then close with OK

    async def Ack(  # noqa: N802 (gRPC API)
        self, request: events_pb2.AckRequest, context: Any
    ) -> events_pb2.AckResponse:
        self.acked.add(request.sequence)
        return events_pb2.AckResponse()


async def test_clean_stream_ends_reconnect_with_the_same_settings(db: Database) -> None:
    servicer = ClosingEvery(count=10, per_stream=3)
    server = grpc.aio.server()
    events_pb2_grpc.add_EventsServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    settings = Settings(
        sandbox=SandboxSettings(grpc=f"127.0.0.1:{port}"),
        events=EventsSettings(backoff_initial=0.01, backoff_max=0.05),
    )
    consumer = EventConsumer(settings, db)
    consumer.start()
    try:
        await eventually(lambda: len(servicer.acked) == 10)
    finally:
        await consumer.stop()
        await server.stop(0)
    assert consumer.stats.stored == 10 and consumer.stats.streams >= 4
    assert consumer.stats.reconnects >= 3 and consumer.stats.last_error is None
    assert len({r.SerializeToString(deterministic=True) for r in servicer.requests}) == 1
    assert await EventStore(db).count() == 10


class FlakyStore(EventStore):
    """Refuses the first batch as a database that is briefly down would."""

    failed = False

    async def save(self, rows: Sequence[EventRecord]) -> list[bool]:
        if not self.failed:
            self.failed = True
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return await super().save(rows)


async def test_a_batch_the_database_refuses_is_not_acked_and_comes_back(
    plane: ControlPlane, db: Database
) -> None:
    consumer = EventConsumer(consumer_settings(plane, ack_timeout=0.3), db)
    consumer.store = FlakyStore(db)
    consumer.start()
    try:
        plane.publish_voice_event("flaky", "CALL_INITIATED", "+4791111111", "+4792222222")
        await eventually(lambda: consumer.stats.acked == 1)
    finally:
        await consumer.stop()
    stats = consumer.stats
    assert (stats.store_failures, stats.received, stats.stored, stats.acked) == (1, 2, 1, 1)
    assert stats.last_error is not None and "database is locked" in stats.last_error
    [row] = await EventStore(db).recent()
    assert row.call_id == "flaky"


@pytest.mark.postgres
async def test_postgres_store_is_idempotent_under_redelivery(
    plane: ControlPlane, pg: Database
) -> None:
    stream = f"pg-test-{datetime.now(UTC).timestamp()}"
    crashing = CrashBeforeAck(consumer_settings(plane, queue_name=stream, durable_name=stream), pg)
    crashing.stream = stream
    for n in range(5):
        plane.publish_voice_event(f"pg-{n}", "CALL_INITIATED", "+4791111111", "+4792222222")
    crashing.start()
    try:
        await eventually(lambda: crashing.stats.stored == 5)
    finally:
        await crashing.stop()
    survivor = EventConsumer(consumer_settings(plane, queue_name=stream, durable_name=stream), pg)
    survivor.stream = stream
    survivor.start()
    try:
        await eventually(lambda: survivor.stats.acked == 5)
    finally:
        await survivor.stop()
    assert (survivor.stats.stored, survivor.stats.duplicates) == (0, 5)
    rows = [r for r in await EventStore(pg).recent(10_000) if r.stream == stream]
    assert sorted(r.call_id or "" for r in rows) == [f"pg-{n}" for n in range(5)]
    async with pg.engine.begin() as conn:
        await conn.execute(delete(CoreEvent).where(CoreEvent.stream == stream))  # type: ignore[arg-type]


class BuggyStore(EventStore):
    """Fails once with an error nobody planned for."""

    failed = False

    async def save(self, rows: Sequence[EventRecord]) -> list[bool]:
        if not self.failed:
            self.failed = True
            raise RuntimeError("surprise")
        return await super().save(rows)


async def test_an_unexpected_error_restarts_the_stream_instead_of_ending_the_consumer(
    plane: ControlPlane, db: Database
) -> None:
    consumer = EventConsumer(consumer_settings(plane), db)
    consumer.store = BuggyStore(db)
    task = consumer.start()
    try:
        plane.publish_voice_event("bug", "CALL_INITIATED", "+4791111111", "+4792222222")
        await eventually(lambda: consumer.stats.acked == 1)
        assert not task.done()
    finally:
        await consumer.stop()
    stats = consumer.stats
    assert stats.last_error == "unexpected: RuntimeError: surprise"
    assert stats.streams >= 2 and stats.stored == 1
    assert await EventStore(db).count() == 1
