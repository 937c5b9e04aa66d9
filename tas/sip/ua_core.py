"""What the UA core's roles share (RFC 3261 §8.1, §12, §13.3.1.4, §15): tables and builders.

:class:`UACore` is the state behind the :class:`~tas.sip.endpoint.Endpoint` facade and the
role helpers composed into it (:mod:`tas.sip.uas`, :mod:`tas.sip.uac`,
:mod:`tas.sip.in_dialog`): the call tables, the event queue, tags, and what every role builds:
Via/Contact (§8.1.1.7-8, §12.1.1), new and in-dialog requests (§12.2.1.1), UAS responses,
OPTIONS answers (§11.2), the BYE that ends a confirmed dialog (§15.1.1) and the end of a call.
It also owns the 2xx retransmitter (:mod:`tas.sip.retransmit_2xx`, §13.3.1.4): 64*T1 without
an ACK is a BYE and the end of the call.

No reflection: when ``trusted_peer`` is set (the adapter's trust boundary), an INVITE from a
source it refuses makes an untrusted :class:`~tas.sip.call.Call`; its 2xx is sent once and
never retransmitted, a missing ACK simply drops the state after 64*T1 (no §13.3.1.4 BYE), and
its in-dialog requests go back to the request's source on the same connection, never to the
Contact / Record-Route it named.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count

from tas.sip.call import Call, OutgoingRequest
from tas.sip.call_state import CallEvent, CallState
from tas.sip.dialog import Dialog, DialogId, requires_sips
from tas.sip.errors import LocalProtocolError
from tas.sip.events import CallEnded, Event
from tas.sip.headers import MAGIC_COOKIE
from tas.sip.message import Headers, Request, Response
from tas.sip.retransmit_2xx import TwoxxRetransmitter
from tas.sip.routing import target_peer
from tas.sip.session_timer import Negotiated, SessionTimer, SessionTimerConfig, request_headers
from tas.sip.timers import TimerConfig
from tas.sip.transaction_base import Peer
from tas.sip.transaction_server import ServerTransaction
from tas.sip.transactions import TransactionLayer
from tas.sip.uri import URI, SipURI

__all__ = ["UACore", "EndpointConfig"]


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Who we are on the wire and what we support."""

    #: transport ("UDP", "TCP", "TLS") -> (host, port) written in Via and Contact.
    local: Mapping[str, tuple[str, int]]
    user: str = "tas"
    user_agent: str = "tas-companion"
    timers: TimerConfig = field(default_factory=TimerConfig)
    #: methods we take; outside a dialog, those beyond INVITE/BYE/OPTIONS/ACK/CANCEL reach the
    #: TU as RequestReceived (add "REGISTER" for a registrar). Others get 405/501 (§8.2.1).
    allow: tuple[str, ...] = (
        "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "MESSAGE", "NOTIFY", "PRACK",
        "UPDATE",
    )  # fmt: skip
    #: body types we take (§8.2.3, 415 otherwise); the first is what OPTIONS advertises.
    accept: tuple[str, ...] = ("application/sdp", "application/dtmf-relay", "text/plain")
    #: option tags we implement: reliable provisionals (RFC 3262), session timers (RFC 4028)
    supported: tuple[str, ...] = ("100rel", "timer")
    session_timer: SessionTimerConfig = field(default_factory=SessionTimerConfig)
    #: send a 1xx with SDP reliably when the caller supports 100rel (it always goes reliably
    #: when the caller requires it, RFC 3262 §3)
    reliable_provisionals: bool = True


