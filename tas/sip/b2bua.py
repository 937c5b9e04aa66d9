"""What the two back-to-back user agents share (RFC 7092 §3.1 signalling-only B2BUA): the
host they run on and the one re-INVITE relay.

The call application's forwarding bridge (:mod:`tas.calls.b2bua`) and the sandbox core's
bridge (:mod:`tas.sandbox.legs`) are sans-IO apart from a :class:`BridgeHost` (endpoint, clock,
one-shot timers, flush), so unit tests drive them on in-memory endpoints and a virtual clock.
Both relay a re-INVITE across their answered pair through one :class:`ReinviteRelay`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import LocalProtocolError
from tas.sip.message import Request, Response

__all__ = ["BridgeHost", "ReinviteRelay", "TimerHandle"]

log = logging.getLogger(__name__)


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class BridgeHost(Protocol):
    """What a bridge needs from the SIP stack around it."""

    @property
    def endpoint(self) -> Endpoint: ...
    def now(self) -> float: ...
    def flush(self) -> None:
        """Send what the endpoint queued (after acting outside an event handler)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


class ReinviteRelay:
    """RFC 3261 §14 across a bridged pair: a re-INVITE on one leg is offered (SDP unchanged)
    to the other; the other leg's final response answers the waiting re-INVITE. A leg that
    is not confirmed, or has a re-INVITE of its own outstanding, makes it 491 (§14.1 glare)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._waiting: dict[Call, Call] = {}  # leg we re-INVITEd -> leg whose re-INVITE waits

    def relay(self, source: Call, other: Call | None, request: Request, now: float) -> None:
        """``source`` got the re-INVITE ``request``; ``other`` is its partner (None: none)."""
        if other is None or other.state != "confirmed" or other.reinvite_out is not None:
            self._reject(source, 491, now)
            return
        try:
            self.endpoint.reinvite(other, request.body, now)
        except LocalProtocolError:
            self._reject(source, 491, now)
            return
        self._waiting[other] = source

    def result(self, other: Call, response: Response, now: float) -> None:
        """The final response to the re-INVITE we sent on ``other``."""
        source = self._waiting.pop(other, None)
        if source is None or source.reinvite_in is None:
            return
        if 200 <= response.status < 300:
            self.endpoint.answer_reinvite(source, response.body, now)
        else:
            self._reject(source, max(response.status, 400), now)

    def _reject(self, source: Call, status: int, now: float) -> None:
        try:
            self.endpoint.reject_reinvite(source, status, now)
        except LocalProtocolError as exc:  # the leg just ended
            log.info("bridge: re-INVITE answer skipped: %s", exc)
