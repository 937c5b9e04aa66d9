"""What client and server transactions share (RFC 3261 §17): the peer address, response
routing (§18.2.2, RFC 3581), the transaction-user callbacks and the :class:`Transaction` base
with its timers and sending. The layer that owns them is :mod:`tas.sip.transactions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tas.sip.errors import LocalProtocolError
from tas.sip.headers import Via
from tas.sip.message import Request, Response

if TYPE_CHECKING:
    from tas.sip.transaction_client import ClientTransaction
    from tas.sip.transaction_server import ServerTransaction
    from tas.sip.transactions import TransactionLayer

__all__ = ["Peer", "RELIABLE", "Transaction", "TransactionUser", "response_peer"]

#: Transports with their own reliability: retransmission timers do not run (§17.1.1.2).
RELIABLE = frozenset({"TCP", "TLS", "SCTP", "WS", "WSS"})


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a message came from or goes to.

    ``conn`` names the connection a message arrived on (connection-oriented transports); the
    adapter sends on it while it is open and otherwise connects to ``host:port`` (§18.2.2).
    """

    transport: str
    host: str
    port: int
    conn: int | None = None

    @property
    def reliable(self) -> bool:
        return self.transport in RELIABLE


def response_peer(via: Via, source: Peer) -> Peer:
    """Where responses to a request go (§18.2.2, RFC 3581 §4): the source connection for
    reliable transports, else ``received``/``rport`` or the sent-by port."""
    host = via.received or via.host
    if via.wants_rport:
        port = via.rport or source.port
    else:
        port = via.port or (5061 if via.transport == "TLS" else 5060)
    return Peer(source.transport, host, port, source.conn)


class TransactionUser(Protocol):
    """What the layer tells its user (the UA core)."""

    def on_request(self, txn: ServerTransaction, request: Request, now: float) -> None:
        """A new request (not a retransmission) arrived; answer it through ``txn``."""

    def on_ack(self, request: Request, peer: Peer, now: float) -> None:
        """An ACK that matched no transaction: the ACK for a 2xx (§17.2.3, §13.3.1.4)."""

    def on_cancel(self, request: Request, invite: ServerTransaction | None, now: float) -> None:
        """A CANCEL arrived; ``invite`` is the INVITE server transaction it matches (§9.2)."""

    def on_response(self, txn: ClientTransaction, response: Response, now: float) -> None:
        """A response the client transaction passes up (never a retransmitted final)."""

    def on_stray_response(self, response: Response, peer: Peer, now: float) -> None:
        """A response that matched no transaction: a retransmitted 2xx to INVITE (§13.2.2.4)."""

    def on_timeout(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        """Timer B/F (client) or H (server, no ACK) fired."""

    def on_transport_error(self, txn: ClientTransaction | ServerTransaction, now: float) -> None:
        """The transport could not deliver what the transaction sent (§17.1.4, §17.2.4)."""


class Transaction:
    """What client and server transactions share: identity, peer, timers and sending."""

    __slots__ = ("layer", "key", "peer", "request", "state", "deadlines", "interval", "owner")

    #: state -> the states it may move to; set by each state machine (transitions in one place).
    TRANSITIONS: dict[str, frozenset[str]] = {}
    is_client = False

    def __init__(self, layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer):
        self.layer = layer
        self.key = key
        self.peer = peer
        self.request = request
        self.state: str = ""  # the initial state; every transition is _set_state
        self.deadlines: dict[str, float] = {}
        self.interval = 0.0
        #: what the transaction user attached (a call, an outgoing request handle …).
        self.owner: object = None

    @property
    def reliable(self) -> bool:
        return self.peer.reliable

    @property
    def terminated(self) -> bool:
        return self.state == "Terminated"

    def _set_state(self, state: str) -> None:
        if state not in self.TRANSITIONS[self.state]:
            raise LocalProtocolError(f"{type(self).__name__}: {self.state} -> {state} not allowed")
        self.state = state
        if state == "Terminated":
            self.deadlines.clear()
            self.layer._forget(self)

    def _arm(self, name: str, delay: float, now: float) -> None:
        self.layer.timers.arm(self, name, now + delay)

    def _cancel(self, name: str) -> None:
        self.deadlines.pop(name, None)

    def _send(self, data: bytes) -> None:
        self.layer.outbox.append((data, self.peer))

    def on_timer(self, name: str, now: float) -> None:
        raise NotImplementedError

    def on_transport_error(self, now: float) -> None:
        """§17.1.4 / §17.2.4: inform the TU and terminate."""
        if self.terminated:
            return
        self._set_state("Terminated")
        self.layer.tu.on_transport_error(self, now)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.request.method} {self.state} {self.key[0]}>"
