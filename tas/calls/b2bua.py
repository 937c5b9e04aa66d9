"""Forwarding as a back-to-back user agent (RFC 7092 §3.1 signalling-only B2BUA): one incoming
leg ``a`` (the core's leg 2) bridged to one outgoing leg ``b`` (leg 3 back to the core, or a
call to another number/URI).

Synchronous: the bridge is the listener (:mod:`tas.sip.listener`) of both legs, so the stack
hands it their events. SDP is relayed unchanged
both ways, so media flows end to end; provisional responses, the answer, the final failure,
CANCEL, BYE, re-INVITE (the shared :class:`~tas.sip.b2bua.ReinviteRelay`) and INFO are
relayed; the bridge is over when both legs have ended.
``Session-ID`` (RFC 7989 §6) is copied so the core matches leg 3 to the waiting call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from tas.calls.journal import CallJournal
from tas.calls.records import Outcome, utcnow
from tas.sip.b2bua import ReinviteRelay
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    CallProgress,
    DialogRequest,
    Event,
    ReInvite,
    ReInviteResult,
    RequestCompleted,
    RequestReceived,
)
from tas.sip.transaction_base import Peer
from tas.sip.uri import URI

__all__ = ["Bridge"]

log = logging.getLogger(__name__)

_RELAYED_INFO = ("INFO", "MESSAGE")


class Bridge:
    """Leg ``a`` (UAS) bridged to leg ``b`` (UAC), which :meth:`start` places."""

    def __init__(
        self,
        endpoint: Endpoint,
        clock: Callable[[], float],
        a: Call,
        a_journal: CallJournal,
        b_journal: Callable[[Call], CallJournal],
        on_done: Callable[[Bridge], None],
    ) -> None:
        self.endpoint = endpoint
        self.clock = clock
        self.a = a
        self.b: Call | None = None
        self.a_journal = a_journal
        self._b_journal_factory = b_journal
        self.b_journal: CallJournal | None = None
        self.on_done = on_done
        self.done = False
        self._reinvites = ReinviteRelay(endpoint)

    def start(
        self,
        target: URI | str,
        peer: Peer | None,
        now: float,
        *,
        from_uri: str | None,
        headers: Mapping[str, str],
    ) -> Call:
        """Send the INVITE for leg ``b`` with ``a``'s offer unchanged."""
        b = self.endpoint.invite(
            target, now, peer=peer, from_uri=from_uri, body=self.a.remote_sdp, headers=headers
        )
        b.listener = self
        self.b = b
        self.b_journal = self._b_journal_factory(b)
        self.b_journal.note("invite", f"to {target}")
        self.a_journal.note("forwarded", str(target))
        return b

    # -- events -------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Both legs' listener: :meth:`handle` at the clock's time."""
        self.handle(event, self.clock())

    def handle(self, event: Event, now: float) -> None:
        if isinstance(event, RequestReceived | RequestCompleted):
            return  # not a call's event
        call = event.call
        if call is self.a:
            self._from_a(event, now)
        elif call is self.b:
            self._from_b(event, now)
        self._check_done()

    def _from_a(self, event: Event, now: float) -> None:
        ep, b, journal = self.endpoint, self.b, self.a_journal
        if isinstance(event, CallCancelled):
            journal.note("cancel", "caller cancelled")
            journal.update(outcome=Outcome.ABANDONED.value, status=487, ended=utcnow())
            if b is not None and not b.ended:
                ep.bye(b, now)  # CANCEL while early, BYE if it got answered meanwhile
        elif isinstance(event, CallEnded):
            journal.note("bye", f"{'caller' if event.by_remote else 'tas'}: {event.reason}")
            journal.update(ended=utcnow())
            if b is not None and not b.ended:
                ep.bye(b, now)
        elif isinstance(event, ReInvite):
            self._reinvites.relay(self.a, b, event.request, now)
        elif isinstance(event, ReInviteResult):
            self._reinvites.result(self.a, event.response, now)
        elif isinstance(event, DialogRequest):
            self._relay_request(b, event, now)

    def _from_b(self, event: Event, now: float) -> None:
        ep, a = self.endpoint, self.a
        b_journal = self.b_journal
        assert self.b is not None and b_journal is not None
        if isinstance(event, CallProgress):
            status = event.response.status
            b_journal.note("ringing" if status == 180 else str(status))
            if a.state in ("incoming", "early"):
                ep.ring(a, now, status if status in (180, 183) else 180, event.response.body)
                self.a_journal.note("ringing", f"{status} relayed")
        elif isinstance(event, CallAnswered):
            b_journal.note("answered")
            b_journal.update(outcome=Outcome.FORWARDED.value, status=200, answered=utcnow())
            if a.state in ("incoming", "early"):
                ep.answer(a, event.response.body, now)
                self.a_journal.note("answered", "by the forward target")
                self.a_journal.update(
                    outcome=Outcome.FORWARDED.value, status=200, answered=utcnow()
                )
            else:  # the caller gave up while the answer was on its way
                ep.bye(self.b, now)
        elif isinstance(event, CallFailed):
            status = event.response.status
            b_journal.note("failed", str(status))
            outcome = Outcome.ABANDONED if a.ended else Outcome.REJECTED
            b_journal.update(outcome=outcome.value, status=status, ended=utcnow())
            if a.state in ("incoming", "early"):
                relayed = status if 300 <= status < 700 else 502
                ep.reject(a, relayed, now, event.response.reason or None)
                self.a_journal.note("rejected", f"{relayed} relayed")
                self.a_journal.update(outcome=Outcome.REJECTED.value, status=relayed)
                self.a_journal.update(ended=utcnow())
        elif isinstance(event, CallEnded):
            b_journal.note("bye", f"{'far end' if event.by_remote else 'tas'}: {event.reason}")
            b_journal.update(ended=utcnow())
            if not a.ended:
                if a.state in ("incoming", "early"):
                    ep.reject(a, 487, now)
                else:
                    ep.bye(a, now)
                self.a_journal.note("bye", "far end hung up")
                self.a_journal.update(ended=utcnow())
        elif isinstance(event, ReInvite):
            self._reinvites.relay(self.b, a, event.request, now)
        elif isinstance(event, ReInviteResult):
            self._reinvites.result(self.b, event.response, now)
        elif isinstance(event, DialogRequest):
            self._relay_request(a, event, now)

    # -- mid-dialog relays ----------------------------------------------------------------------

    def _relay_request(self, other: Call | None, event: DialogRequest, now: float) -> None:
        request = event.request
        if other is None or request.method not in _RELAYED_INFO or other.state != "confirmed":
            return
        self.endpoint.request(
            request.method,
            now,
            call=other,
            body=request.body,
            content_type=request.content_type,
        )

    def _check_done(self) -> None:
        if self.done or not self.a.ended or (self.b is not None and not self.b.ended):
            return
        self.done = True
        self.on_done(self)
