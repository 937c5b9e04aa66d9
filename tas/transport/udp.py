"""UDP (RFC 3261 §18): one datagram socket per listen address with large kernel buffers.

Each datagram goes to the stack with its source as a :class:`~tas.sip.transaction_base.Peer`;
the stack answers on the same socket. SO_RCVBUF/SO_SNDBUF are raised (4 MiB asked; the kernel
caps at ``net.core.rmem_max`` unless SO_RCVBUFFORCE is permitted) so bursts are not dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, cast

from tas.hostport import HostPort
from tas.logs import log_event
from tas.sip.transaction_base import Peer

if TYPE_CHECKING:
    from tas.transport.stack import SipStack

__all__ = ["DatagramEndpoint", "open_udp", "BUFFER_BYTES"]

log = logging.getLogger("tas.transport")

BUFFER_BYTES = 4 * 1024 * 1024


class DatagramEndpoint(asyncio.DatagramProtocol):
    """One bound UDP socket."""

    def __init__(self, stack: SipStack) -> None:
        self.stack = stack
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("", 0)
        self._peers: dict[tuple[str | object, ...], Peer] = {}  # source address -> Peer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass
        host, port = transport.get_extra_info("sockname")[:2]
        self.local = (host, port)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        peer = self._peers.get(addr)
        if peer is None:
            if len(self._peers) > 4096:
                self._peers.clear()
            peer = self._peers[addr] = Peer("UDP", str(addr[0]), int(str(addr[1])))
        self.stack.receive_datagram(data, peer)

    def error_received(self, exc: Exception) -> None:
        self.stack.udp_error(exc)

    def sendto(self, data: bytes, peer: Peer) -> None:
        if self.transport is not None:
            self.transport.sendto(data, (peer.host, peer.port))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for force, plain in (
        (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF),
        (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF),
    ):
        try:
            if force is None:
                raise PermissionError
            sock.setsockopt(socket.SOL_SOCKET, force, BUFFER_BYTES)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER_BYTES)
    # No SO_REUSEADDR: on UDP it would let a second server share (and steal from) the port.
    try:
        sock.bind((host, port))
    except OSError as exc:  # name the address: "[Errno 98] Address already in use" alone does not
        sock.close()
        raise OSError(exc.errno, f"cannot bind UDP {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


async def open_udp(stack: SipStack, host: str, port: int) -> DatagramEndpoint:
    """Bind ``host:port`` (0 = any free port) and start receiving."""
    loop = asyncio.get_running_loop()
    sock = _socket(host, port)
    _, protocol = await loop.create_datagram_endpoint(lambda: DatagramEndpoint(stack), sock=sock)
    log_event(
        log,
        "udp_bound",
        level=logging.DEBUG,
        local=str(HostPort(*protocol.local)),
        rcvbuf=sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
    )
    return protocol
