"""Events the UA core (:mod:`tas.sip.endpoint`) hands its transaction user.

Frozen slotted dataclasses; each carries the :class:`~tas.sip.call.Call` (or request handle)
it concerns so the TU can act on it through the endpoint. Timeouts and transport errors arrive
as synthesised responses (408 / 503, RFC 3261 §8.1.3.1) so the TU sees one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tas.sip.message import Request, Response

if TYPE_CHECKING:
    from tas.sip.call import Call, OutgoingRequest
    from tas.sip.transaction_server import ServerTransaction

__all__ = [
    "Event",
    "IncomingCall",
    "CallConfirmed",
    "CallCancelled",
    "CallProgress",
    "CallAnswered",
    "CallFailed",
    "CallEnded",
    "ReInvite",
    "ReInviteResult",
    "DialogRequest",
    "RequestReceived",
    "RequestCompleted",
]


@dataclass(frozen=True, slots=True)
class IncomingCall:
    """A new INVITE (§13.3): ring, answer or reject ``call`` through the endpoint."""

    call: Call
    request: Request


@dataclass(frozen=True, slots=True)
class CallConfirmed:
    """The ACK for our 2xx arrived (§13.3.1.4); ``ack.body`` holds a late SDP answer."""

    call: Call
    ack: Request


@dataclass(frozen=True, slots=True)
class CallCancelled:
    """The caller CANCELled before we answered; 487 was sent (§9.2).

    ``cancel`` is the CANCEL itself: its ``Reason`` header (RFC 3326) says why, e.g.
    ``SIP;cause=200`` when a forked call was answered elsewhere.
    """

    call: Call
    cancel: Request | None = None


@dataclass(frozen=True, slots=True)
class CallProgress:
    """A provisional response to our INVITE (§13.2.2.1)."""

    call: Call
    response: Response


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """A 2xx to our INVITE; the endpoint has ACKed it (§13.2.2.4)."""

    call: Call
    response: Response


@dataclass(frozen=True, slots=True)
class CallFailed:
    """Our INVITE got a final non-2xx (or a synthesised 408/503)."""

    call: Call
    response: Response


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over: BYE either way, no ACK for our 2xx, or a transport failure.
    ``request`` is the peer's BYE when it ended the call: its ``Reason`` (RFC 3326) says why."""

    call: Call
    reason: str
    by_remote: bool
    request: Request | None = None


@dataclass(frozen=True, slots=True)
class ReInvite:
    """A re-INVITE in the dialog (§14.2): answer with ``answer_reinvite``/``reject_reinvite``."""

    call: Call
    request: Request


@dataclass(frozen=True, slots=True)
class ReInviteResult:
    """The final response to our re-INVITE (§14.1); 491 means glare: retry later."""

    call: Call
    response: Response


@dataclass(frozen=True, slots=True)
class DialogRequest:
    """INFO, OPTIONS, MESSAGE or NOTIFY inside a dialog, already answered 200."""

    call: Call
    request: Request


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """An out-of-dialog request the endpoint does not handle itself: answer via ``respond``."""

    request: Request
    transaction: ServerTransaction


@dataclass(frozen=True, slots=True)
class RequestCompleted:
    """The final response to a request sent with ``Endpoint.request``."""

    handle: OutgoingRequest
    response: Response


Event = (
    IncomingCall
    | CallConfirmed
    | CallCancelled
    | CallProgress
    | CallAnswered
    | CallFailed
    | CallEnded
    | ReInvite
    | ReInviteResult
    | DialogRequest
    | RequestReceived
    | RequestCompleted
)
