"""A request in another SIP version is answered 505 on every transport (RFC 3261 §8.2.2 via
§21.5.9, RFC 4475 §3.3.15), with the response routed back to where the request came from."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tas.transport.stack import StackOptions
from tas.transport.tls import client_context, ensure_self_signed, server_context
from tas.transport.ua import UserAgent

pytestmark = pytest.mark.timeout(30)

VECTOR = Path(__file__).parents[2] / "vectors/rfc4475/invalid/badvers.dat"


def _request(transport: str) -> bytes:
    return VECTOR.read_bytes().replace(b"SIP/7.0/UDP", f"SIP/7.0/{transport}".encode())


async def test_udp_505_goes_to_the_source() -> None:
    async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            sock.sendto(_request("UDP"), ua.stack.local["UDP"])
            loop = asyncio.get_running_loop()
            reply = await asyncio.wait_for(loop.sock_recv(sock, 65536), 2.0)
    assert reply.startswith(b"SIP/2.0 505 ")


@pytest.mark.parametrize("transport", ["TCP", "TLS"])
async def test_stream_505_on_the_same_connection(transport: str, tmp_path: Path) -> None:
    listen = ("127.0.0.1:0",)
    if transport == "TCP":
        options = StackOptions(udp=(), tcp=listen)
        ctx = None
    else:
        cert, key = ensure_self_signed(tmp_path)
        options = StackOptions(udp=(), tcp=(), tls=listen, server_ssl=server_context(cert, key))
        ctx = client_context(verify=False)
    async with await UserAgent.open(options) as ua:
        host, port = ua.stack.local[transport]
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        writer.write(_request(transport))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        writer.close()
    assert head.startswith(b"SIP/2.0 505 ")