class UACore:
    """The calls, the events and the message builders every role of the UA core uses."""

    def __init__(self, config: EndpointConfig, layer: TransactionLayer) -> None:
        self.config = config
        self.layer = layer
        self.calls: dict[DialogId, Call] = {}
        #: (Call-ID, local tag) of calls we placed that have no confirmed dialog yet
        self.uac_calls: dict[tuple[str, str], Call] = {}
        #: (Call-ID, From tag, CSeq) of live incoming calls, for merged requests (§8.2.2.2)
        self.uas_invites: dict[tuple[str, str, int], Call] = {}
        self.events: list[Event] = []
        self.retransmitter = TwoxxRetransmitter(layer, config.timers, self._no_ack)
        self._prefix = secrets.token_hex(4)
        self._ids = count(1)
        self._allow = ", ".join(config.allow)
        self._accept = ", ".join(config.accept)
        self._supported = ", ".join(config.supported)
        self._contacts: dict[str, str] = {}
        #: the adapter's trust boundary: False for a source we must not reflect towards
        #: (None: everyone is trusted, as in the RFC)
        self.trusted_peer: Callable[[Peer], bool] | None = None

    def take_events(self) -> list[Event]:
        events = self.events
        self.events = []
        return events

    # -- responses we build -------------------------------------------------------------------

    def uas_response(
        self,
        call: Call,
        status: int,
        body: bytes = b"",
        content_type: str | None = "application/sdp",
        reason: str | None = None,
    ) -> Response:
        response = call.invite.create_response(status, reason, to_tag=call.local_tag)
        headers = response.headers
        if 100 < status < 300:
            for rr in call.invite.headers.fields("Record-Route"):  # §12.1.1
                headers.add("Record-Route", rr)
            headers.add("Contact", self.contact(call.peer.transport, requires_sips(call.invite)))
            if status >= 200:
                self.capabilities(headers)
        if body and content_type:
            headers.add("Content-Type", content_type)
            response.body = body
        return response

    def dialog_response(
        self,
        call: Call,
        request: Request,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Response:
        response = request.create_response(status)
        if request.method in ("INVITE", "UPDATE") and 200 <= status < 300:
            secure = call.dialog is not None and call.dialog.secure
            response.headers.add("Contact", self.contact(call.peer.transport, secure))
            self.capabilities(response.headers)
        if body and content_type:
            response.headers.add("Content-Type", content_type)
            response.body = body
        return response

    def options_response(self, request: Request, to_tag: str | None) -> Response:
        """§11.2: 200 with what we allow, accept and support."""
        response = request.create_response(200, to_tag=to_tag)
        self.capabilities(response.headers)
        response.headers.add("User-Agent", self.config.user_agent)
        return response

    def capabilities(self, headers: Headers) -> None:
        """Allow, Accept and Supported: exactly what we implement (§11.2, §20.5, §20.37)."""
        headers.add("Allow", self._allow)
        headers.add("Accept", self._accept)
        if self._supported:
            headers.add("Supported", self._supported)

    # -- requests we send ----------------------------------------------------------------------

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):x}"

    def local(self, transport: str) -> tuple[str, int]:
        local = self.config.local
        found = local.get(transport) or next(iter(local.values()), None)
        if found is None:
            raise LocalProtocolError("no local address configured for Via/Contact")
        return found

    def via(self, transport: str) -> str:
        host, port = self.local(transport)
        if ":" in host:
            host = f"[{host}]"  # IPv6 reference (§25.1)
        return f"SIP/2.0/{transport} {host}:{port};branch={MAGIC_COOKIE}-{self.new_id()};rport"

    def contact(self, transport: str, secure: bool = False) -> str:
        """Our Contact for ``transport``; a SIPS URI (on our TLS address) when ``secure``
        (§8.1.1.8 for requests, §12.1.1 for responses)."""
        key = "SIPS" if secure else transport
        contact = self._contacts.get(key)
        if contact is None:
            host, port = self.local("TLS" if secure else transport)
            if ":" in host:
                host = f"[{host}]"
            if secure:
                uri = f"sips:{self.config.user}@{host}:{port}"
            else:
                param = "" if transport == "UDP" else f";transport={transport.lower()}"
                uri = f"sip:{self.config.user}@{host}:{port}{param}"
            contact = self._contacts[key] = f"<{uri}>"
        return contact

    def new_request(
        self, method: str, target: URI, peer: Peer, from_uri: str | None, tag: str, seq: int
    ) -> Request:
        host, _ = self.local(peer.transport)
        headers = Headers()
        headers.add("Via", self.via(peer.transport))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<{from_uri or f'sip:{self.config.user}@{host}'}>;tag={tag}")
        headers.add("To", f"<{target}>")
        headers.add("Call-ID", f"{self.new_id()}@{host}")
        headers.add("CSeq", f"{seq} {method}")
        secure = isinstance(target, SipURI) and target.secure
        headers.add("Contact", self.contact(peer.transport, secure))
        if method == "INVITE":  # RFC 3262 §4, RFC 4028 §7.1
            if self._supported:
                headers.add("Supported", self._supported)
            if "timer" in self.config.supported:
                request_headers(headers, self.config.session_timer)
        headers.add("User-Agent", self.config.user_agent)
        return Request(method, target, headers)

    def dialog_peer(self, call: Call, dialog: Dialog | None = None) -> Peer:
        """Next hop of an in-dialog request; reliable transports reuse the call's connection.
        An untrusted call's requests go only to its source (never to a Contact it named)."""
        if not call.trusted:
            return call.peer
        dialog = dialog or call.dialog
        assert dialog is not None
        uri = dialog.next_hop()
        if not isinstance(uri, SipURI):
            return call.peer
        transport = (uri.transport or call.peer.transport).upper()
        conn = call.peer.conn if transport == call.peer.transport else None
        return target_peer(uri, transport, conn)

    def send_in_dialog(
        self,
        call: Call,
        method: str,
        body: bytes,
        content_type: str | None,
        now: float,
        headers: Mapping[str, str] | None = None,
    ) -> OutgoingRequest:
        if call.dialog is None:
            raise LocalProtocolError(f"{call} has no dialog")
        request = call.dialog.create_request(method, body=body, content_type=content_type)
        peer = self.dialog_peer(call)
        request.headers.prepend("Via", self.via(peer.transport))
        if method in ("INVITE", "UPDATE"):
            request.headers.add("Contact", self.contact(peer.transport, call.dialog.secure))
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        handle = OutgoingRequest(request, peer, None, call)
        txn = self.layer.send_request(request, peer, now)
        txn.owner = call if method in ("BYE", "INVITE", "UPDATE") else handle
        if method == "INVITE":
            call.reinvite_out = txn
        elif method == "UPDATE":
            call.update_out = txn
        return handle

    # -- session timers (RFC 4028) ---------------------------------------------------------------

    def start_session_timer(self, call: Call, negotiated: Negotiated | None, now: float) -> None:
        """A 2xx settled (or dropped) the session timer of ``call`` (§10)."""
        timer = call.session_timer
        if negotiated is None:
            if timer is not None:
                timer.stop()
            return
        if timer is None:
            timer = call.session_timer = SessionTimer(
                call, self.layer.timers, self._refresh_session, self._session_expired
            )
        timer.start(negotiated, now)

    def session_headers(self, call: Call) -> dict[str, str]:
        """Session-Expires for a refresh we send: we stay the refresher (§7.4, §10)."""
        timer = call.session_timer
        if timer is None or timer.negotiated is None:
            return {}
        interval = timer.negotiated.interval
        return {"Session-Expires": f"{interval};refresher=uac", "Supported": "timer"}

    def _refresh_session(self, call: Call, now: float) -> None:
        """§10: refresh with UPDATE, or a re-INVITE with our SDP when the peer's Allow lacks
        UPDATE (RFC 3311 §5.1); not while another offer or refresh of ours is pending."""
        if call.state != CallState.CONFIRMED or call.update_out or call.reinvite_out:
            return
        method = "UPDATE" if "UPDATE" in call.peer_allow else "INVITE"
        body = call.local_sdp if method == "INVITE" else b""
        call.transition(CallEvent.SEND_UPDATE)
        self.send_in_dialog(
            call, method, body, "application/sdp" if body else None, now,
            self.session_headers(call),
        )  # fmt: skip

    def _session_expired(self, call: Call, now: float) -> None:
        """§10: no refresh before SE - min(32, SE/3): end the session with BYE."""
        self.end_session(call, "session expired", now)

    def end_session(self, call: Call, reason: str, now: float) -> None:
        """BYE at once in a confirmed dialog that is gone: the session expired (§10), or a
        refresh of ours got 408/481 or timed out (§10, RFC 3261 §12.2.1.2)."""
        if call.state != CallState.CONFIRMED:
            return
        self.retransmitter.stop(call)
        call.transition(CallEvent.SESSION_EXPIRED)
        call.end_reason = reason
        self.send_in_dialog(call, "BYE", b"", None, now)

    def send_bye(self, call: Call, now: float) -> None:
        """BYE in a confirmed dialog (§15.1.1): the call is ``ending`` until it completes."""
        self.retransmitter.stop(call)
        call.transition(CallEvent.SEND_BYE)
        reason = {"Reason": call.reason_out} if call.reason_out else None  # RFC 3326 §2
        self.send_in_dialog(call, "BYE", b"", None, now, reason)

    # -- the end of a call ----------------------------------------------------------------------

    def start_2xx(self, call: Call, txn: ServerTransaction, now: float) -> None:
        """Retransmit the 2xx ``txn`` just sent until its ACK (§13.3.1.4, §14.2)."""
        self.retransmitter.start(call, txn.last_wire, txn.peer, now)

    def _no_ack(self, call: Call, now: float) -> None:
        """64*T1 without the ACK of our 2xx: confirm, then end the session with BYE
        (§13.3.1.4); towards an untrusted source the state is simply dropped."""
        if call.trusted:
            self.send_in_dialog(call, "BYE", b"", None, now)
        self.end(call, CallEvent.NO_ACK, "no ACK", by_remote=False)

    def end(
        self,
        call: Call,
        event: CallEvent,
        reason: str,
        *,
        by_remote: bool,
        emit: bool = True,
        request: Request | None = None,
    ) -> None:
        """``event`` ends ``call`` (once: an ended call stays as it is); CallEnded unless
        ``emit`` is False (a rejected or cancelled call reports otherwise)."""
        if call.ended:
            return
        call.transition(event)
        call.end_reason = call.end_reason or reason
        self.retransmitter.stop(call)
        if call.session_timer is not None:
            call.session_timer.stop()
        if call.prack is not None:
            call.prack.stop()
        if call.glare is not None:
            call.glare.stop()
        if call.dialog is not None:
            self.calls.pop(call.dialog.id, None)
        self.release(call)
        if emit:
            self.events.append(CallEnded(call, reason, by_remote, request))

    def release(self, call: Call) -> None:
        """Forget an ended call: drop it from the tables and break the call <-> transaction
        reference cycles so reference counting frees it (transactions keep ``owner``)."""
        self.uac_calls.pop((call.call_id, call.local_tag), None)
        if call.dialog is not None and self.calls.get(call.dialog.id) is call:
            del self.calls[call.dialog.id]  # a failed INVITE's early dialog (§12.3)
        if call.role == "uas":
            invite = call.invite
            self.uas_invites.pop((call.call_id, invite.from_.tag or "", invite.cseq.seq), None)
            if call.server_txn is not None:
                call.server_txn.owner = None  # it absorbs retransmissions for 32 s more
        call.server_txn = None
        call.client_txn = None
        call.reinvite_in = None
        call.reinvite_out = None
