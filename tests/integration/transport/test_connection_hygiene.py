"""TCP/TLS hygiene over real sockets, on the stdlib loop and on uvloop: resets before
``connection_made`` leak nothing, idle / slow-loris / TLS-handshake timeouts close, the total
and per-source limits refuse (RFC 3261 §18.3, RFC 5626 §3.5.1)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tas.transport.connections import ConnectionLimits
from tas.transport.loop import loop_factory
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import client_context, ensure_self_signed, server_context

pytestmark = pytest.mark.timeout(60)

LOOPS = {"asyncio": None, "uvloop": loop_factory()}
LINGER0 = struct.pack("ii", 1, 0)
OPTIONS = (
    b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-h1\r\n"
    b"From: <sip:t@127.0.0.1>;tag=a\r\nTo: <sip:127.0.0.1>\r\nCall-ID: h@y\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


def run_on(loop: str, main: Callable[[], Awaitable[None]]) -> None:
    if loop == "uvloop" and LOOPS["uvloop"] is None:
        pytest.skip("uvloop is not installed")
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        runner.run(main())  # type: ignore[arg-type]


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


async def open_stack(limits: ConnectionLimits, **extra: object) -> SipStack:
    options = StackOptions(udp=(), tcp=("127.0.0.1:0",), connections=limits, **extra)  # type: ignore[arg-type]
    return await SipStack.open(options)


async def settle(stack: SipStack, *, open_conns: int = 0, seconds: float = 5.0) -> None:
    """Wait until the stack tracks ``open_conns`` connections."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if len(stack.guard.table) == open_conns and len(list(stack.connections())) == open_conns:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(stack.guard.table)} connections, expected {open_conns}")


