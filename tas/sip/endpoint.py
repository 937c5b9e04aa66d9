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
:meth:`bye`, :meth:`reinvite` / :meth:`update` / :meth:`answer_reinvite` /
:meth:`reject_reinvite` (§14, RFC 3311, 491 on glare), :meth:`request` for other requests in or out of a dialog, :meth:`respond` for
:class:`~tas.sip.events.RequestReceived`. OPTIONS outside a dialog is answered here (§11.2);
requests in an unknown dialog get 481, out-of-order ones 500 (§12.2.2), merged INVITEs 482
(§8.2.2.2); a 2xx from a second fork is ACKed and BYEd (§13.2.2.4). An ended call is dropped
from ``calls`` and freed by reference counting (no cycles). The TU must answer every
IncomingCall (ring/answer/reject); the core sets no no-answer timer of its own.

This module is the facade: the adapter side (bytes, events, outbox, the one timer heap) and
the transaction user's callbacks, routed to the roles composed here: :mod:`tas.sip.uas`
(callee, reliable 1xx: :mod:`tas.sip.prack`), :mod:`tas.sip.uac` (caller, CANCEL, forks,
digest, PRACK), :mod:`tas.sip.in_dialog` (BYE, re-INVITE, UPDATE, INFO …; session timers:
:mod:`tas.sip.session_timer`), over the shared :mod:`tas.sip.ua_core` and its 2xx retransmitter
(:mod:`tas.sip.retransmit_2xx`). A call's states and their table: :mod:`tas.sip.call_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tas.sip.call import Call, Credentials, OutgoingRequest
from tas.sip.call_state import CallEvent, CallState
from tas.sip.dialog import DialogId
from tas.sip.errors import LocalProtocolError, ParseError, RemoteProtocolError
from tas.sip.events import Event, RequestCompleted, RequestReceived
from tas.sip.in_dialog import InDialog
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.routing import stamp_via, synthesized, target_peer
from tas.sip.transaction_base import Peer, response_peer
from tas.sip.transaction_client import ClientTransaction
from tas.sip.transaction_server import ServerTransaction
from tas.sip.transactions import TransactionLayer
from tas.sip.ua_core import EndpointConfig, UACore
from tas.sip.uac import UacRole
from tas.sip.uas import UasRole
from tas.sip.uri import URI, parse_uri
from tas.sip.validate import check_request, error_response

__all__ = ["Endpoint", "EndpointConfig"]

_INVITE_PENDING = (CallState.CALLING, CallState.EARLY, CallState.CANCELLING)


