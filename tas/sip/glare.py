"""Glare on our re-INVITE or UPDATE (RFC 3261 §14.1, RFC 3311 §5.1): a 491 Request Pending
means the peer's own offer crossed ours. We send ours again after a random time T: between
2.1 and 4 s in units of 10 ms when we own the Call-ID (we sent the dialog's INVITE: the UAC
role), between 0 and 2 s when the peer owns it. :class:`GlareRetry` keeps that one timer per
call and the request to send again (method, body, Session-Expires / Supported of a refresh);
the UA core (:mod:`tas.sip.in_dialog`) resends it when the timer fires, and reports the 491
to the TU only after :data:`MAX_RETRIES` of them in a row.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from tas.sip.message import Request, Response

if TYPE_CHECKING:
    from tas.sip.call import Call
    from tas.sip.timers import TimerHeap

__all__ = ["MAX_RETRIES", "GlareRetry", "glare_delay"]

#: 491s in a row after which the TU gets the 491 (RFC 3261 §14.1 sets no limit; we bound it)
MAX_RETRIES = 3
#: headers of the first request that go again with the retry (a refresh's, RFC 4028 §7.4)
_KEPT = ("Session-Expires", "Supported")


def glare_delay(owns_call_id: bool) -> float:
    """T of RFC 3261 §14.1, in seconds: 2.1–4 s (10 ms steps) for the owner of the Call-ID,
    else 0–2 s."""
    if owns_call_id:
        return (210 + secrets.randbelow(191)) / 100
    return secrets.randbelow(201) / 100


class GlareRetry:
    """One call's re-INVITE or UPDATE waiting to be sent again after a 491."""

    __slots__ = (
        "call", "deadlines", "tries", "method", "body", "content_type", "headers", "response",
        "_heap", "_resend",
    )  # fmt: skip

    def __init__(
        self, call: Call, heap: TimerHeap, resend: Callable[[GlareRetry, float], None]
    ) -> None:
        self.call = call
        self.deadlines: dict[str, float] = {}  # TimerOwner: the one timer "glare"
        self.tries = 0  # 491s in a row
        self.method = ""
        self.body = b""
        self.content_type: str | None = None
        self.headers: dict[str, str] = {}
        self.response: Response | None = None  # the last 491, for the TU if we give up
        self._heap = heap
        self._resend = resend

    @property
    def pending(self) -> bool:
        return bool(self.deadlines)

    def schedule(self, request: Request, response: Response, now: float) -> bool:
        """Our ``request`` got the 491 ``response``: arm the retry; False when the retries
        are used up (the TU gets the 491)."""
        if self.tries >= MAX_RETRIES:
            self.tries = 0
            return False
        self.tries += 1
        self.method = request.method
        self.body = request.body
        self.content_type = request.content_type if request.body else None
        self.headers = {n: v for n in _KEPT if (v := request.headers.get(n)) is not None}
        self.response = response
        self._heap.arm(self, "glare", now + glare_delay(self.call.role == "uac"))
        return True

    def rearm(self, now: float) -> bool:
        """Not possible to send now (the peer's offer is still open): wait another T, which
        counts as a retry; False when they are used up."""
        if self.tries >= MAX_RETRIES:
            self.tries = 0
            return False
        self.tries += 1
        self._heap.arm(self, "glare", now + glare_delay(self.call.role == "uac"))
        return True

    def settled(self) -> None:
        """A final response other than 491: the next glare counts from zero."""
        self.tries = 0

    def stop(self) -> None:
        self._heap.discard(self)

    def on_timer(self, name: str, now: float) -> None:
        self._resend(self, now)
