"""Requests inside an established dialog (RFC 3261 §12.2, §14, §15): BYE, re-INVITE and the rest.

:class:`InDialog` sends BYE (§15.1.1; a caller still ringing out CANCELs instead, a callee
waiting for the ACK of its 2xx sends it once the ACK comes) and re-INVITEs (§14.1), answers or
rejects an incoming re-INVITE (§14.2; its 2xx is retransmitted until its ACK), and dispatches
what arrives in a dialog: BYE (200, and 487 to an INVITE still pending, §15.1.2), re-INVITE
(491 on glare with ours, 500 + Retry-After while one is pending, §14.2), INFO / OPTIONS /
MESSAGE / NOTIFY (200 and a DialogRequest), 501 for anything else. The dialog checks the
CSeq order first (500 for an out-of-order request, §12.2.2).
"""

from __future__ import annotations

from tas.sip.call import Call
from tas.sip.call_state import CallEvent, CallState
from tas.sip.errors import LocalProtocolError, RemoteProtocolError
from tas.sip.events import DialogRequest, ReInvite, ReInviteResult
from tas.sip.message import Request, Response
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import ServerTransaction
from tas.sip.ua_core import UACore
from tas.sip.uac import UacRole

__all__ = ["InDialog"]

_NO_BYE = (CallState.ENDING, CallState.ENDED, CallState.CANCELLING)


class InDialog:
    """BYE, re-INVITE and the other in-dialog requests, both ways."""

    __slots__ = ("core", "uac")

    def __init__(self, core: UACore, uac: UacRole) -> None:
        self.core = core
        self.uac = uac

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
        if call.state != CallState.CONFIRMED or call.reinvite_out is not None:
            raise LocalProtocolError(f"cannot re-INVITE in state {call.state}")
        call.local_sdp = body
        self.core.send_in_dialog(call, "INVITE", body, content_type, now)

    def answer_reinvite(self, call: Call, body: bytes, now: float) -> None:
        txn = call.reinvite_in
        if txn is None:
            raise LocalProtocolError("no re-INVITE to answer")
        core = self.core
        offer = txn.request.body
        txn.respond(core.dialog_response(call, txn.request, 200, body, "application/sdp"), now)
        call.local_sdp = body
        if offer:
            call.remote_sdp = offer
        call.reinvite_in = None
        core.start_2xx(call, txn, now)

    def reject_reinvite(self, call: Call, status: int, now: float) -> None:
        txn = call.reinvite_in
        if txn is None or status < 300:
            raise LocalProtocolError("no re-INVITE to reject, or not a failure status")
        txn.respond(self.core.dialog_response(call, txn.request, status), now)
        call.reinvite_in = None

    # -- what arrives -----------------------------------------------------------------------------

    def dispatch(self, call: Call, txn: ServerTransaction, request: Request, now: float) -> None:
        """A request with our To tag in ``call``'s dialog (§12.2.2)."""
        core = self.core
        dialog = call.dialog
        assert dialog is not None
        dialog.check_request(request)
        method = request.method
        if method == "BYE":
            txn.respond(core.dialog_response(call, request, 200), now)
            invite = call.server_txn
            if invite is not None and invite.state == "Proceeding":
                invite.respond(core.uas_response(call, 487), now)
            core.end(call, CallEvent.RECV_BYE, "BYE", by_remote=True, request=request)
        elif method == "INVITE":
            if call.reinvite_out is not None:
                raise RemoteProtocolError("re-INVITE glare", 491)  # §14.2
            if call.reinvite_in is not None or call.ok is not None:
                raise RemoteProtocolError(
                    "re-INVITE pending", 500, extra_headers=(("Retry-After", "1"),)
                )
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

    def reinvite_response(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        """The final response to our re-INVITE (§14.1): ACK a 2xx, report either way."""
        status = response.status
        if status < 200 or call.dialog is None:
            return
        call.reinvite_out = None
        if status < 300:
            call.dialog.refresh_target(response)
            call.remote_sdp = response.body
            self.uac.send_ack(call, txn.request.cseq.seq)
        self.core.events.append(ReInviteResult(call, response))

    def reinvite_failed(self, call: Call, response: Response) -> None:
        """Our re-INVITE timed out or could not be sent: a synthesized final (§14.1)."""
        call.reinvite_out = None
        self.core.events.append(ReInviteResult(call, response))
