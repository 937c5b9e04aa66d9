"""The callee side of the INVITE session (RFC 3261 §13.3, §9.2, RFC 6026).

:class:`UasRole` makes a :class:`~tas.sip.call.Call` of a new INVITE (482 for a merged one,
§8.2.2.2), and moves it with what the TU decides: :meth:`UasRole.ring` (a 1xx with our tag,
early dialog, §13.3.1.1), :meth:`UasRole.answer` (2xx, retransmitted until the ACK,
§13.3.1.4), :meth:`UasRole.reject` (a final non-2xx the transaction retransmits until its ACK,
§13.3.1.3, §17.2.1; once only towards an untrusted source). It takes the ACK of our 2xx
(confirmed; a BYE asked for meanwhile is sent now, §15) and CANCEL (200, then 487 to the
INVITE while it is pending, §9.2).
"""

from __future__ import annotations

from collections.abc import Mapping

from tas.sip.call import Call
from tas.sip.call_state import CallEvent, CallState
from tas.sip.dialog import Dialog
from tas.sip.errors import LocalProtocolError, RemoteProtocolError
from tas.sip.events import CallCancelled, CallConfirmed, IncomingCall
from tas.sip.message import Request
from tas.sip.prack import ReliableProvisionals, wants_reliable
from tas.sip.session_timer import from_response, response_headers, uas_negotiate
from tas.sip.transaction_base import Peer
from tas.sip.transaction_server import InviteServerTransaction, ServerTransaction
from tas.sip.ua_core import UACore

__all__ = ["UasRole"]

_PENDING = (CallState.INCOMING, CallState.EARLY)


