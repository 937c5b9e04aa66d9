"""The sans-IO UA core (RFC 3261 §8, §12-§15): transactions + dialogs behind one small API.

Feed it bytes and the time; take bytes to send, events, and the next deadline::

    ep = Endpoint(EndpointConfig(local={"UDP": ("127.0.0.1", 5060)}))
    ep.receive(datagram, Peer("UDP", "127.0.0.1", 5061), now)
    for event in ep.take_events():          # IncomingCall, CallConfirmed, CallEnded …
        if isinstance(event, IncomingCall):
            ep.answer(event.call, sdp_answer, now)
    for data, peer in ep.take_outbox():     # the adapter sends these
        ...
    deadline = ep.next_deadline()           # arm one loop.call_at(deadline, ep.handle_timer…)

Streams feed parsed frames with ``receive_message`` and unparseable ones with
``receive_error`` (answered with the RFC's status when routable); ``transport_error(peer)``
fails the transactions using that peer (503 to the TU).

Callee side: :meth:`ring`, :meth:`answer` (2xx retransmitted until ACK, BYE when none comes,
§13.3.1.4), :meth:`reject` (towards a source ``trusted_peer`` refuses: once per request, no Timer G).
Caller side: :meth:`invite` (ACK for 2xx built here, §13.2.2.4;
digest answers to 401/407 when credentials are given), :meth:`cancel` (§9.1). Both:
:meth:`bye`, :meth:`reinvite` / :meth:`answer_reinvite` / :meth:`reject_reinvite` (§14, 491
on glare), :meth:`request` for other requests in or out of a dialog, :meth:`respond` for
:class:`~tas.sip.events.RequestReceived`. OPTIONS outside a dialog is answered here (§11.2);
requests in an unknown dialog get 481, out-of-order ones 500 (§12.2.2), merged INVITEs 482
(§8.2.2.2); a 2xx from a second fork is ACKed and BYEd (§13.2.2.4). An ended call is dropped
from ``calls`` and freed by reference counting (no cycles). The TU must answer every
IncomingCall (ring/answer/reject); the core sets no no-answer timer of its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from tas.sip.call import Call, Credentials, OutgoingRequest
from tas.sip.dialog import Dialog
from tas.sip.digest import authorization, parse_challenge
from tas.sip.endpoint_base import EndpointBase, EndpointConfig
from tas.sip.errors import LocalProtocolError, RemoteProtocolError
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallConfirmed,
    CallFailed,
    CallProgress,
    DialogRequest,
    IncomingCall,
    ReInvite,
    ReInviteResult,
    RequestCompleted,
    RequestReceived,
)
from tas.sip.message import Request, Response
from tas.sip.routing import synthesized, target_peer
from tas.sip.transaction_base import Peer
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import InviteServerTransaction, ServerTransaction
from tas.sip.transactions import TransactionLayer
from tas.sip.uri import URI, parse_uri
from tas.sip.validate import check_request, error_response

__all__ = ["Endpoint", "EndpointConfig"]


class Endpoint(EndpointBase):
    """UA core: owns the transaction layer, the calls and the event queue."""

    def __init__(self, config: EndpointConfig) -> None:
        super().__init__(config)
        self.layer = TransactionLayer(self, config.timers)
        self._allow_set = frozenset(config.allow)
        self._accept = frozenset(config.accept)
        self._supported = frozenset(config.supported)

    # -- callee (UAS) API ---------------------------------------------------------------------

    def ring(self, call: Call, now: float, status: int = 180, body: bytes = b"") -> None:
        """A provisional response with our tag (early dialog, §13.3.1.1)."""
        if call.state not in ("incoming", "early") or call.server_txn is None:
            raise LocalProtocolError(f"cannot ring a call in state {call.state}")
        call.server_txn.respond(self._uas_response(call, status, body), now)
        call.state = "early"

    def answer(
        self, call: Call, body: bytes, now: float, content_type: str = "application/sdp"
    ) -> None:
        """200 OK with ``body``; retransmitted until the ACK comes (§13.3.1.4)."""
        if call.state not in ("incoming", "early") or call.server_txn is None:
            raise LocalProtocolError(f"cannot answer a call in state {call.state}")
        response = self._uas_response(call, 200, body, content_type)
        call.server_txn.respond(response, now)
        call.local_sdp = body
        call.state = "answered"
        assert call.dialog is not None
        call.dialog.confirmed = True
        self._start_2xx_retransmission(call, call.server_txn, now)

    def reject(
        self,
        call: Call,
        status: int,
        now: float,
        reason: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A final non-2xx to the INVITE; the transaction collects the ACK (§17.2.1).
        ``headers`` are added to the response (e.g. ``Retry-After`` with a 503, §21.5.4)."""
        if status < 300 or call.state not in ("incoming", "early") or call.server_txn is None:
            raise LocalProtocolError(f"cannot reject with {status} in state {call.state}")
        response = self._uas_response(call, status, reason=reason)
        for name, value in (headers or {}).items():
            response.headers.add(name, value)
        txn = call.server_txn
        txn.respond(response, now)
        if not call.trusted and isinstance(txn, InviteServerTransaction):
            txn.stop_retransmitting()  # one answer per request towards an untrusted source
        self._end(call, f"rejected {status}", by_remote=False, emit=False)

    # -- caller (UAC) API ---------------------------------------------------------------------

    def invite(
        self,
        uri: URI | str,
        now: float,
        *,
        peer: Peer | None = None,
        from_uri: str | None = None,
        body: bytes = b"",
        content_type: str = "application/sdp",
        headers: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        answer_offer: Callable[[bytes], bytes] | None = None,
    ) -> Call:
        """Place a call: INVITE with ``body`` (an SDP offer) to ``peer`` or the URI's host.
        Without a body (delayed offer), ``answer_offer(offer_in_2xx)`` gives the ACK's SDP."""
        target = parse_uri(uri) if isinstance(uri, str) else uri
        peer = peer or target_peer(target, "UDP")
        local_tag = self._new_id()
        request = self._new_request("INVITE", target, peer, from_uri, local_tag, 1)
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        if body:
            request.headers.add("Content-Type", content_type)
            request.body = body
        call = Call(self, "uac", request, peer, local_tag)
        call.local_sdp = body
        call.credentials = credentials
        call.answer_offer = answer_offer
        self._uac_calls[(call.call_id, local_tag)] = call
        self._send_invite(call, request, now)
        return call

    def cancel(self, call: Call, now: float) -> None:
        """CANCEL our pending INVITE (§9.1); sent once a provisional arrived."""
        if call.role != "uac" or call.state not in ("calling", "early"):
            raise LocalProtocolError(f"cannot cancel a call in state {call.state}")
        txn = call.client_txn
        if txn is None or txn.state == "Calling":
            call.cancel_pending = True  # §9.1: wait for a provisional response
            return
        self._send_cancel(call, now)

    # -- both sides ---------------------------------------------------------------------------

    def bye(self, call: Call, now: float) -> None:
        """End a call with BYE (§15.1); CallEnded follows when it completes. A caller still
        ringing out CANCELs instead; a callee waiting for the ACK of its 2xx sends the BYE
        once the ACK arrives (or the 2xx times out), §15."""
        if call.state in ("ending", "ended", "cancelling"):
            return
        if call.state == "answered":
            call.bye_pending = True
            return
        if call.state in ("calling", "early") and call.role == "uac":
            self.cancel(call, now)
            return
        if call.dialog is None or call.state in ("incoming", "early"):
            raise LocalProtocolError(f"cannot send BYE in state {call.state}")
        self._stop_2xx(call)
        call.state = "ending"
        self._send_in_dialog(call, "BYE", b"", None, now)

    def reinvite(
        self, call: Call, body: bytes, now: float, content_type: str = "application/sdp"
    ) -> None:
        """Offer a new session description in the dialog (§14.1); ReInviteResult follows."""
        if call.state != "confirmed" or call.reinvite_out is not None:
            raise LocalProtocolError(f"cannot re-INVITE in state {call.state}")
        call.local_sdp = body
        self._send_in_dialog(call, "INVITE", body, content_type, now)

    def answer_reinvite(self, call: Call, body: bytes, now: float) -> None:
        """200 to the pending re-INVITE (§14.2), retransmitted until its ACK."""
        txn = call.reinvite_in
        if txn is None:
            raise LocalProtocolError("no re-INVITE to answer")
        offer = txn.request.body
        txn.respond(self._dialog_response(call, txn.request, 200, body, "application/sdp"), now)
        call.local_sdp = body
        if offer:
            call.remote_sdp = offer
        call.reinvite_in = None
        self._start_2xx_retransmission(call, txn, now)

    def reject_reinvite(self, call: Call, status: int, now: float) -> None:
        txn = call.reinvite_in
        if txn is None or status < 300:
            raise LocalProtocolError("no re-INVITE to reject, or not a failure status")
        txn.respond(self._dialog_response(call, txn.request, status), now)
        call.reinvite_in = None

    def request(
        self,
        method: str,
        now: float,
        *,
        uri: URI | str | None = None,
        call: Call | None = None,
        peer: Peer | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        credentials: Credentials | None = None,
    ) -> OutgoingRequest:
        """Send ``method`` in ``call``'s dialog or out of dialog to ``uri``; RequestCompleted
        carries the final response."""
        if call is not None:
            return self._send_in_dialog(call, method, body, content_type, now, headers)
        if uri is None:
            raise LocalProtocolError("an out-of-dialog request needs a uri")
        target = parse_uri(uri) if isinstance(uri, str) else uri
        peer = peer or target_peer(target, "UDP")
        request = self._new_request(method, target, peer, None, self._new_id(), 1)
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        if body:
            request.headers.add("Content-Type", content_type or "application/octet-stream")
            request.body = body
        handle = OutgoingRequest(request, peer, credentials, None)
        txn = self.layer.send_request(request, peer, now)
        txn.owner = handle
        return handle

    def respond(
        self,
        txn: ServerTransaction,
        status: int,
        now: float,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Answer a request handed over in RequestReceived."""
        response = txn.request.create_response(status, reason, to_tag=self._new_id())
        for name, value in (headers or {}).items():
            response.headers.add(name, value)
        if body:
            response.headers.add("Content-Type", content_type or "application/octet-stream")
            response.body = body
        txn.respond(response, now)

    # -- TransactionUser callbacks --------------------------------------------------------------

    def on_request(self, txn: ServerTransaction, request: Request, now: float) -> None:
        try:
            self._dispatch_request(txn, request, now)
        except RemoteProtocolError as exc:
            if txn.state in ("Trying", "Proceeding"):
                response = error_response(request, exc, to_tag=self._new_id())
                if response is not None:
                    txn.respond(response, now)

    def on_ack(self, request: Request, peer: Peer, now: float) -> None:
        call = self.calls.get((request.call_id, request.to.tag or "", request.from_.tag or ""))
        if call is None or call.ok_wire is None:
            return
        self._stop_2xx(call)
        if call.state == "answered":
            call.state = "confirmed"
            if request.body:
                call.remote_sdp = request.body
            self._events.append(CallConfirmed(call, request))
            if call.bye_pending:
                self.bye(call, now)

    def on_cancel(self, request: Request, invite: ServerTransaction | None, now: float) -> None:
        txn = self.layer.servers[request.transaction_key]
        call = invite.owner if invite is not None else None
        if not isinstance(call, Call) or invite is None:
            txn.respond(request.create_response(481, to_tag=self._new_id()), now)
            return
        txn.respond(request.create_response(200, to_tag=call.local_tag), now)
        if invite.state == "Proceeding" and call.state in ("incoming", "early"):
            invite.respond(self._uas_response(call, 487), now)
            self._end(call, "cancelled", by_remote=True, emit=False)
            self._events.append(CallCancelled(call))

    def on_response(self, txn: ClientTransaction, response: Response, now: float) -> None:
        owner = txn.owner
        if isinstance(owner, Call):
            if txn is owner.client_txn:
                self._invite_response(owner, txn, response, now)
            elif txn is owner.reinvite_out:
                self._reinvite_response(owner, txn, response, now)
            elif txn.request.method == "BYE":
                if response.status >= 200:
                    self._end(owner, "BYE", by_remote=False)
            elif 200 <= response.status < 300 and owner.ack_wire is not None:
                # a retransmitted 2xx to an INVITE already answered: ACK again (§13.2.2.4)
                self.layer.send_stateless(owner.ack_wire, self._dialog_peer(owner))
        elif isinstance(owner, OutgoingRequest) and response.status >= 200:
            if self._retry_with_auth(owner, owner.request, response, now):
                return
            self._events.append(RequestCompleted(owner, response))

    def on_stray_response(self, response: Response, peer: Peer, now: float) -> None:
        if response.cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        call = self.calls.get((response.call_id, response.from_.tag or "", response.to.tag or ""))
        if call is not None and call.ack_wire is not None:
            self.layer.send_stateless(call.ack_wire, self._dialog_peer(call))

    def on_timeout(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self._txn_failed(txn, 408, now)

    def on_transport_error(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self._txn_failed(txn, 503, now)

    # -- internals: incoming requests ----------------------------------------------------------

    def _dispatch_request(self, txn: ServerTransaction, request: Request, now: float) -> None:
        check_request(
            request,
            supported=self._supported,
            accept=self._accept,
            allow=self._allow_set,
        )
        method = request.method
        to_tag = request.to.tag
        if to_tag is None:
            if method == "INVITE":
                self._incoming_call(txn, request)
            elif method == "OPTIONS":
                txn.respond(self._options_response(request, self._new_id()), now)
            elif method == "BYE":
                raise RemoteProtocolError("BYE outside a dialog", 481)
            else:
                self._events.append(RequestReceived(request, txn))
            return
        call = self.calls.get((request.call_id, to_tag, request.from_.tag or ""))
        if call is None or call.dialog is None:
            raise RemoteProtocolError("no such dialog", 481)  # §12.2.2
        call.dialog.check_request(request)
        if method == "BYE":
            txn.respond(self._dialog_response(call, request, 200), now)
            invite = call.server_txn
            if invite is not None and invite.state == "Proceeding":
                invite.respond(self._uas_response(call, 487), now)
            self._end(call, "BYE", by_remote=True)
        elif method == "INVITE":
            if call.reinvite_out is not None:
                raise RemoteProtocolError("re-INVITE glare", 491)  # §14.2
            if call.reinvite_in is not None or call.ok_wire is not None:
                raise RemoteProtocolError(
                    "re-INVITE pending", 500, extra_headers=(("Retry-After", "1"),)
                )
            call.dialog.refresh_target(request)
            txn.owner = call
            call.reinvite_in = txn
            self._events.append(ReInvite(call, request))
        elif method in ("INFO", "OPTIONS", "MESSAGE", "NOTIFY"):
            if method == "OPTIONS":
                txn.respond(self._options_response(request, None), now)
            else:
                txn.respond(self._dialog_response(call, request, 200), now)
            self._events.append(DialogRequest(call, request))
        else:
            raise RemoteProtocolError(f"{method} not supported in a dialog", 501)

    def _incoming_call(self, txn: ServerTransaction, request: Request) -> None:
        key = (request.call_id, request.from_.tag or "", request.cseq.seq)
        if key in self._uas_invites:  # the same INVITE via another path (§8.2.2.2)
            raise RemoteProtocolError("merged request", 482)
        call = Call(self, "uas", request, txn.peer, self._new_id())
        if self.trusted_peer is not None:
            call.trusted = self.trusted_peer(txn.peer)
        self._uas_invites[key] = call
        call.server_txn = txn
        txn.owner = call
        call.dialog = Dialog.for_uas(request, call.local_tag, confirmed=False)
        self.calls[call.dialog.id] = call
        self._events.append(IncomingCall(call, request))

    # -- internals: responses to what we sent --------------------------------------------------

    def _invite_response(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        status = response.status
        if status < 200:
            if status > 100:
                if call.dialog is None and response.to.tag:
                    call.dialog = Dialog.for_uac(txn.request, response)
                if call.state == "calling":
                    call.state = "early"
                self._events.append(CallProgress(call, response))
            if call.cancel_pending:
                call.cancel_pending = False
                self._send_cancel(call, now)
            return
        if status < 300:
            if call.ack_wire is not None and call.dialog is not None:
                if call.dialog.remote_tag == (response.to.tag or ""):
                    self.layer.send_stateless(call.ack_wire, self._dialog_peer(call))
                else:
                    self._end_fork(call, txn, response, now)
                return
            dialog = call.dialog
            if dialog is None or dialog.remote_tag != (response.to.tag or ""):
                dialog = Dialog.for_uac(txn.request, response)
            dialog.update_from_response(response)
            call.dialog = dialog
            self.calls[dialog.id] = call
            self._uac_calls.pop((call.call_id, call.local_tag), None)
            call.remote_sdp = response.body
            offer = response.body if not txn.request.body else b""
            self._send_ack(call, txn.request.cseq.seq, offer)
            cancelled = call.state == "cancelling" or call.cancel_pending
            call.state = "confirmed"
            if cancelled:  # the 2xx crossed our CANCEL: hang up (§9.1)
                self.bye(call, now)
            else:
                self._events.append(CallAnswered(call, response))
            return
        if self._retry_with_auth(call, txn.request, response, now):
            return
        call.state = "ended"
        call.end_reason = str(status)
        self._release(call)
        self._events.append(CallFailed(call, response))

    def _end_fork(self, call: Call, txn: ClientTransaction, response: Response, now: float) -> None:
        """A 2xx from another fork after we took the first one: ACK it and BYE it once
        (§13.2.2.4); its retransmissions are ACKed again."""
        fork = Dialog.for_uac(txn.request, response)
        peer = self._dialog_peer(call, fork)
        ack = fork.create_request("ACK", seq=txn.request.cseq.seq)
        ack.headers.prepend("Via", self._via(peer.transport))
        self.layer.send_stateless(bytes(ack), peer)
        if fork.remote_tag in call.forks:
            return
        call.forks.add(fork.remote_tag)
        bye = fork.create_request("BYE")
        bye.headers.prepend("Via", self._via(peer.transport))
        self.layer.send_request(bye, peer, now)

    def _reinvite_response(
        self, call: Call, txn: ClientTransaction, response: Response, now: float
    ) -> None:
        status = response.status
        if status < 200 or call.dialog is None:
            return
        call.reinvite_out = None
        if status < 300:
            call.dialog.refresh_target(response)
            call.remote_sdp = response.body
            self._send_ack(call, txn.request.cseq.seq)
        self._events.append(ReInviteResult(call, response))

    def _retry_with_auth(
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
        headers.set("Via", self._via(request.top_via.transport))
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
            self.layer.send_request(retry, owner.peer, now).owner = owner
        return True

    def _txn_failed(
        self, txn: ClientTransaction | ServerTransaction, status: int, now: float
    ) -> None:
        owner = txn.owner
        if isinstance(owner, OutgoingRequest):
            self._events.append(RequestCompleted(owner, synthesized(txn.request, status)))
            return
        if not isinstance(owner, Call):
            return
        call = owner
        if txn is call.client_txn and call.state in ("calling", "early", "cancelling"):
            call.state = "ended"
            call.end_reason = str(status)
            self._release(call)
            self._events.append(CallFailed(call, synthesized(txn.request, status)))
        elif txn is call.reinvite_out:
            call.reinvite_out = None
            self._events.append(ReInviteResult(call, synthesized(txn.request, status)))
        elif txn.request.method == "BYE":
            self._end(call, "BYE" if status == 408 else "transport error", by_remote=False)
        elif status == 503:
            self._end(call, "transport error", by_remote=False)
