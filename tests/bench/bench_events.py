"""Sandbox EventsService: events/s delivered over gRPC (loopback) with manual ack, and the
sans-IO bus alone (publish + poll + ack per second, no gRPC).

The control plane runs in a child process (``python -m tests.bench.bench_events serve``) so the
server and the client each get a core; the client acks every event with its own Ack RPC.
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

ROOT = Path(__file__).resolve().parents[2]
BACKLOG = 20_000
BUS_EVENTS = 200_000


async def _serve() -> None:
    """Child: a control plane; ``publish N`` lines publish N voice events, answered by ``ok``."""
    from tas.sandbox.grpc_server import ControlPlane

    plane = ControlPlane()
    print("ready", await plane.start("127.0.0.1:0"), flush=True)
    published = 0
    while line := await asyncio.to_thread(sys.stdin.readline):
        for _ in range(int(line.split()[1])):
            plane.publish_voice_event(
                f"bench-{published}", "CALL_INITIATED", "+4791111111", "+4792222222"
            )
            published += 1
        print("ok", flush=True)
    await plane.stop(grace=0)


async def _consume(
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
        address = line.split()[1].decode()
        process.stdin.write(f"publish {BACKLOG}\n".encode())
        await process.stdin.drain()
        await asyncio.wait_for(process.stdout.readline(), 60)
        runs = [
            ("manual ack, max_in_flight 200", True, 200),
            ("manual ack, max_in_flight 1", True, 1),
            ("auto ack", False, 1024),
        ]
        for index, (label, manual, mif) in enumerate(runs):
            total = BACKLOG if mif > 1 else BACKLOG // 10
            rate = await asyncio.wait_for(
                _consume(address, total, manual=manual, max_in_flight=mif, durable=f"d{index}"),
                60,
            )
            print(f"grpc  {label:32s} {total:6d} events: {rate:8.0f} events/s")
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
    asyncio.run(_grpc())


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        asyncio.run(_serve())
    else:
        main()
