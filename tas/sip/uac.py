"""The caller side of the INVITE session (RFC 3261 §13.2, §9.1, §22.2, RFC 6026).

:class:`UacRole` places calls (:meth:`UacRole.invite`; delayed offer when the INVITE has no
body, §13.2.1), CANCELs them once a provisional arrived (§9.1), takes the INVITE's responses
(early dialog on a 1xx with a tag, §12.1.2; the ACK of a 2xx built here in the dialog,
§13.2.2.4, and resent for each retransmitted 2xx; a 2xx from a second fork ACKed and BYEd),
and answers 401/407 once with digest credentials (§22.2, RFC 7616), for INVITEs and for
other requests alike. Each new reliable 1xx is PRACKed in RSeq order (RFC 3262 §4); a 422
is retried once with its Min-SE (RFC 4028 §7.4); a 2xx starts the session timer it settled.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from tas.sip.call import Call, Credentials, OutgoingRequest
from tas.sip.call_state import CallEvent, CallState
from tas.sip.dialog import Dialog
from tas.sip.digest import authorization, parse_challenge
from tas.sip.errors import LocalProtocolError, RemoteProtocolError
from tas.sip.events import CallAnswered, CallFailed, CallProgress
from tas.sip.message import Headers, Request, Response
from tas.sip.prack import rack_value, rseq_of
from tas.sip.routing import target_peer
from tas.sip.session_timer import from_response
from tas.sip.transaction_base import Peer
from tas.sip.transaction_client import ClientTransaction
from tas.sip.ua_core import UACore
from tas.sip.uri import URI, parse_uri

__all__ = ["UacRole"]


class UacRole:
    """INVITE out, its responses, CANCEL, ACK for 2xx, forks, digest retry."""

    __slots__ = ("core",)

    def __init__(self, core: UACore) -> None:
        self.core = core

    def invite(
        self,
        uri: URI | str,
        now: float,
        peer: Peer | None,
        from_uri: str | None,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None,
        credentials: Credentials | None,
        answer_offer: Callable[[bytes], bytes] | None,
    ) -> Call:
        core = self.core
        target = parse_uri(uri) if isinstance(uri, str) else uri
        peer = peer or target_peer(target, "UDP")
        local_tag = core.new_id()
        request = core.new_request("INVITE", target, peer, from_uri, local_tag, 1)
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        if body:
            request.headers.add("Content-Type", content_type)
            request.body = body
        call = Call("uac", request, peer, local_tag)
        call.local_sdp = body
        call.credentials = credentials
        call.answer_offer = answer_offer
        core.uac_calls[(call.call_id, local_tag)] = call
        self._send_invite(call, request, now)
        return call

    def cancel(self, call: Call, now: float) -> None:
        if call.role != "uac" or call.state not in (CallState.CALLING, CallState.EARLY):
            raise LocalProtocolError(f"cannot cancel a call in state {call.state}")
        txn = call.client_txn
        if txn is None or txn.state == "Calling":
            call.cancel_pending = True  # §9.1: wait for a provisional response
            return
        self._send_cancel(call, now)

    # -- responses to our INVITE ------------------------------------------------------------------

    def invite_response(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        core = self.core
        status = response.status
        if status < 200:
            if status > 100:
                if call.dialog is None and response.to.tag:
                    # the early dialog (§12.1.2) takes requests: UPDATE (RFC 3311 §5.2)
                    call.dialog = Dialog.for_uac(txn.request, response)
                    core.calls[call.dialog.id] = call
                call.transition(CallEvent.RECV_1XX)
                self._prack(call, response, now)
                core.events.append(CallProgress(call, response))
            if call.cancel_pending:
                call.cancel_pending = False
                self._send_cancel(call, now)
            return
        if status < 300:
            if call.ack_wire is not None and call.dialog is not None:
                if call.dialog.remote_tag == (response.to.tag or ""):
                    core.layer.send_stateless(call.ack_wire, core.dialog_peer(call))
                else:
                    self._end_fork(call, txn, response, now)
                return
            dialog = call.dialog
            if dialog is None or dialog.remote_tag != (response.to.tag or ""):
                if dialog is not None:  # another fork answered: its early dialog is gone
                    core.calls.pop(dialog.id, None)
                dialog = Dialog.for_uac(txn.request, response)
            dialog.update_from_response(response)
            call.dialog = dialog
            core.calls[dialog.id] = call
            core.uac_calls.pop((call.call_id, call.local_tag), None)
            if response.body:
                call.remote_sdp = response.body
            call.peer_allow = tuple(response.headers.values("Allow"))
            offer = response.body if not txn.request.body else b""
            self.send_ack(call, txn.request.cseq.seq, offer)
            cancelled = call.state == CallState.CANCELLING or call.cancel_pending
            call.transition(CallEvent.RECV_2XX)
            if cancelled:  # the 2xx crossed our CANCEL: hang up (§9.1)
                core.send_bye(call, now)
            else:
                core.start_session_timer(call, from_response(response, True), now)
                core.events.append(CallAnswered(call, response))
            return
        if self.retry_with_auth(call, txn.request, response, now):
            return
        if status == 422 and self._retry_min_se(call, txn.request, response, now):
            return
        self.failed(call, str(status), response)

    def _prack(self, call: Call, response: Response, now: float) -> None:
        """PRACK each new reliable 1xx in RSeq order (RFC 3262 §4); a 1xx carrying the answer
        to our offer is acknowledged without a body (§5)."""
        rseq = rseq_of(response)
        dialog = call.dialog
        if rseq is None or dialog is None or (call.rseq_in and rseq != call.rseq_in + 1):
            return  # unreliable, a retransmission, or out of order: no PRACK (§4)
        call.rseq_in = rseq
        if response.body:
            call.remote_sdp = response.body
        core = self.core
        prack = dialog.create_request("PRACK")
        prack.headers.add("RAck", rack_value(rseq, call.invite))
        peer = core.dialog_peer(call, dialog)
        prack.headers.prepend("Via", core.via(peer.transport))
        core.layer.send_request(prack, peer, now)  # owned by nobody: its 200 needs no action
        call.transition(CallEvent.SEND_PRACK)

    def _retry_min_se(self, call: Call, request: Request, response: Response, now: float) -> bool:
        """RFC 4028 §7.4: a 422 names the Min-SE to retry with (once)."""
        value = (response.headers.get("Min-SE") or "").split(";", 1)[0].strip()
        if not value.isdigit() or request.headers.get("Session-Expires") == value:
            return False
        headers = request.headers.copy()
        headers.set("Via", self.core.via(request.top_via.transport))
        headers.set("CSeq", f"{request.cseq.seq + 1} INVITE")
        headers.set("Session-Expires", value)
        headers.set("Min-SE", value)
        self._send_invite(call, Request("INVITE", request.uri, headers, request.body), now)
        return True

    def failed(self, call: Call, reason: str, response: Response) -> None:
        """The INVITE failed (a final non-2xx, Timer B, a transport error: §13.2.2.3)."""
        call.transition(CallEvent.RECV_FAILURE)
        call.end_reason = reason
        self.core.release(call)
        self.core.events.append(CallFailed(call, response))

    def resend_ack(self, call: Call) -> None:
        """A retransmitted 2xx of an INVITE we ACKed: ACK it again (§13.2.2.4)."""
        if call.ack_wire is not None:
            self.core.layer.send_stateless(call.ack_wire, self.core.dialog_peer(call))

    def _end_fork(self, call: Call, txn: ClientTransaction, response: Response, now: float) -> None:
        """A 2xx from another fork after we took the first one: ACK it and BYE it once
        (§13.2.2.4); its retransmissions are ACKed again."""
        core = self.core
        fork = Dialog.for_uac(txn.request, response)
        peer = core.dialog_peer(call, fork)
        ack = fork.create_request("ACK", seq=txn.request.cseq.seq)
        ack.headers.prepend("Via", core.via(peer.transport))
        core.layer.send_stateless(bytes(ack), peer)
        if fork.remote_tag in call.forks:
            return
        call.forks.add(fork.remote_tag)
        bye = fork.create_request("BYE")
        bye.headers.prepend("Via", core.via(peer.transport))
        core.layer.send_request(bye, peer, now)

    # -- what we send -----------------------------------------------------------------------------

    def _send_invite(self, call: Call, request: Request, now: float) -> None:
        call.invite = request
        txn = self.core.layer.send_request(request, call.peer, now)
        txn.owner = call
        call.client_txn = txn

    def _send_cancel(self, call: Call, now: float) -> None:
        """§9.1: same Request-URI, Call-ID, From, To, CSeq number, top Via and Route."""
        invite = call.invite
        headers = Headers()
        headers.add("Via", str(invite.top_via))
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, invite.headers.get(name) or "")
        headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
        for route in invite.headers.fields("Route"):
            headers.add("Route", route)
        if call.reason_out:  # RFC 3326 §2
            headers.add("Reason", call.reason_out)
        self.core.layer.send_request(Request("CANCEL", invite.uri, headers), call.peer, now)
        call.transition(CallEvent.SEND_CANCEL)

    def send_ack(self, call: Call, seq: int, offer: bytes = b"") -> None:
        """The ACK for a 2xx, built by the UAC core in the dialog (§13.2.2.4). When our INVITE
        carried no offer and the 2xx did, the ACK carries ``call.answer_offer(offer)``
        (§13.2.1 delayed offer)."""
        core = self.core
        assert call.dialog is not None
        body = b""
        if offer and call.answer_offer is not None:
            body = call.answer_offer(offer)
            call.local_sdp = body
        ack = call.dialog.create_request(
            "ACK", seq=seq, body=body, content_type="application/sdp" if body else None
        )
        peer = core.dialog_peer(call)
        ack.headers.prepend("Via", core.via(peer.transport))
        call.ack_wire = bytes(ack)
        core.layer.send_stateless(call.ack_wire, peer)

    # -- digest (§22.2) ---------------------------------------------------------------------------

    def retry_with_auth(
        self, owner: Call | OutgoingRequest, request: Request, response: Response, now: float
    ) -> bool:
        """Answer a 401/407 once per request with the owner's credentials (§22.2)."""
        if response.status not in (401, 407) or owner.credentials is None:
            return False
        if owner.auth_attempts >= 2:
            return False
        header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
        value = response.headers.get(header)
        if value is None:
            return False
        try:
            challenge = parse_challenge(value)
        except RemoteProtocolError:
            return False
        user, password = owner.credentials
        credentials = authorization(
            challenge,
            method=request.method,
            uri=str(request.uri),
            username=user,
            password=password,
            cnonce=secrets.token_hex(8),
        )
        headers = request.headers.copy()
        headers.set("Via", self.core.via(request.top_via.transport))
        headers.set("CSeq", f"{request.cseq.seq + 1} {request.method}")
        headers.set(
            "Authorization" if response.status == 401 else "Proxy-Authorization", credentials
        )
        retry = Request(request.method, request.uri, headers, request.body)
        owner.auth_attempts += 1
        if isinstance(owner, Call):
            self._send_invite(owner, retry, now)
        else:
            owner.request = retry
            self.core.layer.send_request(retry, owner.peer, now).owner = owner
        return True