class UasRole:
    """Incoming INVITE, ring/answer/reject, ACK of our 2xx, CANCEL."""

    __slots__ = ("core",)

    def __init__(self, core: UACore) -> None:
        self.core = core

    def incoming_call(self, txn: ServerTransaction, request: Request) -> None:
        """A new INVITE outside a dialog: a Call with our tag and its early dialog (§12.1.1)."""
        core = self.core
        key = (request.call_id, request.from_.tag or "", request.cseq.seq)
        if key in core.uas_invites:  # the same INVITE via another path (§8.2.2.2)
            raise RemoteProtocolError("merged request", 482)
        if "timer" in core.config.supported:
            uas_negotiate(request, core.config.session_timer)  # 422 when too short (RFC 4028 §9)
        call = Call("uas", request, txn.peer, core.new_id())
        if core.trusted_peer is not None:
            call.trusted = core.trusted_peer(txn.peer)
        core.uas_invites[key] = call
        call.server_txn = txn
        txn.owner = call
        call.dialog = Dialog.for_uas(request, call.local_tag, confirmed=False)
        core.calls[call.dialog.id] = call
        core.events.append(IncomingCall(call, request))

    def ring(self, call: Call, now: float, status: int, body: bytes) -> None:
        """A 1xx; reliably (RFC 3262 §3) when the caller requires 100rel, or supports it and
        ``body`` is early media (never towards an untrusted source: no retransmissions)."""
        if call.state not in _PENDING or call.server_txn is None:
            raise LocalProtocolError(f"cannot ring a call in state {call.state}")
        core = self.core
        response = core.uas_response(call, status, body)
        enabled = core.config.reliable_provisionals and "100rel" in core.config.supported
        # no retransmitted 1xx towards a source we must not reflect towards (issue #10)
        if status > 100 and call.trusted and wants_reliable(call.invite, bool(body), enabled):
            if call.prack is None:
                txn, layer = call.server_txn, core.layer
                call.prack = ReliableProvisionals(
                    call, layer.timers, core.config.timers, txn.respond,
                    lambda wire: layer.send_stateless(wire, txn.peer), self._prack_timeout,
                )  # fmt: skip
            call.prack.send(response, now)
            if body:
                call.local_sdp = body
        else:
            call.server_txn.respond(response, now)
        call.transition(CallEvent.SEND_1XX)

    def answer(
        self, call: Call, body: bytes, now: float, content_type: str, after_prack: bool = False
    ) -> None:
        """The 2xx; held back while a reliable 1xx with SDP waits for its PRACK (RFC 3262
        §3), or any reliable 1xx when ``after_prack`` (the UAS may send the 2xx first for a
        1xx without SDP, §3; ring-before-answer waits)."""
        if call.state not in _PENDING or call.server_txn is None:
            raise LocalProtocolError(f"cannot answer a call in state {call.state}")
        prack = call.prack
        if prack is not None and prack.pending:
            if prack.with_sdp or after_prack:
                prack.deferred_answer = (body, content_type)
                return
            prack.finish()
        core = self.core
        response = core.uas_response(call, 200, body, content_type)
        if "timer" in core.config.supported:
            settled = uas_negotiate(call.invite, core.config.session_timer)
            for name, value in response_headers(*settled) if settled else ():
                response.headers.add(name, value)
        call.server_txn.respond(response, now)
        call.local_sdp = body
        call.transition(CallEvent.SEND_2XX)
        assert call.dialog is not None
        call.dialog.confirmed = True
        core.start_2xx(call, call.server_txn, now)
        core.start_session_timer(call, from_response(response, we_are_uac=False), now)

    def prack(self, call: Call, txn: ServerTransaction, request: Request, now: float) -> None:
        """A PRACK in the early dialog (RFC 3262 §3): 200 when its RAck matches (481
        otherwise); a 2xx held back for it goes now."""
        prack = call.prack
        if prack is None:
            raise RemoteProtocolError("no reliable provisional to PRACK", 481)
        prack.prack(request, now)
        if request.body:
            call.remote_sdp = request.body  # the answer to an offer in our 1xx (RFC 3262 §5)
        txn.respond(self.core.dialog_response(call, request, 200), now)
        call.transition(CallEvent.RECV_PRACK)
        deferred = prack.deferred_answer
        if deferred is not None and not prack.pending and call.state in _PENDING:
            prack.deferred_answer = None
            self.answer(call, deferred[0], now, deferred[1])

    def _prack_timeout(self, call: Call, now: float) -> None:
        """RFC 3262 §3: 64*T1 without the PRACK of a reliable 1xx: reject the INVITE (5xx)."""
        if call.state not in _PENDING or call.server_txn is None:
            return
        call.server_txn.respond(self.core.uas_response(call, 504, reason="No PRACK"), now)
        self.core.end(call, CallEvent.PRACK_TIMEOUT, "no PRACK", by_remote=False)

    def reject(
        self,
        call: Call,
        status: int,
        now: float,
        reason: str | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        if status < 300 or call.state not in _PENDING or call.server_txn is None:
            raise LocalProtocolError(f"cannot reject with {status} in state {call.state}")
        response = self.core.uas_response(call, status, reason=reason)
        for name, value in (headers or {}).items():
            response.headers.add(name, value)
        txn = call.server_txn
        txn.respond(response, now)
        if not call.trusted and isinstance(txn, InviteServerTransaction):
            txn.stop_retransmitting()  # one answer per request towards an untrusted source
        self.core.end(
            call, CallEvent.SEND_FAILURE, f"rejected {status}", by_remote=False, emit=False
        )

    def on_ack(self, request: Request, peer: Peer, now: float) -> None:
        """An ACK outside any transaction: the ACK of a 2xx (§13.3.1.4, §17.2.3)."""
        core = self.core
        call = core.calls.get((request.call_id, request.to.tag or "", request.from_.tag or ""))
        if call is None or call.ok is None:
            return
        core.retransmitter.stop(call)
        if call.state == CallState.ANSWERED:
            call.transition(CallEvent.RECV_ACK)
            if request.body:
                call.remote_sdp = request.body
            core.events.append(CallConfirmed(call, request))
            if call.bye_pending:
                core.send_bye(call, now)

    def on_cancel(self, request: Request, invite: ServerTransaction | None, now: float) -> None:
        """CANCEL (§9.2): 200 to it; 487 to the INVITE if it is still pending."""
        core = self.core
        txn = core.layer.servers[request.transaction_key]
        call = invite.owner if invite is not None else None
        if not isinstance(call, Call) or invite is None:
            txn.respond(request.create_response(481, to_tag=core.new_id()), now)
            return
        txn.respond(request.create_response(200, to_tag=call.local_tag), now)
        if invite.state == "Proceeding" and call.state in _PENDING:
            invite.respond(core.uas_response(call, 487), now)
            core.end(call, CallEvent.RECV_CANCEL, "cancelled", by_remote=True, emit=False)
            core.events.append(CallCancelled(call, request))
