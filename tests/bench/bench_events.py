"""Sandbox EventsService (issue 17 goal 4): events/s delivered over gRPC (loopback) with manual
ack, beside peers from the same run: the sans-IO bus alone (publish + poll + ack, no gRPC), the
same stream without acks, and a no-op ``Ack`` server (the unary-call ceiling of gRPC here).

The control plane runs in a child process on the stdlib loop, as ``tas sandbox`` does
(``python -m tests.bench.bench_events serve``), so the server and the client each get a core;
the client runs on the loop of ``tas serve`` and acks every event with its own Ack RPC, as the
contract asks (wgtwo-api.md §4.1), keeping up to ``max_in_flight`` acks in flight.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import grpc
from google.protobuf import empty_pb2

from registrations.wgtwo.events.v0 import events_pb2, events_pb2_grpc
from tas.sandbox.event_bus import EventBus
from tas.sandbox.subscriptions import SubscriptionSpec
from tas.transport.loop import run

ROOT = Path(__file__).resolve().parents[2]
BACKLOG = 20_000
BUS_EVENTS = 200_000


class _NoopAck(events_pb2_grpc.EventsServiceServicer):
    """Answers every Ack at once: what one unary call costs, with no bus behind it."""

    async def Ack(  # noqa: N802 (gRPC API)
        self, request: events_pb2.AckRequest, context: grpc.aio.ServicerContext
    ) -> events_pb2.AckResponse:
        return events_pb2.AckResponse()


async def _serve() -> None:
    """Child: a control plane and a no-op Ack server; ``publish N`` lines publish N voice
    events, answered by ``ok``."""
    from tas.sandbox.grpc_server import ControlPlane

    plane = ControlPlane()
    noop = grpc.aio.server()
    events_pb2_grpc.add_EventsServiceServicer_to_server(_NoopAck(), noop)  # type: ignore[no-untyped-call]
    noop_port = noop.add_insecure_port("127.0.0.1:0")
    await noop.start()
    print("ready", await plane.start("127.0.0.1:0"), f"127.0.0.1:{noop_port}", flush=True)
    published = 0
    while line := await asyncio.to_thread(sys.stdin.readline):
        for _ in range(int(line.split()[1])):
            plane.publish_voice_event(
                f"bench-{published}", "CALL_INITIATED", "+4791111111", "+4792222222"
            )
            published += 1
        print("ok", flush=True)
    await noop.stop(0)
    await plane.stop(grace=0)


async def consume(
    address: str, total: int, *, manual: bool, max_in_flight: int, durable: str
) -> float:
    """Read ``total`` events from the oldest kept one; returns events/s."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
        request = events_pb2.SubscribeEventsRequest(
            type=[events_pb2.VOICE_EVENT],
            queue_name="bench",
            durable_name=durable,
            max_in_flight=max_in_flight,
            start_at_oldest_possible=empty_pb2.Empty(),
        )
        if manual:
            request.manual_ack.enable = True
            request.manual_ack.timeout.FromSeconds(60)
        call = stub.Subscribe(request)
        pending: set[asyncio.Future[events_pb2.AckResponse]] = set()

        received = 0
        began = time.perf_counter()
        async for response in call:
            received += 1
            if manual:
                metadata = response.event.metadata
                ack = asyncio.ensure_future(
                    stub.Ack(
                        events_pb2.AckRequest(inbox=metadata.ack_inbox, sequence=metadata.sequence)
                    )
                )
                pending.add(ack)
                ack.add_done_callback(pending.discard)

            if received == total:
                break
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - began
        call.cancel()
    return total / elapsed


async def _unary(address: str, total: int, in_flight: int) -> float:
    """Acks/s to the no-op server, ``in_flight`` calls kept going at once."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = events_pb2_grpc.EventsServiceStub(channel)  # type: ignore[no-untyped-call]
        request = events_pb2.AckRequest(inbox="_INBOX.sandbox.1", sequence=1)
        await stub.Ack(request)  # connect first

        async def calls(count: int) -> None:
            for _ in range(count):
                await stub.Ack(request)

        began = time.perf_counter()
        await asyncio.gather(*(calls(total // in_flight) for _ in range(in_flight)))
        return total // in_flight * in_flight / (time.perf_counter() - began)


async def _grpc() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.bench_events",
        "serve",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line.startswith(b"ready "):
            raise RuntimeError(f"sandbox child did not start: {line!r}")
        address, noop = (word.decode() for word in line.split()[1:3])
        process.stdin.write(f"publish {BACKLOG}\n".encode())
        await process.stdin.drain()
        await asyncio.wait_for(process.stdout.readline(), 60)
        runs = [
            ("manual ack, max_in_flight 200", True, 200, BACKLOG),
            ("manual ack, max_in_flight 50", True, 50, BACKLOG // 2),
            ("manual ack, max_in_flight 1", True, 1, BACKLOG // 20),
            ("peer: no ack (auto ack)", False, 1024, BACKLOG),
        ]
        rates = {}
        for index, (label, manual, mif, total) in enumerate(runs):
            rates[label] = rate = await asyncio.wait_for(
                consume(address, total, manual=manual, max_in_flight=mif, durable=f"d{index}"),
                60,
            )
            print(f"grpc  {label:34s} {total:6d} events: {rate:8.0f} events/s")
        ceiling = await asyncio.wait_for(_unary(noop, BACKLOG, 200), 60)
        print(
            f"grpc  {'peer: no-op Ack server, 200 at once':34s} {BACKLOG:6d} calls:  {ceiling:8.0f} acks/s"
        )
        best = rates[runs[0][0]]
        print(
            f"grpc  manual-ack path at {best / ceiling:.2f}x the bare Ack call rate, "
            f"{best / rates[runs[-1][0]]:.2f}x the stream without acks"
        )
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()


def _bus() -> None:
    """The sans-IO bus: publish, poll and ack one event at a time, one manual-ack subscriber."""
    bus: EventBus[str] = EventBus()
    member = bus.subscribe(SubscriptionSpec(max_in_flight=50, ack_timeout=30.0), 0.0)
    inbox = bus.ack_inbox(member)
    began = time.perf_counter()
    for n in range(BUS_EVENTS):
        now = n * 1e-3
        bus.publish(1, "payload", now)
        for delivery in bus.poll(member, now):
            bus.ack(inbox, delivery.event.sequence, now)
    elapsed = time.perf_counter() - began
    print(
        f"bus   publish+poll+ack (sans-IO) {BUS_EVENTS:6d} events: {BUS_EVENTS / elapsed:8.0f} events/s"
    )


def main() -> None:
    _bus()
    run(_grpc(), server=True)  # the client on the loop and GC tuning of `tas serve`


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        asyncio.run(_serve())
    else:
        main()
