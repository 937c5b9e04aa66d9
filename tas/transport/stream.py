"""TCP and TLS connections (RFC 3261 §18.3): one asyncio protocol per connection.

Inbound bytes go through :class:`~tas.sip.framing.StreamFramer`; every complete message is
handed to the stack with the connection's id, keep-alive pings get a pong (RFC 5626 §3.5.1),
a frame that does not parse is answered from its partial message, and a stream that cannot be
framed any more is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from tas.sip.errors import FramingError, ParseError
from tas.sip.framing import PONG, KeepAlive, StreamFramer
from tas.sip.transaction_base import Peer

if TYPE_CHECKING:
    from tas.transport.stack import SipStack

__all__ = ["StreamConnection"]

log = logging.getLogger("tas.transport")


class StreamConnection(asyncio.Protocol):
    """One TCP or TLS connection, inbound or outbound."""

    def __init__(self, stack: SipStack, transport_name: str) -> None:
        self.stack = stack
        self.name = transport_name
        self.framer = StreamFramer(prefilter=stack.frame_prefilter)
        self.transport: asyncio.Transport | None = None
        self.conn_id = 0
        self.peer = Peer(transport_name, "", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        host, port = transport.get_extra_info("peername")[:2]
        self.conn_id = self.stack.register_connection(self, host, port)
        self.peer = Peer(self.name, host, port, self.conn_id)
        log.debug("event=connection_open transport=%s peer=%s:%s", self.name, host, port)

    def data_received(self, data: bytes) -> None:
        framer = self.framer
        framer.feed(data)
        stack = self.stack
        for item in framer:
            if isinstance(item, KeepAlive):
                self.write(PONG)
            elif isinstance(item, FramingError):
                peer = self.peer
                log.info(
                    "event=framing_error peer=%s:%s reason=%r", peer.host, peer.port, item.reason
                )
                stack.receive_error(item, self.peer)
                self.close()
                return
            elif isinstance(item, ParseError):
                stack.receive_error(item, self.peer)
            else:
                stack.receive_message(item, self.peer)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stack.forget_connection(self)
        log.debug("event=connection_closed transport=%s conn=%s", self.name, self.conn_id)
