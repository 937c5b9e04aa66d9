"""Registrations: upserts per second through SipBreakoutClient against an in-process grpc.aio
server (plaintext loopback), sequential and with concurrent callers; schedule decisions/s."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from google.protobuf import duration_pb2

from registrations.client import SipBreakoutClient, Target
from registrations.model import Registration, Route
from registrations.schedule import Policy, after_upsert, due_at, next_action, with_desired
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2, sipbreakout_pb2_grpc


class _Ok(sipbreakout_pb2_grpc.SipBreakoutServiceServicer):
    async def UpsertRegistration(  # noqa: N802 (gRPC API)
        self, request: sipbreakout_pb2.UpsertRegistrationRequest, context: Any
    ) -> sipbreakout_pb2.UpsertRegistrationResponse:
        return sipbreakout_pb2.UpsertRegistrationResponse(
            status_code=sipbreakout_pb2.STATUS_CODE_OK,
            time_to_live=duration_pb2.Duration(seconds=3600),
        )


def _reg(i: int) -> Registration:
    return Registration(f"+47{90000000 + i}", Route.LOOP, "sips:tas.example.com:5061")


async def _worker(client: SipBreakoutClient, first: int, step: int, deadline: float) -> int:
    done, i = 0, first
    while time.perf_counter() < deadline:
        await client.upsert(_reg(i))
        i += step
        done += 1
    return done


async def _rpc(seconds: float) -> None:
    server = grpc.aio.server()
    add: Any = sipbreakout_pb2_grpc.add_SipBreakoutServiceServicer_to_server
    add(_Ok(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    client = SipBreakoutClient(Target(f"127.0.0.1:{port}", tls=False, authenticated=False))
    try:
        await client.upsert(_reg(0))  # connect
        for concurrency in (1, 16):
            started = time.perf_counter()
            deadline = started + seconds
            counts = await asyncio.gather(
                *(_worker(client, k, concurrency, deadline) for k in range(concurrency))
            )
            rate = sum(counts) / (time.perf_counter() - started)
            print(f"upserts/s, {concurrency:2d} concurrent caller(s): {rate:8.0f}")
    finally:
        await client.close()
        await server.stop(None)


def _schedule(n: int) -> None:
    policy = Policy()
    entries = [
        after_upsert(with_desired(None, r.phone_number, r, 0.0), r, 3600, 0.0, policy)
        for r in map(_reg, range(n))
    ]
    started = time.perf_counter()
    due = sum(1 for e in entries if (t := due_at(e)) is not None and t <= 1800.0 and next_action(e))
    elapsed = time.perf_counter() - started
    print(
        f"schedule: {n} entries planned in {elapsed * 1e3:.1f} ms ({n / elapsed:,.0f}/s), {due} due"
    )


def main() -> None:
    asyncio.run(_rpc(seconds=2.0))
    _schedule(100_000)


if __name__ == "__main__":
    main()
