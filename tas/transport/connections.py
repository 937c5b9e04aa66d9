"""Connection hygiene for TCP/TLS listeners, sans-IO (RFC 3261 §18.3, RFC 5626 §3.5.1, §4.4.1).

A SIP server that accepts connections from the internet must bound what they hold:

* **admission** — at most ``max_connections`` inbound connections in total and
  ``max_per_source`` from one source address; a connection beyond either is closed at once;
* **idle timeout** — an inbound connection on which no complete message and no RFC 5626
  §3.5.1 keep-alive (CRLFCRLF ping) arrived for ``idle_timeout`` seconds is closed. RFC 5626
  §4.4.1 recommends keep-alive intervals of 95-120 s on connection-oriented transports, so the
  default (300 s) leaves a flow that pings as the RFC says open for ever;
* **message (header) timeout** — a message whose first byte arrived must be complete within
  ``header_timeout`` seconds (a slow-loris peer trickling a head never completes one). Like
  Kamailio's ``tcp_msg_read_timeout`` the clock runs until the whole message (head and body)
  is framed, so a trickled body is bounded as well;
* **write buffer** — a peer that sends requests but never reads the responses is aborted
  once ``max_write_buffer`` bytes are queued towards it;
* **TLS handshake timeout** — handed to asyncio's ``ssl_handshake_timeout``. The TLS
  listener (:class:`tas.transport.tls.TlsAcceptor`) admits a connection at accept(2), before
  the handshake, and :meth:`ConnectionTable.reserve` counts it while it handshakes.

:class:`ConnectionTable` keeps the counts and one small :class:`Flow` record per connection;
:meth:`ConnectionTable.expired` is a sweep the adapter runs every :attr:`ConnectionLimits.sweep`
seconds (one periodic timer for all connections: O(n) float compares per sweep, about
0.3 ms per 10,000 connections). :class:`LogThrottle` turns per-connection events into one
log line per reason per interval, with counts. Every method takes ``now``; nothing here reads a
clock or touches a socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "ConnectionLimits",
    "ConnectionTable",
    "Flow",
    "LogThrottle",
    "IDLE",
    "HEADER",
    "MAX_CONNECTIONS",
    "MAX_PER_SOURCE",
    "WRITE_BUFFER",
]

#: Reasons a connection is closed or refused (the ``reason=`` of the log lines).
IDLE = "idle_timeout"
HEADER = "header_timeout"
MAX_CONNECTIONS = "max_connections"
MAX_PER_SOURCE = "max_connections_per_source"
WRITE_BUFFER = "write_buffer_full"


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Bounds for stream connections; ``0`` disables a timeout or a limit."""

    idle_timeout: float = 300.0
    header_timeout: float = 10.0
    tls_handshake_timeout: float = 10.0
    max_connections: int = 4096
    max_per_source: int = 256
    #: listen(2) backlog of the TCP/TLS listeners
    backlog: int = 1024
    #: bytes queued towards a peer that does not read before the connection is aborted
    max_write_buffer: int = 1 << 20

    @property
    def sweep(self) -> float:
        """Seconds between sweeps: 1 s, or a quarter of the shortest timeout when shorter."""
        timeouts = [t / 4 for t in (self.idle_timeout, self.header_timeout) if t > 0]
        return max(0.05, min([1.0, *timeouts]))


class Flow:
    """What the table knows of one connection; the adapter updates it as bytes arrive."""

    __slots__ = ("conn_id", "host", "inbound", "last_active", "started_at")

    def __init__(self, conn_id: int, host: str, inbound: bool, now: float) -> None:
        self.conn_id = conn_id
        self.host = host
        self.inbound = inbound
        #: when the last complete message or keep-alive arrived (or the connection opened)
        self.last_active = now
        #: when the first byte of a still incomplete message arrived; ``None``: between messages
        self.started_at: float | None = None

    def received(self, now: float, *, completed: bool, pending: bool) -> None:
        """Bytes arrived: ``completed`` when they finished at least one message or keep-alive
        (RFC 5626 §3.5.1 pings count as activity), ``pending`` when a message is left
        incomplete in the framer afterwards."""
        if completed:
            self.last_active = now
            self.started_at = now if pending else None
        elif pending and self.started_at is None:
            self.started_at = now


