"""State and message builders of the UA core (:mod:`tas.sip.endpoint`), split out for size.

:class:`EndpointBase` holds the calls, the event queue and the adapter-side methods
(``receive``/``take_outbox``/``take_events``/``next_deadline``/``handle_timer``), and builds
what the core sends: Via/Contact, new and in-dialog requests, CANCEL (§9.1), the ACK for a 2xx
(§13.2.2.4), UAS responses, and the 2xx retransmission until ACK (§13.3.1.4).

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
from tas.sip.dialog import Dialog, DialogId, requires_sips
from tas.sip.errors import LocalProtocolError, ParseError, RemoteProtocolError
from tas.sip.events import (
    CallEnded,
    Event,
)
from tas.sip.headers import MAGIC_COOKIE
from tas.sip.message import Headers, Request, Response
from tas.sip.parser import parse_message
from tas.sip.routing import stamp_via, target_peer
from tas.sip.timers import TimerConfig
from tas.sip.transaction_base import Peer, response_peer
from tas.sip.transaction_server import ServerTransaction
from tas.sip.transactions import TransactionLayer
from tas.sip.uri import URI, SipURI
from tas.sip.validate import error_response

__all__ = ["EndpointBase", "EndpointConfig"]


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
        "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "MESSAGE", "NOTIFY",
    )  # fmt: skip
    #: body types we take (§8.2.3, 415 otherwise); the first is what OPTIONS advertises.
    accept: tuple[str, ...] = ("application/sdp", "application/dtmf-relay", "text/plain")
    supported: tuple[str, ...] = ()


class EndpointBase:
    """What the UA core keeps and how it builds messages; :class:`Endpoint` adds the API."""

    layer: TransactionLayer

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self.calls: dict[DialogId, Call] = {}
        self._uac_calls: dict[tuple[str, str], Call] = {}
        #: (Call-ID, From tag, CSeq) of live incoming calls, for merged requests (§8.2.2.2)
        self._uas_invites: dict[tuple[str, str, int], Call] = {}
        self._events: list[Event] = []
        self._prefix = secrets.token_hex(4)
        self._ids = count(1)
        self._allow = ", ".join(config.allow)
        self._contacts: dict[str, str] = {}
        #: the adapter's trust boundary: False for a source we must not reflect towards
        #: (None: everyone is trusted, as in the RFC)
        self.trusted_peer: Callable[[Peer], bool] | None = None

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
        response = error_response(partial, exc, to_tag=self._new_id(), need_via=not version)
        if response is None or not isinstance(partial, Request):
            return
        peer = source if version else response_peer(partial.top_via, source)
        self.layer.send_stateless(bytes(response), peer)

    def take_outbox(self) -> list[tuple[bytes, Peer]]:
        return self.layer.take_outbox()

    def take_events(self) -> list[Event]:
        events = self._events
        self._events = []
        return events

    def next_deadline(self) -> float | None:
        return self.layer.next_deadline()

    def handle_timer(self, now: float) -> None:
        self.layer.handle_timer(now)

    def transport_error(self, peer: Peer, now: float) -> None:
        self.layer.transport_error(peer, now)

    def incoming_calls(self) -> Mapping[tuple[str, str, int], Call]:
        """Live incoming calls by (Call-ID, From tag, CSeq number): what admission control
        counts (tas.transport.admission)."""
        return self._uas_invites

    def new_tag(self) -> str:
        """A fresh tag (§19.3), e.g. for a To tag of a stateless response."""
        return self._new_id()

    # -- internals: responses we build ---------------------------------------------------------

    def _uas_response(
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
            headers.add("Contact", self._contact(call.peer.transport, requires_sips(call.invite)))
            if status >= 200:
                headers.add("Allow", self._allow)
        if body and content_type:
            headers.add("Content-Type", content_type)
            response.body = body
        return response

    def _dialog_response(
        self,
        call: Call,
        request: Request,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Response:
        response = request.create_response(status)
        if request.method == "INVITE" and 200 <= status < 300:
            secure = call.dialog is not None and call.dialog.secure
            response.headers.add("Contact", self._contact(call.peer.transport, secure))
        if body and content_type:
            response.headers.add("Content-Type", content_type)
            response.body = body
        return response

    def _options_response(self, request: Request, to_tag: str | None) -> Response:
        """§11.2: 200 with what we allow, accept and support."""
        response = request.create_response(200, to_tag=to_tag)
        response.headers.add("Allow", self._allow)
        response.headers.add("Accept", ", ".join(self.config.accept))
        if self.config.supported:
            response.headers.add("Supported", ", ".join(self.config.supported))
        response.headers.add("User-Agent", self.config.user_agent)
        return response

    # -- internals: 2xx reliability (§13.3.1.4) ------------------------------------------------

    def _start_2xx_retransmission(self, call: Call, txn: ServerTransaction, now: float) -> None:
        call.ok_wire = txn.last_wire
        call.ok_peer = txn.peer
        call.ok_interval = self.config.timers.t1
        call.ok_deadline = now + 64 * self.config.timers.t1
        first = now + call.ok_interval if call.trusted else call.ok_deadline
        self.layer.timers.arm(call, "2xx", first)

    def _stop_2xx(self, call: Call) -> None:
        call.ok_wire = None
        call.deadlines.pop("2xx", None)

    def _call_timer(self, call: Call, name: str, now: float) -> None:
        """One timer per call: the next 2xx retransmission, or the 64*T1 give-up."""
        if name != "2xx" or call.ok_wire is None or call.ok_peer is None:
            return
        if now >= call.ok_deadline:
            self._stop_2xx(call)  # no ACK: confirm, then end the session with BYE
            if call.trusted:  # untrusted: the state is simply dropped (no reflection)
                self._send_in_dialog(call, "BYE", b"", None, now)
            self._end(call, "no ACK", by_remote=False)
            return
        self.layer.send_stateless(call.ok_wire, call.ok_peer)
        call.ok_interval = min(2 * call.ok_interval, self.config.timers.t2)
        self.layer.timers.arm(call, "2xx", min(now + call.ok_interval, call.ok_deadline))

    def _end(self, call: Call, reason: str, *, by_remote: bool, emit: bool = True) -> None:
        if call.state == "ended":
            return
        call.state = "ended"
        call.end_reason = reason
        self._stop_2xx(call)
        if call.dialog is not None:
            self.calls.pop(call.dialog.id, None)
        self._release(call)
        if emit:
            self._events.append(CallEnded(call, reason, by_remote))

    def _release(self, call: Call) -> None:
        """Forget an ended call: drop it from the tables and break the call <-> transaction
        reference cycles so reference counting frees it (transactions keep ``owner``)."""
        self._uac_calls.pop((call.call_id, call.local_tag), None)
        if call.role == "uas":
            invite = call.invite
            self._uas_invites.pop((call.call_id, invite.from_.tag or "", invite.cseq.seq), None)
            if call.server_txn is not None:
                call.server_txn.owner = None  # it absorbs retransmissions for 32 s more
        call.server_txn = None
        call.client_txn = None
        call.reinvite_in = None
        call.reinvite_out = None

    # -- internals: requests we send -----------------------------------------------------------

    def _new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):x}"

    def _local(self, transport: str) -> tuple[str, int]:
        local = self.config.local
        found = local.get(transport) or next(iter(local.values()), None)
        if found is None:
            raise LocalProtocolError("no local address configured for Via/Contact")
        return found

    def _via(self, transport: str) -> str:
        host, port = self._local(transport)
        if ":" in host:
            host = f"[{host}]"  # IPv6 reference (§25.1)
        return f"SIP/2.0/{transport} {host}:{port};branch={MAGIC_COOKIE}-{self._new_id()};rport"

    def _contact(self, transport: str, secure: bool = False) -> str:
        """Our Contact for ``transport``; a SIPS URI (on our TLS address) when ``secure``
        (§8.1.1.8 for requests, §12.1.1 for responses)."""
        key = "SIPS" if secure else transport
        contact = self._contacts.get(key)
        if contact is None:
            host, port = self._local("TLS" if secure else transport)
            if ":" in host:
                host = f"[{host}]"
            if secure:
                uri = f"sips:{self.config.user}@{host}:{port}"
            else:
                param = "" if transport == "UDP" else f";transport={transport.lower()}"
                uri = f"sip:{self.config.user}@{host}:{port}{param}"
            contact = self._contacts[key] = f"<{uri}>"
        return contact

    def _new_request(
        self, method: str, target: URI, peer: Peer, from_uri: str | None, tag: str, seq: int
    ) -> Request:
        host, _ = self._local(peer.transport)
        headers = Headers()
        headers.add("Via", self._via(peer.transport))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<{from_uri or f'sip:{self.config.user}@{host}'}>;tag={tag}")
        headers.add("To", f"<{target}>")
        headers.add("Call-ID", f"{self._new_id()}@{host}")
        headers.add("CSeq", f"{seq} {method}")
        secure = isinstance(target, SipURI) and target.secure
        headers.add("Contact", self._contact(peer.transport, secure))
        headers.add("User-Agent", self.config.user_agent)
        return Request(method, target, headers)

    def _dialog_peer(self, call: Call, dialog: Dialog | None = None) -> Peer:
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

    def _send_in_dialog(
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
        peer = self._dialog_peer(call)
        request.headers.prepend("Via", self._via(peer.transport))
        if method == "INVITE":
            request.headers.add("Contact", self._contact(peer.transport, call.dialog.secure))
        for name, value in (headers or {}).items():
            request.headers.add(name, value)
        handle = OutgoingRequest(request, peer, None, call)
        txn = self.layer.send_request(request, peer, now)
        txn.owner = call if method in ("BYE", "INVITE") else handle
        if method == "INVITE":
            call.reinvite_out = txn
        return handle

    def _send_invite(self, call: Call, request: Request, now: float) -> None:
        call.invite = request
        txn = self.layer.send_request(request, call.peer, now)
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
        self.layer.send_request(Request("CANCEL", invite.uri, headers), call.peer, now)
        call.state = "cancelling"

    def _send_ack(self, call: Call, seq: int, offer: bytes = b"") -> None:
        """The ACK for a 2xx, built by the UAC core in the dialog (§13.2.2.4). When our INVITE
        carried no offer and the 2xx did, the ACK carries ``call.answer_offer(offer)``
        (§13.2.1 delayed offer)."""
        assert call.dialog is not None
        body = b""
        if offer and call.answer_offer is not None:
            body = call.answer_offer(offer)
            call.local_sdp = body
        ack = call.dialog.create_request(
            "ACK", seq=seq, body=body, content_type="application/sdp" if body else None
        )
        peer = self._dialog_peer(call)
        ack.headers.prepend("Via", self._via(peer.transport))
        call.ack_wire = bytes(ack)
        self.layer.send_stateless(call.ack_wire, peer)
