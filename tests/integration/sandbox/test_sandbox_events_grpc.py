"""EventsService v0 of the sandbox over real gRPC on loopback (wgtwo-api.md §4.1)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, empty_pb2

from registrations.wgtwo.events.v0 import events_pb2, events_pb2_grpc
from tas.config import SandboxSettings
from tas.sandbox.grpc_server import ControlPlane

from .conftest import eventually

A, B = "+4711111111", "+4722222222"
QUIET = 0.4  # how long "nothing more arrives" is watched for


def request(
    *types: events_pb2.EventType, ack_timeout: float | None = None, **fields: Any
) -> events_pb2.SubscribeEventsRequest:
    req = events_pb2.SubscribeEventsRequest(type=types or [events_pb2.VOICE_EVENT], **fields)
    if ack_timeout is not None:
        req.manual_ack.enable = True
        req.manual_ack.timeout.FromNanoseconds(round(ack_timeout * 1e9))
    return req


class Stream:
    """A Subscribe call read by a background task into a queue (reads never overlap)."""

    def __init__(self, call: grpc.aio.UnaryStreamCall) -> None:
        self.call = call
        self.queue: asyncio.Queue[events_pb2.Event] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        async for response in self.call:
            self.queue.put_nowait(response.event)

    async def read(self, within: float = 5.0) -> events_pb2.Event:
        return await asyncio.wait_for(self.queue.get(), within)

    async def nothing_more(self) -> None:
        await asyncio.sleep(QUIET)
        assert self.queue.empty(), f"unexpected event {self.queue.get_nowait()}"

    def cancel(self) -> None:
        self.call.cancel()
        self.task.cancel()


async def subscribe(
    plane: ControlPlane,
    stub: events_pb2_grpc.EventsServiceStub,
    req: events_pb2.SubscribeEventsRequest,
) -> Stream:
    """Start a stream and wait until the server has attached it (so no event is missed)."""
    before = plane.subscriber_count
    stream = Stream(stub.Subscribe(req))
    await eventually(lambda: plane.subscriber_count > before)
    return stream


async def ack(stub: events_pb2_grpc.EventsServiceStub, event: events_pb2.Event) -> None:
    await stub.Ack(
        events_pb2.AckRequest(inbox=event.metadata.ack_inbox, sequence=event.metadata.sequence)
    )


def voice(plane: ControlPlane, call_id: str, kind: str = "CALL_INITIATED") -> int:
    return plane.publish_voice_event(call_id, kind, A, B)


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> events_pb2_grpc.EventsServiceStub:
    return events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]


async def test_regular_subscription_gets_new_events_of_its_types(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    voice(plane, "before")
    call = await subscribe(plane, stub, request(events_pb2.VOICE_EVENT))
    plane.publish_voicemail_event("vm-1", A, B)
    sequence = plane.publish_voice_event("c-1", "CALL_ANSWERED", A, B, owner=A)
    event = await call.read()
    assert event.metadata.sequence == sequence == 3
    assert event.metadata.is_redelivered is False
    assert event.metadata.ack_inbox.startswith("_INBOX.")
    assert event.WhichOneof("event") == "voice_event"
    assert event.voice_event.call_id == "c-1"
    assert event.voice_event.type == events_pb2.VoiceEvent.CALL_ANSWERED
    assert (event.voice_event.from_number.e164, event.voice_event.to_number.e164) == (A, B)
    assert event.owner.phone_number.e164 == A
    assert event.timestamp.seconds > 1_700_000_000
    call.cancel()


async def test_voicemail_event_fields(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    call = await subscribe(plane, stub, request(events_pb2.VOICEMAIL_EVENT))
    plane.publish_voicemail_event("3f1c-uuid", A, B)
    event = (await call.read()).voicemail_event
    assert (event.voicemail_id, event.type) == (
        "3f1c-uuid",
        events_pb2.VoicemailEvent.NEW_VOICEMAIL,
    )
    assert (event.from_number.e164, event.to_number.e164) == (A, B)
    call.cancel()


async def test_start_positions_over_the_wire(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    for i in range(3):
        voice(plane, f"c{i}")
    oldest = await subscribe(plane, stub, request(start_at_oldest_possible=empty_pb2.Empty()))
    from_two = await subscribe(plane, stub, request(start_at_sequence=2))
    last = await subscribe(plane, stub, request(start_with_last_received=empty_pb2.Empty()))
    delta = await subscribe(
        plane, stub, request(start_at_time_delta=duration_pb2.Duration(seconds=60))
    )
    assert [(await oldest.read()).metadata.sequence for _ in range(3)] == [1, 2, 3]
    assert [(await from_two.read()).metadata.sequence for _ in range(2)] == [2, 3]
    assert (await last.read()).metadata.sequence == 3
    assert [(await delta.read()).metadata.sequence for _ in range(3)] == [1, 2, 3]
    for call in (oldest, from_two, last, delta):
        call.cancel()


async def test_manual_ack_stops_redelivery(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    call = await subscribe(plane, stub, request(ack_timeout=0.2))
    voice(plane, "c-1")
    event = await call.read()
    await ack(stub, event)
    await call.nothing_more()
    call.cancel()


async def test_unacked_event_is_redelivered_after_the_timeout(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    call = await subscribe(plane, stub, request(ack_timeout=0.2))
    voice(plane, "c-1")
    first = await call.read()
    again = await call.read(within=3)
    assert again.metadata.sequence == first.metadata.sequence
    assert (first.metadata.is_redelivered, again.metadata.is_redelivered) == (False, True)
    assert again.voice_event.call_id == "c-1"
    await ack(stub, again)
    await call.nothing_more()
    call.cancel()


async def test_max_in_flight_back_pressure(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    call = await subscribe(plane, stub, request(ack_timeout=30, max_in_flight=2))
    for i in range(5):
        voice(plane, f"c{i}")
    first, second = await call.read(), await call.read()
    assert [first.metadata.sequence, second.metadata.sequence] == [1, 2]
    await call.nothing_more()
    await ack(stub, second)
    assert (await call.read()).metadata.sequence == 3
    await call.nothing_more()
    await ack(stub, first)
    assert (await call.read()).metadata.sequence == 4
    call.cancel()


async def test_durable_resumes_after_disconnect(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    durable = request(ack_timeout=30, client_id="tas-1", durable_name="calls")
    call = await subscribe(plane, stub, durable)
    for i in range(3):
        voice(plane, f"c{i}")
    got = [await call.read() for _ in range(3)]
    await ack(stub, got[0])
    await ack(stub, got[1])
    call.cancel()  # 3 delivered, not acked
    await eventually(lambda: plane.subscriber_count == 0)
    voice(plane, "c3")
    voice(plane, "c4")
    again = await subscribe(plane, stub, durable)
    resumed = [await again.read() for _ in range(3)]
    assert [(e.metadata.sequence, e.metadata.is_redelivered) for e in resumed] == [
        (3, True),
        (4, False),
        (5, False),
    ]
    assert [e.voice_event.call_id for e in resumed] == ["c2", "c3", "c4"]
    again.cancel()


async def test_queue_members_share_the_load(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    member = request(ack_timeout=30, client_id="tas", queue_name="q")
    first = await subscribe(plane, stub, member)
    second = await subscribe(plane, stub, member)
    for i in range(10):
        voice(plane, f"c{i}")
    got_first = [await first.read() for _ in range(5)]
    got_second = [await second.read() for _ in range(5)]
    for event in got_first + got_second:
        await ack(stub, event)
    seen = sorted(e.metadata.sequence for e in got_first + got_second)
    assert seen == list(range(1, 11))  # each event to exactly one member
    await first.nothing_more()
    await second.nothing_more()
    first.cancel()
    second.cancel()


async def test_queue_durable_hands_unacked_events_to_the_remaining_member(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    member = request(ack_timeout=30, queue_name="tas", durable_name="events")
    first = await subscribe(plane, stub, member)
    second = await subscribe(plane, stub, member)
    voice(plane, "c0")
    voice(plane, "c1")
    to_first, to_second = await first.read(), await second.read()
    await ack(stub, to_second)
    first.cancel()
    await eventually(lambda: plane.subscriber_count == 1)
    handed = await second.read()
    assert (handed.metadata.sequence, handed.metadata.is_redelivered) == (
        to_first.metadata.sequence,
        True,
    )
    second.cancel()


async def test_bad_subscription_is_invalid_argument(
    plane: ControlPlane, stub: events_pb2_grpc.EventsServiceStub
) -> None:
    call = stub.Subscribe(request(durable_name="d"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "a durable subscription needs client_id with durable_name"


async def test_ack_errors(stub: events_pb2_grpc.EventsServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Ack(events_pb2.AckRequest(inbox="_INBOX.nope", sequence=1))
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Ack(events_pb2.AckRequest(sequence=1))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_bearer_tokens_when_configured() -> None:
    plane = ControlPlane(SandboxSettings(tokens=["s3cret"]))
    address = await plane.start("127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Ack(events_pb2.AckRequest(inbox="x", sequence=1))
            assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Ack(
                    events_pb2.AckRequest(inbox="x", sequence=1),
                    metadata=[("authorization", "Bearer wrong")],
                )
            assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
            call = Stream(stub.Subscribe(request(), metadata=[("authorization", "Bearer s3cret")]))
            await eventually(lambda: plane.subscriber_count == 1)
            plane.publish_voice_event("c", "CALL_ENDED", A, B)
            assert (await call.read()).voice_event.type == events_pb2.VoiceEvent.CALL_ENDED
            call.cancel()
    finally:
        await plane.stop(grace=0)


async def test_streams_end_cleanly_at_max_age_and_a_durable_resumes() -> None:
    plane = ControlPlane(SandboxSettings(stream_max_age=0.3))
    address = await plane.start("127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
            durable = request(ack_timeout=30, client_id="tas", durable_name="d")
            first = await subscribe(plane, stub, durable)
            voice(plane, "c0")
            event = await first.read()
            await first.task  # the server ends the stream...
            assert await first.call.code() is grpc.StatusCode.OK  # ...cleanly
            assert plane.subscriber_count == 0
            second = await subscribe(plane, stub, durable)
            again = await second.read()
            assert (again.metadata.sequence, again.metadata.is_redelivered) == (
                event.metadata.sequence,
                True,
            )
            second.cancel()
    finally:
        await plane.stop(grace=0)


async def test_restart_keeps_durables_and_their_ack_timers() -> None:
    plane = ControlPlane(SandboxSettings())
    try:
        durable = request(ack_timeout=0.3, client_id="tas", durable_name="d")
        async with grpc.aio.insecure_channel(await plane.start("127.0.0.1:0")) as channel:
            stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
            stream = await subscribe(plane, stub, durable)
            voice(plane, "c0")
            sent = await stream.read()
            await plane.stop(grace=0)
            stream.cancel()
        async with grpc.aio.insecure_channel(await plane.start("127.0.0.1:0")) as channel:
            stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
            stream = await subscribe(plane, stub, durable)
            again = await stream.read()
            assert (again.metadata.sequence, again.metadata.is_redelivered) == (
                sent.metadata.sequence,
                True,
            )
            again_after_timeout = await stream.read(within=3)  # the ack timer runs again
            assert again_after_timeout.metadata.sequence == sent.metadata.sequence
            await ack(stub, again_after_timeout)
            stream.cancel()
    finally:
        await plane.stop(grace=0)
