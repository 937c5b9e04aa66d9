"""TCP and TLS connections (RFC 3261 §18.3): one asyncio protocol per connection.

Inbound bytes go through :class:`~tas.sip.framing.StreamFramer`; every complete message is
handed to the stack with the connection's id, keep-alive pings get a pong (RFC 5626 §3.5.1),
a frame that does not parse is answered from its partial message, and a stream that cannot be
framed any more is closed.

Hygiene (:mod:`tas.transport.connections`): a connection whose peer is already gone when
``connection_made`` runs (a reset between accept(2) and the callback: no peer name) is aborted
at once; inbound connections beyond the total / per-source limits are refused;
:class:`ConnectionGuard` sweeps idle and slow-loris connections on one periodic timer. Every
path ends in ``transport.abort()`` or ``close()`` and in ``connection_lost``, which forgets
the connection in the stack and the table.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import TYPE_CHECKING, Any, cast

from tas.hostport import HostPort
from tas.logs import log_event
from tas.sip.errors import FramingError, ParseError
from tas.sip.framing import PONG, KeepAlive, StreamFramer
from tas.sip.transaction_base import Peer
from tas.transport.connections import (
    WRITE_BUFFER,
    ConnectionLimits,
    ConnectionTable,
    Flow,
    LogThrottle,
)

if TYPE_CHECKING:
    from tas.transport.stack import SipStack

__all__ = ["ConnectionGuard", "StreamConnection"]

log = logging.getLogger("tas.transport")

#: reason logged for a connection reset before ``connection_made`` could read its peer
RESET = "reset_before_open"
#: closings that happen in normal operation (logged at INFO; limits and slow-loris: WARNING)
ROUTINE = frozenset({"idle_timeout", RESET, "tls_handshake_failed"})
#: descriptors kept for everything else (database, files, RTP sockets of the calls)
FD_RESERVE = 1024


def ensure_fd_limit(need: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``need`` (up to the hard limit); the new soft
    limit. Beyond it accept(2) fails with EMFILE and the listener stalls for everyone."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
        if soft < need:
            log_event(
                log, "fd_limit", level=logging.WARNING, soft=soft, wanted=need, hint="ulimit -n"
            )
    return int(soft)


class ConnectionGuard:
    """The asyncio side of :class:`ConnectionTable`: one sweep timer, rate-limited logging."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, limits: ConnectionLimits | None = None
    ) -> None:
        self.loop = loop
        self.table = ConnectionTable(limits)
        self.limits = self.table.limits
        self.throttle = LogThrottle()
        #: connections closed or refused since start, by reason (metrics)
        self.closed: dict[str, int] = {}
        self.conns: dict[int, StreamConnection] = {}
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start sweeping (and make room for ``max_connections`` descriptors)."""
        ensure_fd_limit(self.limits.max_connections + FD_RESERVE)
        if self._timer is None:
            self._timer = self.loop.call_later(self.limits.sweep, self._sweep)

    def stop(self) -> None:
        """Stop sweeping; log the counts still held back by the throttle."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for reason, count in self.throttle.drain(float("inf")):
            self._log(reason, count, {})

    def event(self, reason: str, count: int = 1, **fields: object) -> None:
        """Count one closing/refusal; log it if the reason's interval allows."""
        self.closed[reason] = self.closed.get(reason, 0) + count
        n = self.throttle.note(reason, self.loop.time(), count)
        if n is not None:
            self._log(reason, n, fields)

    def _log(self, reason: str, count: int, fields: dict[str, Any]) -> None:
        log_event(
            log,
            "connection_closed",
            level=logging.INFO if reason in ROUTINE else logging.WARNING,
            reason=reason,
            count=count,
            interval_s=self.throttle.interval,
            open=len(self.table),
            **fields,
        )

    def admit(self, conn: StreamConnection, host: str, exempt: bool) -> Flow | None:
        """Track ``conn`` or return ``None`` (the caller aborts) when a limit refuses it;
        a connection admitted before its TLS handshake (``reserved``) is not checked again."""
        now = self.loop.time()
        if conn.reserved is not None:
            conn.reserved = None
            self.conns[conn.conn_id] = conn
            return self.table.open(conn.conn_id, host, now, reserved=True)
        if conn.inbound:
            reason = self.table.admit(host, exempt=exempt)
            if reason is not None:
                self.event(reason, source=host)
                return None
        self.conns[conn.conn_id] = conn
        return self.table.open(conn.conn_id, host, now, inbound=conn.inbound)

    def forget(self, conn_id: int) -> None:
        if self.conns.pop(conn_id, None) is not None:
            self.table.close(conn_id)

    def _sweep(self) -> None:
        now = self.loop.time()
        self._timer = self.loop.call_at(now + self.limits.sweep, self._sweep)
        counts: dict[str, int] = {}
        for conn_id, reason in self.table.expired(now):
            conn = self.conns.get(conn_id)
            self.forget(conn_id)  # forgotten now even if connection_lost comes late
            if conn is not None:
                conn.abort()
            counts[reason] = counts.get(reason, 0) + 1
        for reason, count in counts.items():
            self.event(reason, count)
        for reason, count in self.throttle.drain(now):
            self._log(reason, count, {})