async def closed_by_peer(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        while await asyncio.wait_for(reader.read(65536), seconds):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize("loop", list(LOOPS))
def test_resets_before_connection_made_leak_nothing(
    loop: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tas.transport")

    async def main() -> None:
        stack = await open_stack(ConnectionLimits())
        addr = stack.local["TCP"]
        try:
            await asyncio.sleep(0.1)
            baseline = fd_count()
            for _ in range(10):  # 1,000 resets in batches of 100
                socks = []
                for _ in range(100):
                    s = socket.socket()
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
                    s.connect(addr)
                    socks.append(s)
                for s in socks:
                    s.close()
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            await settle(stack)
            # a leak grows the count; other tests' sockets closing meanwhile may shrink it
            assert fd_count() - baseline <= 2
            reader, writer = await asyncio.open_connection(*addr)  # still serving
            writer.write(OPTIONS)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"SIP/2.0 200 ")
            writer.close()
        finally:
            await stack.close()

    run_on(loop, main)
    if loop == "uvloop":  # the path of the old leak ran (the stdlib loop reads the peer
        assert "reason=reset_before_open" in caplog.text  # name in accept, so rarely sees it)


@pytest.mark.parametrize("loop", list(LOOPS))
def test_idle_and_slowloris_closed_keepalive_kept(loop: str) -> None:
    async def main() -> None:
        stack = await open_stack(ConnectionLimits(idle_timeout=1.0, header_timeout=0.6))
        addr = stack.local["TCP"]
        try:
            idle = await asyncio.open_connection(*addr)
            loris = await asyncio.open_connection(*addr)
            pinger = await asyncio.open_connection(*addr)
            loris[1].write(OPTIONS[:30])
            started = asyncio.get_running_loop().time()

            async def trickle() -> None:
                for byte in OPTIONS[30:60]:
                    loris[1].write(bytes([byte]))
                    await asyncio.sleep(0.1)

            async def ping() -> None:
                for _ in range(8):  # RFC 5626 §3.5.1 pings every 0.3 s: 2.4 s > idle_timeout
                    pinger[1].write(b"\r\n\r\n")
                    assert await asyncio.wait_for(pinger[0].readexactly(2), 2) == b"\r\n"
                    await asyncio.sleep(0.3)

            trickling = asyncio.create_task(trickle())
            pinging = asyncio.create_task(ping())
            assert await closed_by_peer(loris[0], 3)
            loris_at = asyncio.get_running_loop().time() - started
            assert 0.5 <= loris_at < 1.5, loris_at
            assert await closed_by_peer(idle[0], 3)
            idle_at = asyncio.get_running_loop().time() - started
            assert 0.9 <= idle_at < 2.0, idle_at
            await pinging  # survived past the idle timeout thanks to keep-alives
            pinger[1].write(OPTIONS)
            head = await asyncio.wait_for(pinger[0].readuntil(b"\r\n\r\n"), 2)
            assert head.startswith(b"SIP/2.0 200 ")
            await settle(stack, open_conns=1)
            trickling.cancel()
            for _, writer in (idle, loris, pinger):
                writer.close()
            await settle(stack, seconds=3)
        finally:
            await stack.close()

    run_on(loop, main)


@pytest.mark.parametrize("loop", list(LOOPS))
def test_total_and_per_source_limits(loop: str) -> None:
    async def main() -> None:
        stack = await open_stack(ConnectionLimits(max_connections=5, max_per_source=3))
        addr = stack.local["TCP"]
        try:

            async def connect(source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                return await asyncio.open_connection(*addr, local_addr=(source, 0))

            kept = [await connect("127.0.0.1") for _ in range(3)]
            await settle(stack, open_conns=3)
            extra = await connect("127.0.0.1")  # 4th from one source: refused
            assert await closed_by_peer(extra[0], 2)
            kept += [await connect("127.0.0.2"), await connect("127.0.0.3")]
            await settle(stack, open_conns=5)
            over = await connect("127.0.0.4")  # 6th in total: refused
            assert await closed_by_peer(over[0], 2)
            for reader, writer in kept:  # the admitted ones still work
                writer.write(OPTIONS)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
                assert head.startswith(b"SIP/2.0 200 ")
            for _, writer in kept[:2]:
                writer.close()
            await settle(stack, open_conns=3)
            again = await connect("127.0.0.1")  # room again after closes
            again[1].write(OPTIONS)
            assert (await asyncio.wait_for(again[0].readuntil(b"\r\n\r\n"), 2)).startswith(
                b"SIP/2.0 200 "
            )
            for _, writer in [*kept, again, extra, over]:
                writer.close()
        finally:
            await stack.close()

    run_on(loop, main)


@pytest.mark.parametrize("loop", list(LOOPS))
def test_tls_admitted_before_the_handshake_and_timed_out(loop: str, tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path)

    async def main() -> None:
        limits = ConnectionLimits(tls_handshake_timeout=0.8, max_per_source=2)
        stack = await SipStack.open(
            StackOptions(
                udp=(),
                tcp=(),
                tls=("127.0.0.1:0",),
                server_ssl=server_context(cert, key),
                client_ssl=client_context(cert),
                connections=limits,
            )
        )
        table = stack.guard.table
        addr = stack.local["TLS"]
        try:
            await asyncio.sleep(0.1)
            baseline = fd_count()
            started = asyncio.get_running_loop().time()
            stalled = [await asyncio.open_connection(*addr) for _ in range(2)]  # no ClientHello
            try:  # the 3rd: refused with an RST before any TLS (maybe before connect returns)
                refused = await asyncio.open_connection(*addr)
                assert await closed_by_peer(refused[0], 0.5)
                refused[1].close()
            except ConnectionResetError:
                pass
            assert table.inbound == 2 and table.from_source("127.0.0.1") == 2
            other = await asyncio.open_connection(*addr, local_addr=("127.0.0.2", 0))
            for reader, _ in [*stalled, other]:
                assert await closed_by_peer(reader, 5)
            elapsed = asyncio.get_running_loop().time() - started
            assert 0.7 <= elapsed < 3.0, elapsed
            await asyncio.sleep(0.1)
            assert table.inbound == 0  # slots given back by the failed handshakes
            for _, writer in [*stalled, other]:
                writer.close()
            for _ in range(5):  # resets during the handshake leak nothing either
                socks = []
                for _ in range(100):
                    sock = socket.socket()
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
                    sock.connect(addr)
                    socks.append(sock)
                for sock in socks:
                    sock.close()
                await asyncio.sleep(0.05)
            for _ in range(100):
                if table.inbound == 0 and fd_count() <= baseline + 1:
                    break
                await asyncio.sleep(0.05)
            assert table.inbound == 0 and fd_count() <= baseline + 1
            reader, writer = await asyncio.open_connection(*addr, ssl=client_context(cert))
            writer.write(OPTIONS.replace(b"SIP/2.0/TCP", b"SIP/2.0/TLS"))
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"SIP/2.0 200 ")
            assert table.inbound == 1
            writer.close()
        finally:
            await stack.close()

    run_on(loop, main)
