"""Forwarding as a back-to-back user agent: the shared :class:`~tas.sip.b2bua.B2bua` with one
incoming leg ``a`` (the core's leg 2) bridged to one outgoing leg ``b`` (leg 3 back to the core,
or a call to another number/URI), and the call records kept as it goes.

The relaying is the shared B2BUA's (SDP unchanged both ways, so media flows end to end;
provisional responses, the answer, CANCEL, BYE, re-INVITE); this bridge adds what the call
application wants: every provisional response rings the caller (180, or 183 with early media),
``b``'s failure goes back to the caller unchanged (502 when it is not a 3xx-6xx), INFO and
MESSAGE are relayed, each leg's :class:`~tas.calls.journal.CallJournal` notes what happened,
and the bridge is over when both legs have ended. ``Session-ID`` (RFC 7989 §6) is copied by
the caller of :meth:`Bridge.start` so the core matches leg 3 to the waiting call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tas.calls.bridge_notes import note_answered, note_cancelled, note_ended, note_placed
from tas.calls.journal import CallJournal
from tas.calls.records import Outcome, utcnow
from tas.sip.b2bua import B2bua
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import CallEnded, Event
from tas.sip.message import Response
from tas.sip.transaction_base import Peer
from tas.sip.uri import URI

__all__ = ["Bridge"]


class Bridge(B2bua):
    """Leg ``a`` (UAS) bridged to leg ``b`` (UAC), which :meth:`start` places."""

    relayed_methods = ("INFO", "MESSAGE")

    def __init__(
        self,
        endpoint: Endpoint,
        clock: Callable[[], float],
        a: Call,
        a_journal: CallJournal,
        b_journal: Callable[[Call], CallJournal],
        on_done: Callable[[Bridge], None],
    ) -> None:
        super().__init__(endpoint, clock, a)
        self.a = a
        self.b: Call | None = None
        self.a_journal = a_journal
        self._b_journal_factory = b_journal
        self.b_journal: CallJournal | None = None
        self.on_done = on_done
        self.closed = False  # both legs ended, on_done called
        self._failure: Response | None = None
        #: RFC 3263 §4.3 failover (tas.calls.failover): True when it placed ``b`` anew.
        self.retry: Callable[[Bridge, Response, float], bool] | None = None

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
        b = self.ep.invite(
            target, now, peer=peer, from_uri=from_uri, body=self.a.remote_sdp, headers=headers
        )
        self.add(b)
        self.b = b
        self.b_journal = note_placed(self._b_journal_factory(b), target)
        self.a_journal.note("forwarded", str(target))
        return b

    def on_event(self, event: Event) -> None:
        super().on_event(event)
        if not self.closed and self.a.ended and (self.b is None or self.b.ended):
            self.closed = True
            self.on_done(self)

    # -- policy of the shared B2BUA -------------------------------------------------------------

    def ring_status(self, status: int) -> int | None:
        return status if status in (180, 183) else 180

    def final_failure(self) -> tuple[int, str | None]:
        status = self.statuses[-1] if self.statuses else 480
        reason = self._failure.reason if self._failure is not None else ""
        return (status if 300 <= status < 700 else 502), reason or None

    def leg_failed(self, leg: Call, response: Response) -> bool:
        if self.retry is not None and self.retry(self, response, self.now()):
            return True
        status = response.status
        journal = self._journal_b()
        journal.note("failed", str(status))
        outcome = Outcome.ABANDONED if self.a.ended else Outcome.REJECTED
        journal.update(outcome=outcome.value, status=status, ended=utcnow())
        self._failure = response
        return False

    # -- journals -------------------------------------------------------------------------------

    def on_progress(self, leg: Call, response: Response, relayed: bool) -> None:
        status = response.status
        self._journal_b().note("ringing" if status == 180 else str(status))
        if relayed:
            self.a_journal.note("ringing", f"{status} relayed")

    def on_answered(self, leg: Call, won: bool) -> None:
        note_answered(self._journal_b(), self.a_journal, won=won, by="by the forward target")

    def on_rejected(self, status: int) -> None:
        self.a_journal.note("rejected", f"{status} relayed")
        self.a_journal.update(outcome=Outcome.REJECTED.value, status=status)
        self.a_journal.update(ended=utcnow())

    def on_cancelled(self) -> None:
        note_cancelled(self.a_journal)

    def on_ended(self, event: CallEnded) -> None:
        note_ended(event, self.a, self.a_journal, self.b_journal)
        if event.call is self.a:
            return
        if not self.a.ended and event.call is self.winner:
            self.a_journal.note("bye", "far end hung up")
            self.a_journal.update(ended=utcnow())

    def _journal_b(self) -> CallJournal:
        assert self.b_journal is not None  # every event of b comes after start()
        return self.b_journal
