"""EventConsumer against the sandbox's real EventsService: store-then-ack, redelivery,
reconnects, queue sharing and token refresh."""

from __future__ import annotations

from registrations.wgtwo.events.v0 import events_pb2
from tas.config import SandboxSettings
from tas.events import EventConsumer, EventStore
from tas.events.acks import AckPipeline
from tas.sandbox.grpc_server import ControlPlane
from tas.store import Database
from tests.integration.events.events_helpers import CrashBeforeAck, consumer_settings, eventually

A, B = "+4791111111", "+4792222222"


def publish_calls(plane: ControlPlane, count: int, prefix: str = "call") -> None:
    for n in range(count):
        plane.publish_voice_event(f"{prefix}-{n}", "CALL_INITIATED", A, B)


async def test_stores_then_acks_voice_and_voicemail(plane: ControlPlane, db: Database) -> None:
    plane.publish_voice_event("c1", "CALL_INITIATED", A, B)
    plane.publish_voice_event("c1", "CALL_FWD_VOICEMAIL", A, B)
    plane.publish_voicemail_event("5f0c3a52-8a5e-4c1e-9d43-8d2b1e0b7a11", A, B)
    consumer = EventConsumer(consumer_settings(plane), db)
    consumer.start()
    try:
        await eventually(lambda: consumer.stats.acked == 3)
    finally:
        await consumer.stop()
    stats = consumer.stats
    assert (stats.received, stats.stored, stats.duplicates, stats.acked) == (3, 3, 0, 3)
    assert stats.lag is not None and stats.lag >= 0
    rows = await EventStore(db).recent()
    assert [(r.kind, r.type, r.call_id, r.voicemail_id) for r in rows] == [
        ("voice", "CALL_INITIATED", "c1", None),
        ("voice", "CALL_FWD_VOICEMAIL", "c1", None),
        ("voicemail", "NEW_VOICEMAIL", None, "5f0c3a52-8a5e-4c1e-9d43-8d2b1e0b7a11"),
    ]
    assert all(r.from_number == A and r.to_number == B and r.owner == B for r in rows)
    # Everything was acked: a new member of the same queue gets nothing back.
    again = EventConsumer(consumer_settings(plane), db)
    again.start()
    try:
        plane.publish_voice_event("c2", "CALL_INITIATED", A, B)
        await eventually(lambda: again.stats.acked == 1)
    finally:
        await again.stop()
    assert (again.stats.received, again.stats.duplicates) == (1, 0)


async def test_redelivery_after_crash_before_ack_stores_once(
    plane: ControlPlane, db: Database
) -> None:
    publish_calls(plane, 5)
    crashing = CrashBeforeAck(consumer_settings(plane), db)
    crashing.start()
    try:
        await eventually(lambda: crashing.stats.stored == 5)
    finally:
        await crashing.stop()
    assert crashing.stats.acked == 0
    survivor = EventConsumer(consumer_settings(plane), db)
    survivor.start()
    try:
        await eventually(lambda: survivor.stats.acked == 5)
    finally:
        await survivor.stop()
    assert (survivor.stats.received, survivor.stats.stored) == (5, 0)
    assert survivor.stats.duplicates == 5
    assert await EventStore(db).count() == 5


async def test_ack_timeout_redelivery_is_a_duplicate(plane: ControlPlane, db: Database) -> None:
    # One consumer that fails to ack once: the server resends after the ack timeout.
    class AckLater(EventConsumer):
        skipped = False

        async def _ack(self, batch: list[events_pb2.Event], acks: AckPipeline) -> None:
            if not self.skipped:
                self.skipped = True
                return
            await super()._ack(batch, acks)

    consumer = AckLater(consumer_settings(plane, ack_timeout=0.2), db)
    consumer.start()
    try:
        plane.publish_voice_event("late", "CALL_RINGING", A, B)
        await eventually(lambda: consumer.stats.acked == 1)
    finally:
        await consumer.stop()
    assert (consumer.stats.received, consumer.stats.stored, consumer.stats.duplicates) == (2, 1, 1)
    assert await EventStore(db).count() == 1


async def test_reconnect_after_server_restart_resumes_without_loss_or_duplicates(
    plane: ControlPlane, db: Database
) -> None:
    address = plane.address
    assert address is not None
    consumer = EventConsumer(consumer_settings(plane), db)
    consumer.start()
    try:
        publish_calls(plane, 20, "before")
        await eventually(lambda: consumer.stats.acked == 20)
        await plane.stop(grace=0)  # every stream ends, as with the hourly forced close
        publish_calls(plane, 20, "during")
        await eventually(lambda: consumer.stats.reconnects >= 2)  # it keeps trying
        await plane.start(address)
        publish_calls(plane, 20, "after")
        await eventually(lambda: consumer.stats.acked == 60)
    finally:
        await consumer.stop()
    stats = consumer.stats
    assert (stats.received, stats.stored, stats.duplicates) == (60, 60, 0)
    assert stats.streams >= 2
    calls = {r.call_id for r in await EventStore(db).recent(100)}
    assert len(calls) == 60


async def test_two_consumers_in_one_queue_share_the_load(plane: ControlPlane, db: Database) -> None:
    other_db = Database(db.url)  # a second replica: own engine, same database
    first = EventConsumer(consumer_settings(plane, max_in_flight=5), db)
    second = EventConsumer(consumer_settings(plane, max_in_flight=5), other_db)
    first.start()
    second.start()
    try:
        await eventually(lambda: plane.subscriber_count == 2)
        publish_calls(plane, 200)
        await eventually(lambda: first.stats.acked + second.stats.acked == 200)
    finally:
        await first.stop()
        await second.stop()
        await other_db.close()
    assert first.stats.stored > 0 and second.stats.stored > 0
    assert first.stats.received + second.stats.received == 200
    assert first.stats.duplicates == second.stats.duplicates == 0
    assert first.stats.stored + second.stats.stored == 200
    assert await EventStore(db).count() == 200


class RotatingTokens:
    """Hands out an expired token first, then a good one once told it is invalid."""

    def __init__(self) -> None:
        self.current = "expired"
        self.invalidated = 0

    async def token(self) -> str:
        return self.current

    def invalidate(self) -> None:
        self.invalidated += 1
        self.current = "fresh"

    async def aclose(self) -> None:
        return None


async def test_unauthenticated_stream_fetches_a_new_token(db: Database) -> None:
    plane = ControlPlane(SandboxSettings(tokens=["fresh"]))
    await plane.start("127.0.0.1:0")
    tokens = RotatingTokens()
    consumer = EventConsumer(consumer_settings(plane), db, tokens=tokens)
    consumer.start()
    try:
        publish_calls(plane, 3)
        await eventually(lambda: consumer.stats.acked == 3)
    finally:
        await consumer.stop()
        await plane.stop(grace=0)
    assert tokens.invalidated == 1
    assert consumer.stats.last_error is not None and "UNAUTHENTICATED" in consumer.stats.last_error
    assert consumer.stats.stored == 3