class StreamConnection(asyncio.Protocol):
    """One TCP or TLS connection, inbound (accepted) or outbound (ours)."""

    def __init__(
        self,
        stack: SipStack,
        transport_name: str,
        *,
        inbound: bool = True,
        reserved: str | None = None,
    ) -> None:
        self.stack = stack
        #: the source whose slot the TLS acceptor reserved before the handshake
        self.reserved = reserved
        self.name = transport_name
        self.inbound = inbound
        self.framer = StreamFramer(prefilter=stack.frame_prefilter)
        self.transport: asyncio.Transport | None = None
        self.conn_id = 0
        self.peer = Peer(transport_name, "", 0)
        self.flow: Flow | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        try:
            self._open(transport)
        except Exception as exc:  # never leave an accepted socket open and untracked
            self.stack.guard.event("open_error", error=repr(exc))
            self.abort()
        if self.reserved is not None:  # not admitted after all: give the slot back
            self.stack.guard.table.release(self.reserved)
            self.reserved = None

    def _open(self, transport: asyncio.BaseTransport) -> None:
        guard = self.stack.guard
        peername = transport.get_extra_info("peername")
        if not isinstance(peername, tuple) or len(peername) < 2:
            # RST between accept(2) and this callback: getpeername() failed (ENOTCONN).
            guard.event(RESET, transport=self.name)
            self.abort()
            return
        host, port = str(peername[0]), int(peername[1])
        self.peer = Peer(self.name, host, port)
        self.conn_id = self.stack.next_connection_id()
        flow = guard.admit(self, host, self.inbound and self._exempt())
        if flow is None:
            self.abort()
            return
        self.flow = flow
        self.stack.register_connection(self, host, port)
        self.peer = Peer(self.name, host, port, self.conn_id)
        log_event(
            log,
            "connection_open",
            level=logging.DEBUG,
            transport=self.name,
            peer=str(HostPort(host, port)),
        )

    def _exempt(self) -> bool:
        try:
            return self.stack.trust_of(self.peer).is_core
        except Exception:  # a trust policy must never break accept
            return False

    def data_received(self, data: bytes) -> None:
        flow = self.flow
        if flow is None:  # refused or swept: nothing more is read
            return
        framer = self.framer
        framer.feed(data)
        stack = self.stack
        completed = False
        for item in framer:
            completed = True
            if isinstance(item, KeepAlive):
                self.write(PONG)
            elif isinstance(item, FramingError):
                peer = self.peer
                log_event(
                    log,
                    "framing_error",
                    peer=str(HostPort(peer.host, peer.port)),
                    reason=item.reason,
                )
                stack.receive_error(item, self.peer)
                self.close()
                return
            elif isinstance(item, ParseError):
                stack.receive_error(item, self.peer)
            else:
                stack.receive_message(item, self.peer)
        flow.received(stack.loop.time(), completed=completed, pending=framer.pending)

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        guard = self.stack.guard
        if transport.get_write_buffer_size() > guard.limits.max_write_buffer:
            guard.event(WRITE_BUFFER, source=self.peer.host)
            self.abort()  # it does not read: drop it rather than buffer without bound

    def close(self) -> None:
        """Graceful close (flushes what is queued)."""
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close now, dropping queued output: a peer that does not read cannot keep the fd."""
        self.flow = None
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.flow = None
        self.stack.guard.forget(self.conn_id)
        self.stack.forget_connection(self)
        log_event(
            log, "connection_closed", level=logging.DEBUG, transport=self.name, conn=self.conn_id
        )
