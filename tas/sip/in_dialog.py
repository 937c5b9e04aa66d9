"""Requests inside an established dialog (RFC 3261 §12.2, §14, §15): BYE, re-INVITE and the rest.

:class:`InDialog` sends BYE (§15.1.1; a caller still ringing out CANCELs instead, a callee
waiting for the ACK of its 2xx sends it once the ACK comes) and re-INVITEs (§14.1), answers or
rejects an incoming re-INVITE (§14.2; its 2xx is retransmitted until its ACK), and dispatches
what arrives in a dialog: BYE (200, and 487 to an INVITE still pending, §15.1.2), re-INVITE
(491 on glare with ours, 500 + Retry-After while one is pending, §14.2), INFO / OPTIONS /
MESSAGE / NOTIFY (200 and a DialogRequest), PRACK (RFC 3262, :mod:`tas.sip.uas`), UPDATE
(RFC 3311 §5.2: refreshes answered here, session changes surfaced as ReInvite, 491 on glare;
also in the early dialog of our own INVITE, which takes nothing else), 501 for anything else.
We send UPDATE in the early dialog (either role, RFC 3311 §5.1: with an offer only once the
INVITE's offer/answer is done) and the confirmed one. A 491 to our re-INVITE or UPDATE sends it
again after the random time of RFC 3261 §14.1 (:mod:`tas.sip.glare`).
Every 2xx to a refresh restarts the dialog's session timer (RFC 4028 §10); a 408/481 or a
timeout for our re-INVITE or UPDATE sends BYE at once (RFC 4028 §10, RFC 3261 §12.2.1.2).
The dialog checks the CSeq order first (500 for an out-of-order request, §12.2.2).
"""

from __future__ import annotations

from collections.abc import Callable

from tas.sip.call import Call
from tas.sip.call_state import CallEvent, CallState
from tas.sip.errors import LocalProtocolError, RemoteProtocolError
from tas.sip.events import DialogRequest, ReInvite, ReInviteResult
from tas.sip.glare import GlareRetry
from tas.sip.message import Request, Response
from tas.sip.session_timer import (
    Negotiated,
    from_response,
    response_headers,
    same_session,
    uas_negotiate,
)
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import ServerTransaction
from tas.sip.ua_core import UACore
from tas.sip.uac import UacRole
from tas.sip.uas import UasRole

__all__ = ["InDialog"]

_NO_BYE = (CallState.ENDING, CallState.ENDED, CallState.CANCELLING)
#: our INVITE's early dialog (§12.1.2): it takes UPDATE (RFC 3311 §5.2), nothing else
_UAC_EARLY = (CallState.EARLY, CallState.CANCELLING)


