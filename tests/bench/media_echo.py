"""The naive media peer of :mod:`tests.bench.bench_media` (issue 17 goal 3): the same far ends
talking to a bare UDP echo in the TAS process, so the engine's CPU µs per packet has the loop
and kernel path's floor beside it, measured in the same run.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from typing import cast


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Echo(asyncio.DatagramProtocol):
    """The naive media peer: every datagram straight back to its sender, nothing parsed."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.packets = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # the selector loop's datagram transport does not subclass DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)
        self.packets += 2


async def naive_echo(
    ask: Callable[[str, object], Awaitable[object]], calls: int, warmup: float, window: float
) -> float:
    """``calls`` far ends talking to a bare UDP echo in this process: CPU µs per packet (in and
    out), the floor of the loop and kernel path our media engine's figure includes."""
    loop = asyncio.get_running_loop()
    echoes = [
        await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
        for _ in range(calls)
    ]
    ports = await ask("open", calls)
    assert isinstance(ports, list)
    await ask("start", [t.get_extra_info("sockname")[1] for t, _ in echoes])
    await asyncio.sleep(warmup)
    await ask("measure", None)
    count0, cpu0, wall0 = sum(p.packets for _, p in echoes), _cpu(), time.perf_counter()
    await asyncio.sleep(window)
    count1, cpu1, wall1 = sum(p.packets for _, p in echoes), _cpu(), time.perf_counter()
    far = await ask("measure", None)
    assert isinstance(far, dict)
    loss = 1 - far["received"] / far["expected"] if far["expected"] else 1.0
    print(
        f"naive echo: {calls} calls, {(count1 - count0) / (wall1 - wall0):.0f} pkt/s, "
        f"cpu {100 * (cpu1 - cpu0) / (wall1 - wall0):.1f} %, loss {100 * loss:.3f} %, jitter p99 "
        f"{1000 * far['jitter_p99']:.3f} ms",
        flush=True,
    )
    for transport, _ in echoes:
        transport.close()
    return 1e6 * (cpu1 - cpu0) / max(count1 - count0, 1)