class Endpoint:
    """UA core: owns the transaction layer, the calls and the event queue."""

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.layer = TransactionLayer(self, config.timers)
        self._core = core = UACore(config, self.layer)
        self._uas = UasRole(core)
        self._uac = UacRole(core)
        self._dialogs = InDialog(core, self._uac, self._uas)
        self.calls: dict[DialogId, Call] = core.calls
        self._uas_invites = core.uas_invites
        self._allow_set = frozenset(config.allow)
        self._accept = frozenset(config.accept)
        self._supported = frozenset(config.supported)

    @property
    def trusted_peer(self) -> Callable[[Peer], bool] | None:
        """The adapter's trust boundary: False for a source we must not reflect towards
        (None: everyone is trusted, as in the RFC)."""
        return self._core.trusted_peer

    @trusted_peer.setter
    def trusted_peer(self, value: Callable[[Peer], bool] | None) -> None:
        self._core.trusted_peer = value

    # -- adapter side -------------------------------------------------------------------------

    def receive(self, data: bytes, source: Peer, now: float) -> None:
        """One datagram from ``source``."""
        try:
            message = parse_message(data)
        except ParseError as exc:
            self.receive_error(exc, source)
            return
        self.receive_message(message, source, now)

    def receive_message(self, message: Request | Response, source: Peer, now: float) -> None:
        """One parsed message (a stream frame cut by :class:`~tas.sip.framing.StreamFramer`)."""
        if isinstance(message, Request):
            try:
                stamp_via(message, source)
            except ParseError as exc:
                exc.partial = message
                self.receive_error(exc, source)
                return
            self.layer.receive_request(message, source, now)
        else:
            self.layer.receive_response(message, source, now)

    def receive_error(self, exc: RemoteProtocolError, source: Peer) -> None:
        """A message that did not parse: answer a routable request with the RFC's status
        (``exc.status_hint``); drop anything else (RFC 4475 §3.1.2.5)."""
        partial = exc.partial
        version = exc.status_hint == 505  # its Via names the unknown version too: to the source
        response = error_response(partial, exc, to_tag=self.new_tag(), need_via=not version)
        if response is None or not isinstance(partial, Request):
            return
        peer = source if version else response_peer(partial.top_via, source)
        self.layer.send_stateless(bytes(response), peer)

    def take_outbox(self) -> list[tuple[bytes, Peer]]:
        return self.layer.take_outbox()

    def take_events(self) -> list[Event]:
        return self._core.take_events()

    def next_deadline(self) -> float | None:
        return self.layer.next_deadline()

    def handle_timer(self, now: float) -> None:
        self.layer.handle_timer(now)

    def transport_error(self, peer: Peer, now: float) -> None:
        self.layer.transport_error(peer, now)

    def incoming_calls(self) -> Mapping[tuple[str, str, int], Call]:
        """Live incoming calls by (Call-ID, From tag, CSeq number): what admission control
        counts (tas.transport.admission)."""
        return self._core.uas_invites

    def new_tag(self) -> str:
        """A fresh tag (§19.3), e.g. for a To tag of a stateless response."""
        return self._core.new_id()

    # -- callee (UAS) API ---------------------------------------------------------------------

    def ring(self, call: Call, now: float, status: int = 180, body: bytes = b"") -> None:
        """A provisional response with our tag (early dialog, §13.3.1.1)."""
        self._uas.ring(call, now, status, body)

    def answer(
        self,
        call: Call,
        body: bytes,
        now: float,
        content_type: str = "application/sdp",
        *,
        after_prack: bool = False,
    ) -> None:
        """200 OK with ``body``; retransmitted until the ACK comes (§13.3.1.4). With
        ``after_prack`` it waits for the PRACK of a reliable 1xx (RFC 3262 §3)."""
        self._uas.answer(call, body, now, content_type, after_prack)

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
        self._uas.reject(call, status, now, reason, headers)

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
        return self._uac.invite(
            uri, now, peer, from_uri, body, content_type, headers, credentials, answer_offer
        )

    def cancel(self, call: Call, now: float, reason: str | None = None) -> None:
        """CANCEL our pending INVITE (§9.1); sent once a provisional arrived. ``reason``
        is its ``Reason`` header (RFC 3326), e.g. ``SIP;cause=200`` for a losing fork."""
        call.reason_out = reason
        self._uac.cancel(call, now)

    # -- both sides ---------------------------------------------------------------------------

    def bye(self, call: Call, now: float, reason: str | None = None) -> None:
        """End a call with BYE (§15.1); CallEnded follows when it completes. A caller still
        ringing out CANCELs instead; a callee waiting for the ACK of its 2xx sends the BYE
        once the ACK arrives (or the 2xx times out), §15. ``reason``: the BYE's (or that
        CANCEL's) ``Reason`` header (RFC 3326), e.g. ``Q.850;cause=41``."""
        call.reason_out = reason
        self._dialogs.bye(call, now)

    def reinvite(
        self, call: Call, body: bytes, now: float, content_type: str = "application/sdp"
    ) -> None:
        """Offer a new session description in the dialog (§14.1); ReInviteResult follows."""
        self._dialogs.reinvite(call, body, now, content_type)

    def update(
        self, call: Call, body: bytes, now: float, content_type: str = "application/sdp"
    ) -> None:
        """UPDATE in the early or confirmed dialog (RFC 3311 §5.1), an offer when ``body``;
        ReInviteResult follows for an offer. A 491 sends it again after the random time of
        RFC 3261 §14.1."""
        self._dialogs.update(call, body, now, content_type)

    def answer_reinvite(self, call: Call, body: bytes, now: float) -> None:
        """200 to the pending re-INVITE (§14.2, retransmitted until its ACK) or UPDATE that
        changes the session (RFC 3311 §5.2)."""
        self._dialogs.answer_reinvite(call, body, now)

    def reject_reinvite(self, call: Call, status: int, now: float) -> None:
        self._dialogs.reject_reinvite(call, status, now)

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
        core = self._core
        if call is not None:
            return core.send_in_dialog(call, method, body, content_type, now, headers)
        if uri is None:
            raise LocalProtocolError("an out-of-dialog request needs a uri")
        target = parse_uri(uri) if isinstance(uri, str) else uri
        peer = peer or target_peer(target, "UDP")
        request = core.new_request(method, target, peer, None, core.new_id(), 1)
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        if body:
            request.headers.add("Content-Type", content_type or "application/octet-stream")
            request.body = body
        handle = OutgoingRequest(request, peer, credentials, None)
        txn = self.layer.send_request(request, peer, now)
        txn.owner = handle
        return handle

    def own_contact(self, transport: str) -> str:
        """Our Contact for ``transport`` (a dialog-creating 2xx needs one, §12.1.1)."""
        return self._core.contact(transport)

    def send_built(self, request: Request, peer: Peer, now: float) -> OutgoingRequest:
        """Send a request the TU built in a dialog this endpoint does not track (a NOTIFY of a
        subscription, RFC 6665 §4.2.2): our Via and Contact are added here;
        RequestCompleted carries the final response."""
        request.headers.add("Via", self._core.via(peer.transport))
        request.headers.add("Contact", self.own_contact(peer.transport))
        handle = OutgoingRequest(request, peer, None, None)
        self.layer.send_request(request, peer, now).owner = handle
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
        response = txn.request.create_response(status, reason, to_tag=self.new_tag())
        for name, value in (headers or {}).items():
            response.headers.add(name, value)
        if body:
            response.headers.add("Content-Type", content_type or "application/octet-stream")
            response.body = body
        txn.respond(response, now)

    # -- TransactionUser callbacks (tas.sip.transaction_base) ----------------------------------

    def on_request(self, txn: ServerTransaction, request: Request, now: float) -> None:
        try:
            self._dispatch_request(txn, request, now)
        except RemoteProtocolError as exc:
            if txn.state in ("Trying", "Proceeding"):
                response = error_response(request, exc, to_tag=self.new_tag())
                if response is not None:
                    txn.respond(response, now)

    def on_ack(self, request: Request, peer: Peer, now: float) -> None:
        self._uas.on_ack(request, peer, now)

    def on_cancel(self, request: Request, invite: ServerTransaction | None, now: float) -> None:
        self._uas.on_cancel(request, invite, now)

    def on_response(self, txn: ClientTransaction, response: Response, now: float) -> None:
        owner = txn.owner
        if isinstance(owner, Call):
            if txn is owner.client_txn:
                self._uac.invite_response(owner, txn, response, now)
            elif txn is owner.reinvite_out or txn is owner.update_out:
                self._dialogs.reinvite_response(owner, txn, response, now)
            elif txn.request.method == "BYE":
                if response.status >= 200:  # "BYE", or why we sent it (session expired …)
                    reason = owner.end_reason or "BYE"
                    self._core.end(owner, CallEvent.BYE_DONE, reason, by_remote=False)
            elif 200 <= response.status < 300:
                # a retransmitted 2xx to an INVITE already answered: ACK again (§13.2.2.4)
                self._uac.resend_ack(owner)
        elif isinstance(owner, OutgoingRequest) and response.status >= 200:
            if self._uac.retry_with_auth(owner, owner.request, response, now):
                return
            self._core.events.append(RequestCompleted(owner, response))

    def on_stray_response(self, response: Response, peer: Peer, now: float) -> None:
        if response.cseq.method != "INVITE" or not 200 <= response.status < 300:
            return
        call = self.calls.get((response.call_id, response.from_.tag or "", response.to.tag or ""))
        if call is not None:
            self._uac.resend_ack(call)

    def on_timeout(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self._txn_failed(txn, 408, now)

    def on_transport_error(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        self._txn_failed(txn, 503, now)

    # -- internals ------------------------------------------------------------------------------

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
                self._uas.incoming_call(txn, request)
            elif method == "OPTIONS":
                txn.respond(self._core.options_response(request, self.new_tag()), now)
            elif method == "BYE":
                raise RemoteProtocolError("BYE outside a dialog", 481)
            else:
                self._core.events.append(RequestReceived(request, txn))
            return
        call = self.calls.get((request.call_id, to_tag, request.from_.tag or ""))
        if call is None and method == "SUBSCRIBE":  # a refresh: the subscription's owner decides
            self._core.events.append(RequestReceived(request, txn))  # (RFC 6665 §4.2.1)
            return
        if call is None or call.dialog is None:
            raise RemoteProtocolError("no such dialog", 481)  # §12.2.2
        self._dialogs.dispatch(call, txn, request, now)

    def _txn_failed(
        self, txn: ClientTransaction | ServerTransaction, status: int, now: float
    ) -> None:
        """Timer B/F/H or a transport error (§17.1.1.2, §17.1.4, §17.2.4): a synthesized
        final response to the TU, or the end of the call it belonged to."""
        owner = txn.owner
        if isinstance(owner, OutgoingRequest):
            self._core.events.append(RequestCompleted(owner, synthesized(txn.request, status)))
            return
        if not isinstance(owner, Call):
            return
        call = owner
        if txn is call.client_txn and call.state in _INVITE_PENDING:
            self._uac.failed(call, str(status), synthesized(txn.request, status))
        elif isinstance(txn, ClientTransaction) and txn in (call.reinvite_out, call.update_out):
            self._dialogs.reinvite_failed(call, txn, synthesized(txn.request, status), now)
        elif txn.request.method == "BYE":
            reason = "BYE" if status == 408 else "transport error"
            self._core.end(call, CallEvent.BYE_DONE, reason, by_remote=False)
        elif status == 503:
            self._core.end(call, CallEvent.TRANSPORT_ERROR, "transport error", by_remote=False)
