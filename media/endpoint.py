"""RTP/RTCP sockets of one call (asyncio adapter) with symmetric RTP latching.

RFC 4961 symmetric RTP: we send from the port we receive on, and once a valid RTP packet
arrives we send to its source address instead of the SDP one (latching), which gets
media through NATs and SBCs. A different source is accepted only after the latched one
has been quiet for ``relatch_after`` seconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from functools import partial

from media.errors import MediaError
from media.ports import PortPool

__all__ = ["Address", "RtpEndpoint"]

Address = tuple[str, int]
Handler = Callable[[bytes, float], None]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, Address], None]) -> None:
        # one Python call less per packet: the handler is the protocol method itself
        self.datagram_received = handler  # type: ignore[method-assign,assignment]

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable and friends
        pass


def _bound(family: int, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class RtpEndpoint:
    """A bound RTP socket (even port) and RTCP socket (port + 1) for one call."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int) -> None:
        self.loop = loop
        self.host = host
        self.port = port
        self.relatch_after = 0.5
        self.rtcp_mux = False
        self.remote: Address | None = None
        self.remote_rtcp: Address | None = None
        self.latched = False
        self.foreign = 0
        self.on_rtp: Handler | None = None
        self.on_rtcp: Handler | None = None
        self.accept_payload_types: frozenset[int] = frozenset()
        self._last_rx = 0.0
        self.send_dropped = 0
        self.send_errors = 0
        self._sock: socket.socket | None = None
        self._rtp: asyncio.DatagramTransport | None = None
        self._rtcp: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, host: str, pool: PortPool, attempts: int = 50) -> RtpEndpoint:
        """Bind the next free even/odd port pair from ``pool`` (skipping ports others hold)."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(attempts):
            port = pool.acquire()
            try:
                rtp_sock = _bound(family, host, port)
            except OSError:
                pool.release(port)
                continue
            try:
                rtcp_sock = _bound(family, host, port + 1)
            except OSError:
                rtp_sock.close()
                pool.release(port)
                continue
            endpoint = cls(loop, host, port)
            endpoint._sock = rtp_sock
            endpoint._rtp, _ = await loop.create_datagram_endpoint(
                partial(_Protocol, endpoint._rtp_received), sock=rtp_sock
            )
            endpoint._rtcp, _ = await loop.create_datagram_endpoint(
                partial(_Protocol, endpoint._rtcp_received), sock=rtcp_sock
            )
            return endpoint
        raise MediaError(f"no bindable RTP port pair on {host} after {attempts} attempts")

    @property
    def family(self) -> int:
        """``AF_INET6`` or ``AF_INET``: the family both sockets are bound in."""
        return socket.AF_INET6 if ":" in self.host else socket.AF_INET

    def set_remote(self, rtp: Address, rtcp: Address, rtcp_mux: bool) -> None:
        """Where the SDP says to send; a later latch overrides it. :class:`MediaError` when
        the address is of the other IP family than our sockets (we never send there)."""
        if (":" in rtp[0]) != (self.family == socket.AF_INET6):
            raise MediaError(f"remote {rtp[0]} is not reachable from our {self.host} socket")
        if self.remote is None or not self.latched or rtp[0] != self.remote[0]:
            self.remote = rtp
            self.latched = False
        self.remote_rtcp = rtcp
        self.rtcp_mux = rtcp_mux

    def send_rtp(self, data: bytes) -> None:
        """Send one RTP datagram straight on the socket: media is never queued; if the
        kernel buffer is full the packet is dropped (and counted), as late audio is useless."""
        if self._sock is not None and self.remote is not None:
            try:
                self._sock.sendto(data, self.remote)
            except (BlockingIOError, InterruptedError):
                self.send_dropped += 1
            except OSError:  # e.g. ICMP unreachable reported on a later send
                self.send_errors += 1

    def send_rtcp(self, data: bytes) -> None:
        """Send one RTCP compound packet; a failure is counted, never raised (RTCP is
        best effort, and a BYE must not stop the ports being released)."""
        try:
            if self.rtcp_mux:
                if self._rtp is not None and self.remote is not None:
                    self._rtp.sendto(data, self.remote)
            elif self._rtcp is not None and self.remote_rtcp is not None:
                self._rtcp.sendto(data, self.remote_rtcp)
        except (OSError, ValueError):  # e.g. uvloop's "socket family mismatch"
            self.send_errors += 1

    def _rtp_received(self, data: bytes, addr: Address) -> None:
        now = self.loop.time()
        if self.rtcp_mux and len(data) > 1 and 192 <= data[1] <= 223:  # RFC 5761 §4: RTCP
            self._rtcp_received(data, addr)
            return
        if addr != self.remote or not self.latched:
            if not self._may_latch(data, addr, now):
                self.foreign += 1
                return
        self._last_rx = now
        if self.on_rtp is not None:
            self.on_rtp(data, now)

    def _may_latch(self, data: bytes, addr: Address, now: float) -> bool:
        if len(data) < 12 or data[0] >> 6 != 2:
            return False
        if self.accept_payload_types and data[1] & 0x7F not in self.accept_payload_types:
            return False
        if self.latched and now - self._last_rx < self.relatch_after:
            return False
        if self.remote is not None and self.remote_rtcp is not None and not self.rtcp_mux:
            if self.remote_rtcp[0] == self.remote[0] and self.remote_rtcp[1] == self.remote[1] + 1:
                self.remote_rtcp = (addr[0], addr[1] + 1)
        self.remote = addr
        self.latched = True
        return True

    def _rtcp_received(self, data: bytes, addr: Address) -> None:
        if self.on_rtcp is not None:
            self.on_rtcp(data, self.loop.time())

    def close(self) -> None:
        for transport in (self._rtp, self._rtcp):
            if transport is not None:
                transport.close()
        self._rtp = self._rtcp = None
        self._sock = None
