"""Pieces of the call-directory tests: SQLite/PostgreSQL databases, a TCP proxy in front of
PostgreSQL that can be cut (the database becomes unreachable), and a raw UDP INVITE."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A throw-away PostgreSQL database (127.0.0.1:5432, trust auth); yields its name."""
    import asyncpg

    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=2)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({exc})")
    name = f"tas_directory_{secrets.token_hex(4)}"
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


class Proxy:
    """A loopback TCP forwarder to ``upstream``; :meth:`cut` drops every connection and stops
    listening (clients see a dead database), :meth:`restore` listens on the same port again."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str  # the whole final response

    def header(self, name: str) -> str | None:
        for line in self.text.split("\r\n")[1:]:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() == name.lower():
                return value.strip()
        return None


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.responses: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.responses.put_nowait(data.decode("utf-8", "replace"))


async def invite(tas: tuple[str, int], number: str, caller: str, wait: float = 5.0) -> Answer:
    """Send one INVITE (no SDP) to ``number`` at the TAS over UDP; ACK and return the final
    response."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(
        _Client, local_addr=("127.0.0.1", 0), remote_addr=tas
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        call_id, branch, tag = secrets.token_hex(8), "z9hG4bK" + secrets.token_hex(6), "t1"
        host = f"{tas[0]}:{tas[1]}"

        def request(method: str, to_tag: str = "") -> bytes:
            to = f"<sip:{number}@{host}>" + (f";tag={to_tag}" if to_tag else "")
            return (
                f"{method} sip:{number}@{host};user=phone SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{caller}@127.0.0.1>;tag={tag}\r\nTo: {to}\r\n"
                f"Call-ID: {call_id}@test\r\nCSeq: 1 {method}\r\n"
                f"Contact: <sip:{caller[1:]}@127.0.0.1:{port}>\r\nContent-Length: 0\r\n\r\n"
            ).encode()

        transport.sendto(request("INVITE"))
        async with asyncio.timeout(wait):
            while True:
                text = await client.responses.get()
                status = int(text.split(" ", 2)[1])
                if status >= 200:
                    break
        answer = Answer(status, text)
        to_tag = (answer.header("To") or "").partition(";tag=")[2].split(";")[0]
        if status >= 300:
            transport.sendto(request("ACK", to_tag))  # §17.1.1.3: same branch for a non-2xx
        return answer
    finally:
        transport.close()
