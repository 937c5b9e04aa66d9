"""What the call application needs from the SIP stack around it (``SipStack`` in ``tas serve``,
an in-memory endpoint on a virtual clock in unit tests)."""

from __future__ import annotations

from typing import Protocol

from tas.sip.endpoint import Endpoint
from tas.sip.transaction_base import Peer
from tas.transport.capture import WireCapture
from tas.transport.trust import Trust

__all__ = ["CallHost"]


class CallHost(Protocol):
    """The endpoint the app acts through, its clock, and the stack's trust policy."""

    @property
    def endpoint(self) -> Endpoint: ...
    def now(self) -> float: ...
    def flush(self) -> None:
        """Send what the endpoint queued (after acting outside an event handler)."""

    def trust_of(self, peer: Peer) -> Trust:
        """Where a message came from (tas.transport.trust)."""

    @property
    def capture(self) -> WireCapture | None:
        """Per-call SIP message summaries for the ladder (tas.transport.capture); None: off."""
