"""Pipelined manual acks (tas.events.acks): one Ack per event, at most ``limit`` in flight."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from registrations.wgtwo.events.v0 import events_pb2
from tas.events.acks import AckPipeline


class FakeStub:
    """Ack calls the test completes by hand, in any order."""

    def __init__(self) -> None:
        self.calls: list[tuple[events_pb2.AckRequest, asyncio.Future[events_pb2.AckResponse]]] = []

    def Ack(  # noqa: N802 (gRPC API)
        self, request: events_pb2.AckRequest, **_: Any
    ) -> asyncio.Future[events_pb2.AckResponse]:
        future: asyncio.Future[events_pb2.AckResponse] = asyncio.get_running_loop().create_future()
        self.calls.append((request, future))
        return future

    def answer(self, index: int, error: BaseException | None = None) -> None:
        future = self.calls[index][1]
        if error is None:
            future.set_result(events_pb2.AckResponse())
        else:
            future.set_exception(error)


def event(sequence: int) -> events_pb2.Event:
    event = events_pb2.Event()
    event.metadata.sequence = sequence
    event.metadata.ack_inbox = "_INBOX.sandbox.1"
    return event


async def settle() -> None:
    for _ in range(5):  # let the tasks and callbacks the test released run
        await asyncio.sleep(0)


async def test_acks_run_concurrently_up_to_the_limit() -> None:
    stub, outcomes = FakeStub(), list[grpc.aio.AioRpcError | None]()
    acks = AckPipeline(stub, (), limit=2, on_done=outcomes.append)
    sending = asyncio.create_task(acks.send([event(1), event(2), event(3)]))
    await settle()
    assert [r.sequence for r, _ in stub.calls] == [1, 2] and not sending.done()
    assert acks.in_flight == 2
    stub.answer(1)  # the second answers first: its slot goes to the third
    await settle()
    assert sending.done() and [r.sequence for r, _ in stub.calls] == [1, 2, 3]
    assert stub.calls[2][0].inbox == "_INBOX.sandbox.1"
    stub.answer(0)
    stub.answer(2)
    await acks.drain()
    assert outcomes == [None, None, None] and acks.in_flight == 0


async def test_a_failed_ack_is_reported_and_the_others_go_on() -> None:
    stub, outcomes = FakeStub(), list[grpc.aio.AioRpcError | None]()
    acks = AckPipeline(stub, (), limit=10, on_done=outcomes.append)
    await acks.send([event(1), event(2)])
    await settle()
    refused = grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "gone"
    )
    stub.answer(0, refused)
    stub.answer(1)
    await acks.drain()
    assert outcomes == [refused, None]


async def test_an_unexpected_failure_comes_out_of_drain() -> None:
    stub = FakeStub()
    acks = AckPipeline(stub, (), limit=10, on_done=lambda _: None)
    await acks.send([event(1)])
    await settle()
    stub.answer(0, RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        await acks.drain()


async def test_cancel_abandons_the_calls_in_flight() -> None:
    stub, outcomes = FakeStub(), list[grpc.aio.AioRpcError | None]()
    acks = AckPipeline(stub, (), limit=10, on_done=outcomes.append)
    await acks.send([event(1)])
    await settle()
    acks.cancel()
    await settle()
    assert acks.in_flight == 0 and outcomes == []


def test_refuses_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AckPipeline(FakeStub(), (), limit=0, on_done=lambda _: None)