class ConnectionTable:
    """Counts, admission and timeouts of stream connections (see the module docstring)."""

    def __init__(self, limits: ConnectionLimits | None = None) -> None:
        self.limits = limits or ConnectionLimits()
        self._flows: dict[int, Flow] = {}
        self._per_source: dict[str, int] = {}
        self.inbound = 0

    def __len__(self) -> int:
        return len(self._flows)

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows.values())

    def from_source(self, host: str) -> int:
        """Open inbound connections from ``host``."""
        return self._per_source.get(host, 0)

    def admit(self, host: str, *, exempt: bool = False) -> str | None:
        """``None`` when one more inbound connection from ``host`` may open, else the reason
        to refuse it. ``exempt`` sources (e.g. the operator core) skip the per-source limit,
        never the total."""
        limits = self.limits
        if limits.max_connections and self.inbound >= limits.max_connections:
            return MAX_CONNECTIONS
        if (
            not exempt
            and limits.max_per_source
            and self._per_source.get(host, 0) >= limits.max_per_source
        ):
            return MAX_PER_SOURCE
        return None

    def open(
        self, conn_id: int, host: str, now: float, *, inbound: bool = True, reserved: bool = False
    ) -> Flow:
        """Track a connection that is now open (after :meth:`admit` for inbound ones);
        ``reserved``: its slot was taken by :meth:`reserve` already."""
        flow = Flow(conn_id, host, inbound, now)
        self._flows[conn_id] = flow
        if inbound and not reserved:
            self.reserve(host)
        return flow

    def reserve(self, host: str) -> None:
        """Count an admitted inbound connection that is not open yet (a TLS handshake)."""
        self.inbound += 1
        self._per_source[host] = self._per_source.get(host, 0) + 1

    def release(self, host: str) -> None:
        """Give back a slot of :meth:`reserve` (the handshake failed)."""
        left = self._per_source.get(host, 0) - 1
        if left < 0:
            return
        self.inbound -= 1
        if left:
            self._per_source[host] = left
        else:
            del self._per_source[host]

    def close(self, conn_id: int) -> None:
        """Forget a connection; closing an unknown or already closed one is a no-op."""
        flow = self._flows.pop(conn_id, None)
        if flow is not None and flow.inbound:
            self.release(flow.host)

    def expired(self, now: float) -> list[tuple[int, str]]:
        """Connections to close now, with the reason; they stay tracked until :meth:`close`.

        The message timeout applies to every connection, the idle timeout only to inbound
        ones (an outbound flow is ours to keep, RFC 5626 §4.4.1)."""
        idle, header = self.limits.idle_timeout, self.limits.header_timeout
        out: list[tuple[int, str]] = []
        for flow in self._flows.values():
            started = flow.started_at
            if started is not None:
                if header and now - started >= header:
                    out.append((flow.conn_id, HEADER))
            elif idle and flow.inbound and now - flow.last_active >= idle:
                out.append((flow.conn_id, IDLE))
        return out


class LogThrottle:
    """One log line per reason per ``interval`` seconds, carrying how many events it covers.

    :meth:`note` returns the count to log now (the first event of a quiet reason is logged at
    once) or ``None`` while the reason's interval runs; :meth:`drain` returns the counts
    accumulated by reasons whose interval is over, so the tail of a burst is reported too.
    """

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._pending: dict[str, int] = {}

    def note(self, reason: str, now: float, count: int = 1) -> int | None:
        if now >= self._next.get(reason, float("-inf")):
            self._next[reason] = now + self.interval
            return self._pending.pop(reason, 0) + count
        self._pending[reason] = self._pending.get(reason, 0) + count
        return None

    def drain(self, now: float) -> list[tuple[str, int]]:
        due = [(r, n) for r, n in self._pending.items() if now >= self._next[r]]
        for reason, _ in due:
            del self._pending[reason]
            self._next[reason] = now + self.interval
        return due
