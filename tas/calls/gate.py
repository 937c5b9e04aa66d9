"""The trust gate of the call application (issue #10, "trust boundary").

Only a leg from the operator core (:attr:`~tas.transport.trust.Trust.is_core`: a configured
core source or the embedded sandbox) is a breakout leg: route decoding, MO/MT, forwarding
(B2BUA), LOOP back to the core, P-Asserted-Identity (RFC 3325 §9.1: trusted only within a
Trust Domain), the ``[invite]`` fallback for numbers without registration.

Everything else gets ONE answer, decided from the source alone before any lookup, so it tells
nothing about numbers or route types (no enumeration, RFC 3261 §26.1.2 / §26.3.2.4): the same
status and reason phrase for every Request-URI, the same header set (the endpoint's plain
final response: Via, From, To with our tag, Call-ID, CSeq), sent at once. Out-of-dialog
requests that reach the TU (MESSAGE, INFO, NOTIFY …) get the same answer; OPTIONS is answered
by the UA core identically for everyone (§11.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tas.logs import log_event
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import RequestReceived
from tas.sip.transaction_base import Peer
from tas.transport.trust import Trust

__all__ = ["TrustGate"]

log = logging.getLogger(__name__)

_LOG_EVERY = 1000


@dataclass(slots=True)
class TrustGate:
    """Decides per leg whether it is a breakout leg; answers the others uniformly."""

    trust_of: Callable[[Peer], Trust]
    status: int = 403
    reason: str = "Forbidden"
    refused: int = field(default=0)

    def admits(self, peer: Peer) -> bool:
        """A leg from the operator core (real or embedded)?"""
        return self.trust_of(peer).is_core

    def refuse_call(self, endpoint: Endpoint, call: Call, now: float) -> None:
        """The uniform answer to an INVITE from an untrusted source."""
        self._count(call.peer)
        if call.state in ("incoming", "early"):
            endpoint.reject(call, self.status, now, self.reason)

    def refuse_request(self, endpoint: Endpoint, event: RequestReceived, now: float) -> None:
        """The same answer to an out-of-dialog request (MESSAGE, INFO …) from outside."""
        self._count(event.transaction.peer)
        endpoint.respond(event.transaction, self.status, now, reason=self.reason)

    def _count(self, peer: Peer) -> None:
        self.refused += 1
        if self.refused % _LOG_EVERY == 1:  # rate-limited: one line per 1000 refusals
            log_event(
                log,
                "untrusted_refused",
                peer=f"{peer.transport}:{peer.host}:{peer.port}",
                refused_total=self.refused,
                status=self.status,
            )
