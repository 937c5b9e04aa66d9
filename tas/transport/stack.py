"""The running SIP stack: the sans-IO :class:`~tas.sip.endpoint.Endpoint` on asyncio sockets.

:class:`SipStack` binds the UDP, TCP and TLS listeners, feeds every datagram / stream frame
with ``loop.time()`` into the endpoint, sends what it returns, hands each event of a call to
that call's listener (``call.listener``, :mod:`tas.sip.listener`) and every other event (new
calls, out-of-dialog requests, calls nobody listens to) to ``on_event``, and keeps ONE ``loop.call_at`` armed for the endpoint's next deadline (DESIGN principle 1-2).

Sending (§18): UDP goes out of the first UDP socket; TCP/TLS go on the connection the peer
names (``Peer.conn``: responses reuse the request's connection), else on an open connection
to the same address (outbound reuse), else on a new connection; when that fails the endpoint
gets ``transport_error`` so its transactions fail with 503.

Trust (:mod:`tas.transport.trust`): :meth:`SipStack.trust_of` classifies a source by address
and, on TLS, by the names of the connection's verified client certificate. With
``StackOptions.enforce_trust`` the endpoint marks calls from untrusted sources (no 2xx
retransmission, no BYE of a never-ACKed dialog, in-dialog requests only to the source) and the
stack never opens a connection to an untrusted peer whose connection is gone: responses go on
the request's connection or nowhere (issue #10, "no reflection").

Overload control (:mod:`tas.transport.guard`, issue #10): a datagram pays a token from its
source's bucket and passes the byte prefilter before it is parsed (TCP/TLS: per connection,
and the framer applies the prefilter to each frame); new INVITEs and out-of-dialog requests
are admitted, answered 503 + Retry-After (trusted sources) or dropped (untrusted) by
:meth:`OverloadGuard.admit`; while event-loop lag signals overload, untrusted datagrams are
shed unparsed. Errors are logged once per reason per interval, with counts.

Acting outside ``on_event`` (from a task or a timer)::

    stack.endpoint.bye(call, stack.now())
    stack.flush()
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import replace

from tas.logs import log_event
from tas.sip.endpoint import Endpoint, EndpointConfig
from tas.sip.errors import ParseError, RemoteProtocolError
from tas.sip.events import Event
from tas.sip.framing import Refused
from tas.sip.listener import deliver
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tas.transport.capture import WireCapture
from tas.transport.guard import LagMonitor, OverloadGuard
from tas.transport.overload import (
    MINIMAL_STATUS,
    minimal_response,
    prefilter,
    too_many_vias,
)
from tas.transport.stack_options import StackOptions, parse_hostport
from tas.transport.stream import ConnectionGuard, StreamConnection
from tas.transport.tls import TlsAcceptor
from tas.transport.trust import Trust, cert_names
from tas.transport.udp import DatagramEndpoint, open_udp

__all__ = ["SipStack", "StackOptions", "parse_hostport"]  # the options: stack_options.py

log = logging.getLogger("tas.transport")


class SipStack:
    """Endpoint + sockets + one timer. Create with :meth:`open`."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.loop = asyncio.get_running_loop()
        self.endpoint: Endpoint
        self.on_event: Callable[[Event], None] = _drop_event
        self.local: dict[str, tuple[str, int]] = {}
        self._udp: list[DatagramEndpoint] = []
        self._servers: list[asyncio.Server | TlsAcceptor] = []
        self._conns: dict[int, StreamConnection] = {}
        self._by_addr: dict[tuple[str, str, int], int] = {}
        self._connecting: dict[tuple[str, str, int], list[tuple[bytes, Peer]]] = {}
        # (transport, host, port) of the last failed connect and why (the harness names it)
        self.last_connect_error: tuple[tuple[str, str, int], OSError] | None = None
        self._next_conn = 1
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._cert_names: dict[int, tuple[str, ...]] = {}
        self.guard = ConnectionGuard(self.loop, options.connections)
        #: per-message DEBUG lines (first line, peer); decided once so the hot path stays cheap
        self.trace = log.isEnabledFor(logging.DEBUG)
        #: per-call message summaries for the console's ladder (None: off, the default)
        self.capture: WireCapture | None = None
        self.overload = OverloadGuard(options.limits)
        self._lag = LagMonitor(self.overload, self.loop)

    @classmethod
    async def open(cls, options: StackOptions) -> SipStack:
        """Bind every listener, then build the endpoint with the addresses actually bound."""
        stack = cls(options)
        try:
            await stack._bind()
        except BaseException:
            await stack.close()
            raise
        local = {
            name: (options.public_host or host, port) for name, (host, port) in stack.local.items()
        }
        config = EndpointConfig(
            local=local,
            user=options.user,
            user_agent=options.user_agent,
            timers=options.timers,
            session_timer=options.session_timer,
            reliable_provisionals=options.reliable_provisionals,
        )
        if options.allow is not None:
            config = replace(config, allow=options.allow)
        stack.endpoint = Endpoint(config)
        if options.enforce_trust:
            stack.endpoint.trusted_peer = lambda peer: stack.trust_of(peer).is_trusted
        stack._lag.start()
        return stack

    async def _bind(self) -> None:
        loop = self.loop
        limits = self.options.connections
        for text in self.options.udp:
            host, port = parse_hostport(text, 5060)
            udp = await open_udp(self, host, port)
            self._udp.append(udp)
            self.local.setdefault("UDP", udp.local)
        for name, listen, ctx in (
            ("TCP", self.options.tcp, None),
            ("TLS", self.options.tls, self.options.server_ssl),
        ):
            if listen and name == "TLS" and ctx is None:
                raise ValueError("TLS listeners need a server SSL context")
            for text in listen:
                host, port = parse_hostport(text, 5061 if name == "TLS" else 5060)
                server: asyncio.Server | TlsAcceptor
                if ctx is not None:  # admitted at accept(2), before the handshake
                    server = TlsAcceptor.listen(
                        host, port, limits.backlog, loop=loop, ctx=ctx, guard=self.guard,
                        factory=lambda source: StreamConnection(self, "TLS", reserved=source),
                        exempt=self._exempt,
                    )  # fmt: skip
                else:
                    server = await loop.create_server(
                        lambda: StreamConnection(self, "TCP"),
                        host,
                        port,
                        reuse_address=True,
                        backlog=limits.backlog,
                    )
                self._servers.append(server)
                bound = server.sockets[0].getsockname()
                self.local.setdefault(name, (bound[0], bound[1]))
        if self._servers:
            self.guard.start()

    def _exempt(self, host: str) -> bool:
        """Sources exempt from the per-source connection cap: the core (real or embedded)."""
        return self.trust_of(Peer("TLS", host, 0)).is_core

    def trust_of(self, peer: Peer) -> Trust:
        """The trust class of a message source (DESIGN: trust is decided at the edge); on TLS
        the names of the connection's verified client certificate count (mutual TLS)."""
        policy = self.options.trust
        names: tuple[str, ...] = ()
        if peer.conn is not None and peer.transport == "TLS" and policy.operator_names:
            cached = self._cert_names.get(peer.conn)
            if cached is not None:
                names = cached
            elif (conn := self._conns.get(peer.conn)) is not None:
                transport = conn.transport
                cert = transport.get_extra_info("peercert") if transport is not None else None
                names = self._cert_names[peer.conn] = cert_names(cert)
        return policy.classify(peer.host, names)

    # -- time and flushing ------------------------------------------------------------------

    def now(self) -> float:
        return self.loop.time()

    def flush(self) -> None:
        """Deliver events (to the call's listener, else to ``on_event``), send the outbox,
        re-arm the one timer."""
        endpoint = self.endpoint
        while True:
            events = endpoint.take_events()
            for event in events:
                try:
                    deliver(event, self.on_event)
                except Exception:
                    if self.overload.error("tu", self.loop.time()):  # one traceback per interval
                        log_event(
                            log,
                            "tu_error",
                            level=logging.ERROR,
                            exc_info=True,
                            kind=type(event).__name__,
                        )
            outbox = endpoint.take_outbox()
            if not outbox and not events:
                break
            for data, peer in outbox:
                self._send(data, peer)
        deadline = endpoint.next_deadline()
        if deadline is None or (self._timer is not None and self._timer_at <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(deadline, self._on_timer)
        self._timer_at = deadline

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self.endpoint.handle_timer(self.loop.time())
        except Exception:
            log_event(log, "timer_error", level=logging.ERROR, exc_info=True)
        self.flush()

    # -- inbound ----------------------------------------------------------------------------

    def receive_datagram(self, data: bytes, peer: Peer) -> None:
        """One datagram: the source's token bucket, the byte prefilter, then the parser."""
        now = self.loop.time()
        guard = self.overload
        trust = self.trust_of(peer)
        if not trust.is_trusted and guard.lag.overloaded:
            guard.dropped("overload", peer.host, now)  # shed the untrusted first, unparsed
            return
        if not guard.buckets.allow(peer.host, trust.is_trusted, now):
            guard.dropped("rate", peer.host, now)
            return
        reason = prefilter(data, guard.limits)
        if reason is not None:
            guard.dropped(reason, peer.host, now)
            if trust.is_trusted and reason in MINIMAL_STATUS:  # tell the core, in a few bytes
                response = minimal_response(data, *MINIMAL_STATUS[reason])
                if response is not None:
                    self.endpoint.layer.send_stateless(response, peer)
                    self.flush()
            return
        if self.trace:
            _trace("in", data, peer)
        try:
            message = parse_message(data)
        except ParseError as exc:
            self.receive_error(exc, peer)
            return
        if self.capture is not None:
            self.capture.record("in", data, peer)
        self._deliver(message, peer, trust.is_trusted, now)

    def receive_message(self, message: Request | Response, peer: Peer) -> None:
        """One frame of a TCP/TLS connection: the connection's bucket, then admission."""
        now = self.loop.time()
        guard = self.overload
        trusted = self.trust_of(peer).is_trusted
        if not guard.buckets.allow(("conn", peer.conn), trusted, now) and not trusted:
            guard.dropped("stream_rate", peer.host, now)  # an abusive connection: close it
            conn = self._conns.get(peer.conn) if peer.conn is not None else None
            if conn is not None:
                conn.close()
            return
        if self.trace:
            _trace("in", bytes(message), peer)
        if self.capture is not None:
            self.capture.record("in", bytes(message), peer)
        self._deliver(message, peer, trusted, now)

    def _deliver(self, message: Request | Response, peer: Peer, trusted: bool, now: float) -> None:
        """Admission control (tas.transport.admission), then the endpoint."""
        guard = self.overload
        if too_many_vias(len(message.via), guard.limits):
            guard.dropped("vias", peer.host, now)
            return
        if isinstance(message, Request) and message.to.tag is None:
            if not guard.admit(message, peer, trusted, self.endpoint, now):
                self.flush()  # the 503 (if any) is in the outbox
                return
        try:
            self.endpoint.receive_message(message, peer, now)
        except Exception:
            if guard.error("receive", now):
                log_event(
                    log,
                    "receive_error",
                    level=logging.ERROR,
                    exc_info=True,
                    peer=f"{peer.host}:{peer.port}",
                )
        self.flush()

    def frame_prefilter(self, frame: bytes) -> str | None:
        """The byte prefilter for TCP/TLS frames (tas.transport.overload.prefilter)."""
        return prefilter(frame, self.overload.limits)

    def receive_error(self, exc: RemoteProtocolError, peer: Peer) -> None:
        """A message that did not parse: answered per the RFC, logged once per interval."""
        now = self.loop.time()
        if isinstance(exc, Refused):  # a stream frame the prefilter refused: no answer
            self.overload.dropped(exc.why, peer.host, now)
            return
        if self.overload.error("bad_message", now):
            log_event(log, "bad_message", peer=f"{peer.host}:{peer.port}", reason=exc.reason)
        self.endpoint.receive_error(exc, peer)
        self.flush()

    # -- connections ------------------------------------------------------------------------

    def next_connection_id(self) -> int:
        conn_id = self._next_conn
        self._next_conn += 1
        return conn_id

    def register_connection(self, conn: StreamConnection, host: str, port: int) -> None:
        """``conn`` (id from :meth:`next_connection_id`) is open and admitted."""
        self._conns[conn.conn_id] = conn
        self._by_addr.setdefault((conn.name, host, port), conn.conn_id)

    def forget_connection(self, conn: StreamConnection) -> None:
        self._conns.pop(conn.conn_id, None)
        self._cert_names.pop(conn.conn_id, None)
        self.overload.buckets.forget(("conn", conn.conn_id))
        key = (conn.name, conn.peer.host, conn.peer.port)
        if self._by_addr.get(key) == conn.conn_id:
            del self._by_addr[key]

    # -- outbound ---------------------------------------------------------------------------

    def _send(self, data: bytes, peer: Peer) -> None:
        if self.trace:
            _trace("out", data, peer)
        if self.capture is not None:
            self.capture.record("out", data, peer)
        if peer.transport == "UDP":
            if self._udp:
                self._udp[0].sendto(data, peer)
            else:  # no UDP listener to send from: fail what used it (503 to the TU)
                self.endpoint.transport_error(peer, self.loop.time())
            return
        conn = self._conns.get(peer.conn) if peer.conn is not None else None
        if conn is None:
            conn_id = self._by_addr.get((peer.transport, peer.host, peer.port))
            conn = self._conns.get(conn_id) if conn_id is not None else None
        if conn is not None:
            conn.write(data)
            return
        if peer.conn is not None and self.options.enforce_trust:
            if not self.trust_of(peer).is_trusted:  # its connection is gone: never dial it
                log_event(
                    log,
                    "no_reflection",
                    level=logging.DEBUG,
                    peer=f"{peer.transport}:{peer.host}:{peer.port}",
                )
                self.endpoint.transport_error(peer, self.loop.time())
                return
        key = (peer.transport, peer.host, peer.port)
        waiting = self._connecting.get(key)
        if waiting is not None:
            waiting.append((data, peer))
            return
        self._connecting[key] = [(data, peer)]
        task = self.loop.create_task(self._connect(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, key: tuple[str, str, int]) -> None:
        name, host, port = key
        ctx = None
        if name == "TLS":
            ctx = self.options.client_ssl or ssl.create_default_context()
        try:
            _, conn = await self.loop.create_connection(
                lambda: StreamConnection(self, name, inbound=False), host, port, ssl=ctx
            )
        except OSError as exc:
            log_event(log, "connect_failed", peer=f"{name}:{host}:{port}", error=exc)
            self.last_connect_error = (key, exc)
            for _, peer in self._connecting.pop(key, []):
                self.endpoint.transport_error(peer, self.loop.time())
            self.flush()
            return
        for data, _ in self._connecting.pop(key, []):
            conn.write(data)

    def udp_error(self, exc: Exception) -> None:
        log_event(log, "udp_error", error=exc)

    # -- shutdown ---------------------------------------------------------------------------

    async def close(self) -> None:
        self.guard.stop()
        self._lag.stop()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for udp in self._udp:
            udp.close()
        for server in self._servers:
            server.close()
        for conn in list(self._conns.values()):
            conn.close()
        for server in self._servers:
            await server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        self._udp.clear()
        self._servers.clear()

    def connections(self) -> Iterable[StreamConnection]:
        return self._conns.values()


def _trace(direction: str, data: bytes, peer: Peer) -> None:
    first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    log_event(
        log,
        f"sip_{direction}",
        level=logging.DEBUG,
        transport=peer.transport,
        peer=f"{peer.host}:{peer.port}",
        bytes=len(data),
        line=first,
    )


def _drop_event(event: Event) -> None:
    log_event(log, "unhandled", level=logging.DEBUG, kind=type(event).__name__)
