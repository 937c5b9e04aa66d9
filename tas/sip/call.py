"""Per-call state the UA core keeps (RFC 3261 §13-§15) and outgoing-request handles.

A :class:`Call` is one INVITE session seen from this UA, as caller (``role == "uac"``) or
callee (``"uas"``). The TU never mutates it; it reads ``state``, ``dialog``, ``remote_sdp``
and sets ``listener`` (:class:`~tas.sip.listener.CallListener`), which hears the call's events. A call is data: it arms no timer (the endpoint's
:mod:`tas.sip.retransmit_2xx` owns the 2xx timer) and knows no endpoint. States (the full
table and every state, ``cancelling`` included, are in :mod:`tas.sip.call_state`)::

    uas: incoming -> early -> answered (2xx sent, waiting for ACK) -> confirmed -> ended
         incoming|early -> ended (rejected by us, or CANCELled)
    uac: calling -> early -> confirmed -> ended
         calling|early -> cancelling (our CANCEL sent) -> ended (487) | confirmed (2xx crossed)
    either: confirmed -> ending (our BYE sent) -> ended

``state`` changes only through :meth:`Call.transition`, which checks the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tas.sip.call_state import CallEvent, CallState, next_state
from tas.sip.dialog import Dialog
from tas.sip.message import Request
from tas.sip.transaction_base import Peer

if TYPE_CHECKING:
    from tas.sip.glare import GlareRetry
    from tas.sip.listener import CallListener
    from tas.sip.prack import ReliableProvisionals
    from tas.sip.retransmit_2xx import Pending2xx
    from tas.sip.session_timer import SessionTimer
    from tas.sip.transaction_client import ClientTransaction
    from tas.sip.transaction_server import ServerTransaction

__all__ = ["Call", "OutgoingRequest", "Credentials"]

#: (username, password) used to answer digest challenges (RFC 2617/7616).
Credentials = tuple[str, str]


class Call:
    """One INVITE session and its dialog."""

    __slots__ = (
        "role",
        "_state",
        "call_id",
        "local_tag",
        "invite",
        "peer",
        "dialog",
        "server_txn",
        "client_txn",
        "ok",
        "ack_wire",
        "local_sdp",
        "remote_sdp",
        "credentials",
        "answer_offer",
        "auth_attempts",
        "cancel_pending",
        "bye_pending",
        "forks",
        "reinvite_in",
        "reinvite_out",
        "end_reason",
        "reason_out",
        "trusted",
        "prack",
        "rseq_in",
        "session_timer",
        "update_out",
        "peer_allow",
        "glare",
        "listener",
    )

    def __init__(self, role: str, invite: Request, peer: Peer, local_tag: str) -> None:
        self.role = role
        self._state = CallState.INCOMING if role == "uas" else CallState.CALLING
        self.call_id = invite.call_id
        self.local_tag = local_tag
        self.invite = invite
        self.peer = peer
        self.dialog: Dialog | None = None
        self.server_txn: ServerTransaction | None = None
        self.client_txn: ClientTransaction | None = None
        #: our 2xx, retransmitted until its ACK (§13.3.1.4); set by the endpoint's retransmitter
        self.ok: Pending2xx | None = None
        self.ack_wire: bytes | None = None  # our ACK for their 2xx, resent on retransmits
        self.local_sdp = b""
        self.remote_sdp = invite.body if role == "uas" else b""
        self.credentials: Credentials | None = None
        #: delayed offer (§13.2.1): builds the ACK's answer from the offer in the 2xx
        self.answer_offer: Callable[[bytes], bytes] | None = None
        self.auth_attempts = 0
        self.cancel_pending = False
        self.bye_pending = False  # BYE asked for before the ACK of our 2xx (§15)
        self.forks: set[str] = set()  # To tags of extra 2xx we ACKed and BYEd (§13.2.2.4)
        self.reinvite_in: ServerTransaction | None = None
        self.reinvite_out: ClientTransaction | None = None
        self.end_reason = ""
        self.reason_out: str | None = None  # Reason (RFC 3326) of our CANCEL / BYE
        #: False for a call from an untrusted source (``Endpoint.trusted_peer``): no 2xx
        #: retransmission, no BYE when the ACK never comes, in-dialog requests only to the
        #: request's source (no reflection towards a Contact naming a third party)
        self.trusted = True
        self.prack: ReliableProvisionals | None = None  # UAS: our reliable 1xx (RFC 3262)
        self.rseq_in = 0  # UAC: the last RSeq we PRACKed (RFC 3262 §4)
        self.session_timer: SessionTimer | None = None  # RFC 4028, once a 2xx settled one
        self.update_out: ClientTransaction | None = None  # our UPDATE (RFC 3311 §5.1)
        #: our re-INVITE / UPDATE to send again after a 491 (RFC 3261 §14.1)
        self.glare: GlareRetry | None = None
        #: the methods the peer's INVITE (UAS) or 2xx (UAC) allowed: UPDATE refreshes or not
        self.peer_allow: tuple[str, ...] = tuple(invite.headers.values("Allow"))
        #: who hears this call's events (tas.sip.listener); None: the stack's user
        self.listener: CallListener | None = None

    @property
    def state(self) -> CallState:
        """Where the INVITE dialog usage is (:class:`~tas.sip.call_state.CallState`, a str)."""
        return self._state

    def transition(self, event: CallEvent) -> CallState:
        """Move along the state table (:data:`tas.sip.call_state.TRANSITIONS`); the one place
        ``state`` changes. Raises LocalProtocolError for a pair the table does not hold."""
        self._state = next_state(self.role, self._state, event)
        return self._state

    @property
    def ended(self) -> bool:
        return self._state is CallState.ENDED

    def __repr__(self) -> str:
        return f"<Call {self.role} {self.state} {self.call_id}>"


class OutgoingRequest:
    """A request sent with ``Endpoint.request`` (OPTIONS, MESSAGE, REGISTER …)."""

    __slots__ = ("request", "peer", "credentials", "auth_attempts", "call")

    def __init__(
        self, request: Request, peer: Peer, credentials: Credentials | None, call: Call | None
    ) -> None:
        self.request = request
        self.peer = peer
        self.credentials = credentials
        self.auth_attempts = 0
        self.call = call

    def __repr__(self) -> str:
        return f"<OutgoingRequest {self.request.method} {self.request.uri}>"