class InDialog:
    """BYE, re-INVITE and the other in-dialog requests, both ways."""

    __slots__ = ("core", "uac", "uas")

    def __init__(self, core: UACore, uac: UacRole, uas: UasRole) -> None:
        self.core = core
        self.uac = uac
        self.uas = uas

    # -- what the TU asks for ---------------------------------------------------------------------

    def bye(self, call: Call, now: float) -> None:
        state = call.state
        if state in _NO_BYE:
            return
        if state == CallState.ANSWERED:
            call.bye_pending = True  # §15: not before the ACK of our 2xx
            return
        if state in (CallState.CALLING, CallState.EARLY) and call.role == "uac":
            self.uac.cancel(call, now)
            return
        if call.dialog is None or state in (CallState.INCOMING, CallState.EARLY):
            raise LocalProtocolError(f"cannot send BYE in state {state}")
        self.core.send_bye(call, now)

    def reinvite(self, call: Call, body: bytes, now: float, content_type: str) -> None:
        if call.state != CallState.CONFIRMED or call.reinvite_out is not None or _glare(call):
            raise LocalProtocolError(f"cannot re-INVITE in state {call.state}")
        call.local_sdp = body
        self.core.send_in_dialog(call, "INVITE", body, content_type, now)

    def update(
        self,
        call: Call,
        body: bytes,
        now: float,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """UPDATE in the early or confirmed dialog (RFC 3311 §5.1), with an offer when
        ``body``; ReInviteResult follows for an offer. Not while an offer of ours is pending
        (§5.1), nor an offer in an early dialog whose INVITE offer/answer is not done."""
        early = call.state == CallState.EARLY
        if (
            call.state not in (CallState.EARLY, CallState.CONFIRMED)
            or call.dialog is None
            or call.update_out
            or call.reinvite_out
            or _glare(call)
            or (body and call.reinvite_in is not None)  # their offer first (§5.1)
            or (body and early and not _offer_answer_done(call))
        ):
            raise LocalProtocolError(f"cannot UPDATE in state {call.state}")
        if body:
            call.local_sdp = body
        call.transition(CallEvent.SEND_UPDATE)
        headers = headers if headers is not None else self.core.session_headers(call)
        self.core.send_in_dialog(call, "UPDATE", body, content_type if body else None, now, headers)

    def answer_reinvite(self, call: Call, body: bytes, now: float) -> None:
        """200 to the pending re-INVITE (§14.2, retransmitted until its ACK) or session-changing
        UPDATE (RFC 3311 §5.2, no ACK)."""
        txn = call.reinvite_in
        if txn is None:
            raise LocalProtocolError("no re-INVITE to answer")
        core = self.core
        request = txn.request
        offer = request.body
        response = core.dialog_response(call, request, 200, body, "application/sdp")
        self._session_answer(call, request, response.headers.add, now)
        txn.respond(response, now)
        call.local_sdp = body
        if offer:
            call.remote_sdp = offer
        call.reinvite_in = None
        if request.method == "INVITE":
            core.start_2xx(call, txn, now)

    def reject_reinvite(self, call: Call, status: int, now: float) -> None:
        txn = call.reinvite_in
        if txn is None or status < 300:
            raise LocalProtocolError("no re-INVITE to reject, or not a failure status")
        extra = (("Retry-After", "1"),) if status == 500 else ()  # RFC 3311 §5.2
        response = self.core.dialog_response(call, txn.request, status)
        for name, value in extra:
            response.headers.add(name, value)
        txn.respond(response, now)
        call.reinvite_in = None

    # -- what arrives -----------------------------------------------------------------------------

    def dispatch(self, call: Call, txn: ServerTransaction, request: Request, now: float) -> None:
        """A request with our To tag in ``call``'s dialog (§12.2.2)."""
        core = self.core
        dialog = call.dialog
        assert dialog is not None
        method = request.method
        if call.role == "uac" and call.state in _UAC_EARLY and method != "UPDATE":
            raise RemoteProtocolError(f"{method} in our early dialog", 481)  # only UPDATE here
        dialog.check_request(request)
        if method == "BYE":
            txn.respond(core.dialog_response(call, request, 200), now)
            invite = call.server_txn
            if invite is not None and invite.state == "Proceeding":
                invite.respond(core.uas_response(call, 487), now)
            core.end(call, CallEvent.RECV_BYE, "BYE", by_remote=True, request=request)
        elif method == "PRACK":
            self.uas.prack(call, txn, request, now)
        elif method == "UPDATE":
            self._update(call, txn, request, now)
        elif method == "INVITE":
            if call.reinvite_out is not None or call.update_out is not None:
                raise RemoteProtocolError("re-INVITE glare", 491)  # §14.2
            if call.reinvite_in is not None or call.ok is not None:
                raise RemoteProtocolError(
                    "re-INVITE pending", 500, extra_headers=(("Retry-After", "1"),)
                )
            self._check_session_timer(request)
            dialog.refresh_target(request)
            txn.owner = call
            call.reinvite_in = txn
            core.events.append(ReInvite(call, request))
        elif method in ("INFO", "OPTIONS", "MESSAGE", "NOTIFY"):
            if method == "OPTIONS":
                txn.respond(core.options_response(request, None), now)
            else:
                txn.respond(core.dialog_response(call, request, 200), now)
            core.events.append(DialogRequest(call, request))
        else:
            raise RemoteProtocolError(f"{method} not supported in a dialog", 501)

    def _update(self, call: Call, txn: ServerTransaction, request: Request, now: float) -> None:
        """UPDATE (RFC 3311 §5.2) in the early dialog (either role) or the confirmed one. With
        an offer: 491 while an offer of ours is pending, 500 + Retry-After while theirs is; an offer repeating
        the current session (a refresh, same ``o=`` version) is answered here with our SDP;
        one that changes the session reaches the TU as :class:`ReInvite` (``request.method``
        is UPDATE), answered with ``answer_reinvite``. Without SDP: 200 here."""
        core = self.core
        if call.state not in (CallState.EARLY, CallState.CONFIRMED):
            raise RemoteProtocolError("UPDATE now", 500, extra_headers=(("Retry-After", "1"),))
        offer = request.body
        if offer:
            # our INVITE's offer still unanswered (no reliable 1xx with SDP yet) is pending too
            unanswered = (
                call.role == "uac" and call.state == CallState.EARLY and not call.remote_sdp
            )
            if call.reinvite_out is not None or call.update_out is not None or unanswered:
                raise RemoteProtocolError("UPDATE glare", 491)
            if call.reinvite_in is not None or call.ok is not None or not call.local_sdp:
                raise RemoteProtocolError(
                    "offer pending", 500, extra_headers=(("Retry-After", "1"),)
                )
        self._check_session_timer(request)
        assert call.dialog is not None
        call.dialog.refresh_target(request)
        call.transition(CallEvent.RECV_UPDATE)
        if offer and not same_session(offer, call.remote_sdp):
            txn.owner = call
            call.reinvite_in = txn
            core.events.append(ReInvite(call, request))
            return
        body = call.local_sdp if offer else b""
        response = core.dialog_response(call, request, 200, body, "application/sdp")
        self._session_answer(call, request, response.headers.add, now)
        txn.respond(response, now)

    def _check_session_timer(self, request: Request) -> None:
        """422 + Min-SE for a refresh asking for too short an interval (RFC 4028 §9)."""
        if "timer" in self.core.config.supported:
            uas_negotiate(request, self.core.config.session_timer)

    def _session_answer(
        self, call: Call, request: Request, add: Callable[[str, str], None], now: float
    ) -> None:
        """The 2xx to a refresh (UPDATE or re-INVITE) settles the timer again (RFC 4028 §9,
        §10): its headers, and the timer restarted for this dialog."""
        if "timer" not in self.core.config.supported or call.session_timer is None:
            return
        settled = uas_negotiate(request, self.core.config.session_timer)
        if settled is None:
            return
        for name, value in response_headers(*settled):
            add(name, value)
        interval, refresher, _ = settled
        self.core.start_session_timer(call, Negotiated(interval, refresher == "uas"), now)

    def reinvite_response(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        """The final response to our re-INVITE (§14.1) or UPDATE (RFC 3311 §5.1): ACK a
        re-INVITE's 2xx; a 2xx restarts the session timer (RFC 4028 §10); report a
        re-INVITE, or an UPDATE with an offer, either way."""
        status = response.status
        if status < 200 or call.dialog is None:
            return
        update = txn.request.method == "UPDATE"
        if update:
            call.update_out = None
        else:
            call.reinvite_out = None
        if status == 491 and self._glare_retry(call, txn.request, response, now):
            return
        if call.glare is not None:
            call.glare.settled()
        if status < 300:
            call.dialog.refresh_target(response)
            if response.body:
                call.remote_sdp = response.body
            if not update:
                self.uac.send_ack(call, txn.request.cseq.seq)
            if call.session_timer is not None and not call.ended:
                self.core.start_session_timer(call, from_response(response, True), now)
                if update and call.state == CallState.CONFIRMED:
                    call.transition(CallEvent.SESSION_REFRESHED)
        if not update or txn.request.body:
            self.core.events.append(ReInviteResult(call, response))
        self._gone(call, status, now)

    def reinvite_failed(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        """Our re-INVITE or UPDATE timed out (a synthesized 408: BYE at once, RFC 4028 §10) or
        could not be sent (503)."""
        update = txn is call.update_out
        if update:
            call.update_out = None
        else:
            call.reinvite_out = None
        if not update or txn.request.body:
            self.core.events.append(ReInviteResult(call, response))
        self._gone(call, response.status, now)

    def _glare_retry(self, call: Call, request: Request, response: Response, now: float) -> bool:
        """491 to our re-INVITE or UPDATE (RFC 3261 §14.1, RFC 3311 §5.1): send it again
        after T; False when the retries are used up (the TU then gets the 491)."""
        if call.glare is None:
            call.glare = GlareRetry(call, self.core.layer.timers, self._resend)
        return call.glare.schedule(request, response, now)

    def _resend(self, retry: GlareRetry, now: float) -> None:
        """T is over: our re-INVITE / UPDATE again, unless the call moved on; while the
        peer's own offer is still open, another T."""
        call = retry.call
        if call.ended or call.state not in (CallState.EARLY, CallState.CONFIRMED):
            return
        if call.reinvite_in is not None or call.ok is not None:
            if not retry.rearm(now):
                self._give_up(retry)
            return
        try:
            if retry.method == "UPDATE":
                self.update(call, retry.body, now, retry.content_type, retry.headers)
            else:
                if call.state != CallState.CONFIRMED:
                    raise LocalProtocolError("re-INVITE outside a confirmed dialog")
                call.local_sdp = retry.body
                self.core.send_in_dialog(
                    call, "INVITE", retry.body, retry.content_type, now, retry.headers
                )
        except LocalProtocolError:
            self._give_up(retry)

    def _give_up(self, retry: GlareRetry) -> None:
        """No more retries: the TU gets the 491 (for a re-INVITE or an UPDATE with an offer)."""
        if retry.response is not None and (retry.body or retry.method == "INVITE"):
            self.core.events.append(ReInviteResult(retry.call, retry.response))

    def _gone(self, call: Call, status: int, now: float) -> None:
        """RFC 4028 §10 (a session refresh) and RFC 3261 §12.2.1.2 (any in-dialog request):
        408 or 481 to our re-INVITE or UPDATE means the dialog is gone: BYE at once, not at
        the session's expiry."""
        if status in (408, 481):
            self.core.end_session(call, f"session refresh failed ({status})", now)


def _glare(call: Call) -> bool:
    """A re-INVITE / UPDATE of ours waits to be sent again after a 491 (RFC 3261 §14.1)."""
    return call.glare is not None and call.glare.pending


def _offer_answer_done(call: Call) -> bool:
    """RFC 3311 §5.1: an early UPDATE may offer only after the INVITE's offer/answer: the UAS
    sent its answer in a reliable 1xx and has its PRACK; the UAC got the answer in one."""
    if not (call.local_sdp and call.remote_sdp):
        return False
    return call.prack is None or not call.prack.pending
