"""Loopback peers of the security suite: an attacker at 127.0.0.2, a third party at 127.0.0.3,
the trusted core at 127.0.0.1 (the embedded sandbox's host), and a running ``tas serve``."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

from tas.server import TasServer
from tests.integration.calls.calls_helpers import server_settings

ATTACKER = "127.0.0.2"
THIRD_PARTY = "127.0.0.3"
TRUSTED = "127.0.0.1"
T1 = 0.05  # 64*T1 = 3.2 s: the give-up of an un-ACKed 2xx comes within the test
SDP = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
_ids = itertools.count(1)


async def running_server(data_dir: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(data_dir)
    settings.sip.t1 = T1
    server = TasServer(settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace=1.0)


def invite(
    user: str,
    tas: tuple[str, int],
    source: tuple[str, int],
    *,
    from_user: str = "+4799990002",
    contact: str | None = None,
    transport: str = "UDP",
    extra: str = "",
) -> tuple[bytes, str]:
    """An INVITE for ``user`` as a peer at ``source`` writes it; returns it and its Call-ID."""
    n = next(_ids)
    call_id = f"sec-{n}-{time.monotonic_ns()}@{source[0]}"
    host, port = source
    contact = contact or f"<sip:caller@{host}:{port}>"
    text = (
        f"INVITE sip:{user}@{tas[0]}:{tas[1]};user=phone SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {host}:{port};branch=z9hG4bK-sec{n};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{from_user}@{host}>;tag=f{n}\r\n"
        f"To: <sip:{user}@{tas[0]}>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: {contact}\r\n"
        f"P-Asserted-Identity: <sip:{from_user}@{host}>\r\n"
        f"{extra}"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(SDP)}\r\n\r\n"
    )
    return text.encode() + SDP, call_id


class Udp(asyncio.DatagramProtocol):
    """A UDP socket that records what reaches it: (arrival, data, source)."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes, tuple[str, int]]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.arrived = asyncio.Event()

    @classmethod
    async def bind(cls, host: str) -> Udp:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(cls, local_addr=(host, 0))
        return proto

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append((time.monotonic(), data, addr))
        self.arrived.set()

    def send(self, data: bytes, to: tuple[str, int]) -> float:
        assert self.transport is not None
        self.transport.sendto(data, to)
        return time.monotonic()

    def requests(self, method: bytes) -> list[bytes]:
        return [data for _, data, _ in self.received if data.startswith(method + b" ")]

    def responses(self, call_id: str) -> list[tuple[float, bytes]]:
        marker = f"Call-ID: {call_id}\r\n".encode()
        return [(t, d) for t, d, _ in self.received if d.startswith(b"SIP/2.0") and marker in d]

    async def final(self, call_id: str, within: float = 5.0) -> tuple[float, bytes]:
        """The first final response for ``call_id``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for t, data in self.responses(call_id):
                if not data.startswith(b"SIP/2.0 1"):
                    return t, data
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        raise AssertionError(f"no final response for {call_id}")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class ThirdParty:
    """A victim at 127.0.0.3: one UDP socket and a TCP listener on the same port number
    (when free), recording datagrams and connection attempts."""

    def __init__(self, udp: Udp, server: asyncio.Server | None, port: int) -> None:
        self.udp = udp
        self.server = server
        self.port = port
        self.connections = 0

    @classmethod
    async def start(cls, host: str = THIRD_PARTY) -> ThirdParty:
        udp = await Udp.bind(host)
        port = udp.address[1]
        party = cls(udp, None, port)

        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            party.connections += 1
            writer.close()

        party.server = await asyncio.start_server(accepted, host, port)
        return party

    @property
    def reached(self) -> int:
        """Datagrams + TCP connections that reached the third party."""
        return len(self.udp.received) + self.connections

    async def close(self) -> None:
        self.udp.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def shape(response: bytes) -> tuple[str, tuple[str, ...], bytes]:
    """What an answer tells: its status line, its header names in order and its body."""
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    return lines[0], tuple(line.split(":", 1)[0] for line in lines[1:]), body
