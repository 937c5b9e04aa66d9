"""The harness's SIP stack: :class:`~tas.transport.stack.SipStack` with a wire tap, so one
stack carries a single call or a whole load run.

Every message sent or received goes to ``tap(direction, data, now, peer)`` (the SIP ladder);
a call's events go to the listener (``call.listener``, :mod:`tas.sip.listener`) set by whoever
placed the call; :meth:`HarnessStack.dispatch` answers what no listener takes.
"""

from __future__ import annotations

import logging
import ssl
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tas.sip.events import Event, ReInvite, RequestReceived
from tas.sip.message import Request, Response
from tas.sip.timers import TimerConfig
from tas.sip.transaction_base import Peer
from tas.transport.stack import SipStack, StackOptions
from tas.transport.tls import ensure_self_signed, server_context

__all__ = ["HarnessStack", "open_stack"]

log = logging.getLogger(__name__)

Tap = Callable[[str, bytes, float, str], None]


class HarnessStack(SipStack):
    """A client-side stack; ``tap`` sees the wire (``time.perf_counter`` times: the loop clock
    may tick in whole milliseconds); each call's listener gets its events."""

    tap: Tap | None = None

    def _send(self, data: bytes, peer: Peer) -> None:
        if self.tap is not None:
            self.tap("out", data, time.perf_counter(), _peer_text(peer))
        super()._send(data, peer)

    def receive_datagram(self, data: bytes, peer: Peer) -> None:
        if self.tap is not None:
            self.tap("in", data, time.perf_counter(), _peer_text(peer))
        super().receive_datagram(data, peer)

    def receive_message(self, message: Request | Response, peer: Peer) -> None:
        if self.tap is not None:
            self.tap("in", bytes(message), time.perf_counter(), _peer_text(peer))
        super().receive_message(message, peer)

    def dispatch(self, event: Event) -> None:
        """``on_event``: what no call listener takes (out-of-dialog requests, calls whose
        placer let go: a re-INVITE gets the call's current SDP)."""
        if isinstance(event, RequestReceived):  # out of dialog (OPTIONS is answered for us)
            self.endpoint.respond(event.transaction, 405, self.now())
        elif isinstance(event, ReInvite):
            self.endpoint.answer_reinvite(event.call, event.call.local_sdp, self.now())


def _peer_text(peer: Peer) -> str:
    return f"{peer.transport}:{peer.host}:{peer.port}"


async def open_stack(
    transport: str,
    host: str = "127.0.0.1",
    *,
    user: str = "harness",
    client_ssl: ssl.SSLContext | None = None,
    timers: TimerConfig | None = None,
) -> HarnessStack:
    """A stack listening on ``host`` (port picked by the OS) for ``transport`` replies.

    UDP is always bound (RFC 3261 §18 responses and retransmissions); TCP or TLS listeners
    are added when the call uses them, so the far end can send in-dialog requests back
    (a TLS listener gets a throw-away self-signed certificate).
    """
    server_ssl = None
    tls: tuple[str, ...] = ()
    if transport == "TLS":
        cert, key = ensure_self_signed(Path(tempfile.mkdtemp(prefix="tas-harness-")), host)
        server_ssl = server_context(cert, key)
        tls = (f"{_bracket(host)}:0",)
    options = StackOptions(
        udp=(f"{_bracket(host)}:0",),
        tcp=(f"{_bracket(host)}:0",) if transport == "TCP" else (),
        tls=tls,
        server_ssl=server_ssl,
        client_ssl=client_ssl,
        user=user,
        user_agent="tas-harness",
        timers=timers or TimerConfig(),
    )
    stack = await HarnessStack.open(options)
    assert isinstance(stack, HarnessStack)
    stack.on_event = stack.dispatch
    return stack


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
