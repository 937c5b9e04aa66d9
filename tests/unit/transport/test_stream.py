"""StreamConnection and ConnectionGuard against a fake transport and stack: every early exit
aborts the transport and leaves nothing tracked (RFC 3261 §18.3, RFC 5626 §3.5.1)."""

from __future__ import annotations

import asyncio
from typing import Any

from tas.sip.transaction_base import Peer
from tas.transport.connections import ConnectionLimits
from tas.transport.stream import RESET, ConnectionGuard, StreamConnection, ensure_fd_limit
from tas.transport.trust import Trust

OPTIONS = (
    b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-u1\r\n"
    b"From: <sip:t@127.0.0.1>;tag=a\r\nTo: <sip:127.0.0.1>\r\nCall-ID: u@y\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


class FakeTransport:
    def __init__(self, peername: Any) -> None:
        self.peername = peername
        self.written: list[bytes] = []
        self.aborted = self.closed = False

    def get_extra_info(self, name: str) -> Any:
        if name == "peername":
            if isinstance(self.peername, Exception):
                raise self.peername
            return self.peername
        return None

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_write_buffer_size(self) -> int:  # a peer that never reads
        return sum(map(len, self.written))

    def is_closing(self) -> bool:
        return self.aborted or self.closed

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


class FakeStack:
    def __init__(self, limits: ConnectionLimits, trust: Trust = Trust.UNTRUSTED) -> None:
        self.loop = asyncio.get_running_loop()
        self.guard = ConnectionGuard(self.loop, limits)
        self.trust = trust
        self.registered: dict[int, StreamConnection] = {}
        self.messages: list[tuple[object, Peer]] = []
        self._next = 1

    def next_connection_id(self) -> int:
        self._next += 1
        return self._next

    def register_connection(self, conn: StreamConnection, host: str, port: int) -> None:
        self.registered[conn.conn_id] = conn

    def forget_connection(self, conn: StreamConnection) -> None:
        self.registered.pop(conn.conn_id, None)

    def frame_prefilter(self, frame: bytes) -> str | None:
        return None

    def trust_of(self, peer: Peer) -> Trust:
        return self.trust

    def receive_message(self, message: object, peer: Peer) -> None:
        self.messages.append((message, peer))

    def receive_error(self, exc: object, peer: Peer) -> None:
        self.messages.append((exc, peer))


def make(stack: FakeStack, peername: Any, inbound: bool = True) -> tuple[Any, FakeTransport]:
    conn = StreamConnection(stack, "TCP", inbound=inbound)  # type: ignore[arg-type]
    transport = FakeTransport(peername)
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport


async def test_reset_before_connection_made_is_aborted_and_untracked() -> None:
    stack = FakeStack(ConnectionLimits())
    for peername in (None, (), "garbage", OSError("ENOTCONN")):
        conn, transport = make(stack, peername)
        assert transport.aborted and conn.flow is None
        conn.data_received(OPTIONS)  # late data is ignored
        conn.connection_lost(None)
    assert stack.registered == {} and len(stack.guard.table) == 0 and stack.messages == []
    assert stack.guard.closed == {RESET: 3, "open_error": 1}


async def test_admitted_connection_frames_pongs_and_is_forgotten() -> None:
    stack = FakeStack(ConnectionLimits())
    conn, transport = make(stack, ("192.0.2.1", 5060))
    assert not transport.aborted and conn.conn_id in stack.registered
    conn.data_received(b"\r\n\r\n" + OPTIONS[:40])
    assert transport.written == [b"\r\n"]  # RFC 5626 §3.5.1 pong
    assert conn.flow is not None and conn.flow.started_at is not None  # a head began
    conn.data_received(OPTIONS[40:])
    assert conn.flow.started_at is None and len(stack.messages) == 1
    assert stack.messages[0][1] == Peer("TCP", "192.0.2.1", 5060, conn.conn_id)
    conn.connection_lost(None)
    assert stack.registered == {} and len(stack.guard.table) == 0


async def test_limits_refuse_inbound_only_and_exempt_the_core() -> None:
    stack = FakeStack(ConnectionLimits(max_connections=10, max_per_source=1))
    make(stack, ("192.0.2.1", 1))
    refused, transport = make(stack, ("192.0.2.1", 2))
    assert transport.aborted and refused.conn_id not in stack.registered
    refused.connection_lost(None)
    assert stack.guard.table.inbound == 1
    _, ours = make(stack, ("192.0.2.1", 5060), inbound=False)  # outbound: never refused
    assert not ours.aborted
    stack.trust = Trust.OPERATOR
    _, core = make(stack, ("192.0.2.1", 3))
    assert not core.aborted
    assert stack.guard.closed == {"max_connections_per_source": 1}


async def test_sweep_aborts_expired_connections() -> None:
    stack = FakeStack(ConnectionLimits(idle_timeout=0.1, header_timeout=0.05))
    idle, idle_t = make(stack, ("192.0.2.1", 1))
    loris, loris_t = make(stack, ("192.0.2.2", 1))
    loris.data_received(b"INVITE sip:x SIP/2.0\r\n")
    stack.guard.start()
    try:
        await asyncio.sleep(0.3)
    finally:
        stack.guard.stop()
    assert idle_t.aborted and loris_t.aborted
    assert len(stack.guard.table) == 0
    assert stack.guard.closed == {"idle_timeout": 1, "header_timeout": 1}
    idle.connection_lost(None)  # late connection_lost after the sweep forgot it: harmless
    assert len(stack.guard.table) == 0


def test_ensure_fd_limit_never_lowers() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert ensure_fd_limit(16) == soft


async def test_a_peer_that_does_not_read_is_aborted() -> None:
    stack = FakeStack(ConnectionLimits(max_write_buffer=10))
    conn, transport = make(stack, ("192.0.2.1", 1))
    conn.write(b"x" * 10)
    assert not transport.aborted
    conn.write(b"y")
    assert transport.aborted and stack.guard.closed == {"write_buffer_full": 1}
    conn.write(b"z")  # after the abort: dropped
    assert transport.written == [b"x" * 10, b"y"]
