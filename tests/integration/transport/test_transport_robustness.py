"""Bad input over real sockets: answered when routable, dropped otherwise, never a crash;
TCP framing errors close the connection; keep-alives get a pong; rport is honoured."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from tas.transport.stack import StackOptions
from tas.transport.ua import UserAgent

pytestmark = pytest.mark.timeout(30)


def options_request(via_port: int, *, rport: bool = False, cseq: str = "1") -> bytes:
    return (
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{via_port};branch=z9hG4bK-{via_port}-{cseq}"
        + (";rport" if rport else "")
        + "\r\nFrom: <sip:t@127.0.0.1>;tag=a\r\nTo: <sip:127.0.0.1>\r\nCall-ID: x@y\r\n"
        f"CSeq: {cseq} OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def recv(sock: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.sock_recv(sock, 65536), 2.0)


async def test_udp_garbage_dropped_bad_request_400_and_rport() -> None:
    async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
        addr = ua.stack.local["UDP"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            me = sock.getsockname()[1]
            for junk in (b"", b"\x00" * 100, b"\r\n\r\n", bytes(range(256)) * 4):
                sock.sendto(junk, addr)
            bad = options_request(me, cseq="x")
            sock.sendto(bad, addr)
            assert (await recv(sock)).startswith(b"SIP/2.0 400 ")
            # Via names another port, but rport asks for the source port (RFC 3581).
            sock.sendto(options_request(9, rport=True, cseq="2"), addr)
            reply = await recv(sock)
            assert reply.startswith(b"SIP/2.0 200 ")
            assert f"rport={me}".encode() in reply and b"received=127.0.0.1" in reply


async def test_tcp_keepalive_parse_error_and_framing_error() -> None:
    async with await UserAgent.open(StackOptions(udp=(), tcp=("127.0.0.1:0",))) as ua:
        host, port = ua.stack.local["TCP"]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"\r\n\r\n")  # RFC 5626 ping
        assert await asyncio.wait_for(reader.readexactly(2), 2) == b"\r\n"
        # A well-framed but malformed request gets 400 on the same connection.
        bad = options_request(5060, cseq="x").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        writer.write(bad)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"SIP/2.0 400 ")
        # A stream without Content-Length cannot be framed: the connection is closed.
        writer.write(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n")
        rest = await asyncio.wait_for(reader.read(), 5)
        assert rest == b"" or rest.startswith(b"SIP/2.0 4")
        writer.close()
        await asyncio.sleep(0.05)
        assert list(ua.stack.connections()) == []
        # The stack still serves new connections.
        reader2, writer2 = await asyncio.open_connection(host, port)
        good = options_request(5060, cseq="3").replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
        writer2.write(good[:10])
        await asyncio.sleep(0.01)
        writer2.write(good[10:])  # split across segments
        head = await asyncio.wait_for(reader2.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"SIP/2.0 200 ")
        writer2.close()


async def test_debug_level_traces_every_message(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tas.transport")
    async with (
        await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as alice,
        await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as bob,
    ):
        host, port = bob.stack.local["UDP"]
        assert (await alice.request("OPTIONS", f"sip:{host}:{port}")).status == 200
    lines = [r.getMessage() for r in caplog.records if "event=sip_" in r.getMessage()]
    assert any("event=sip_out" in line and "OPTIONS sip:" in line for line in lines)
    assert any("event=sip_in" in line and "SIP/2.0 200 OK" in line for line in lines)


async def test_a_second_stack_cannot_share_the_udp_port() -> None:
    async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as first:
        port = first.stack.local["UDP"][1]
        with pytest.raises(OSError):
            await UserAgent.open(StackOptions(udp=(f"127.0.0.1:{port}",), tcp=()))
