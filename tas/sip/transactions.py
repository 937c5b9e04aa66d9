"""The transaction layer (RFC 3261 §17): matching, the shared timer heap and the outbox.

:class:`TransactionLayer` owns every live client and server transaction. It matches incoming
responses to client transactions (§17.1.3) and requests to server transactions (§17.2.3),
creates a server transaction for each new request (except ACK, which never has one) and hands
the transaction user (the UA core, :mod:`tas.sip.endpoint`) what it must see through the
:class:`~tas.sip.transaction_base.TransactionUser` callbacks. Bytes to send accumulate in
``outbox`` as ``(data, Peer)``; the adapter drains it. Transport errors are inputs
(:meth:`TransactionLayer.transport_error`).

The state machines live in :mod:`tas.sip.transaction_client` and
:mod:`tas.sip.transaction_server`.
"""

from __future__ import annotations

from tas.sip.errors import LocalProtocolError
from tas.sip.message import Request, Response
from tas.sip.timers import TimerConfig, TimerHeap
from tas.sip.transaction_base import Peer, Transaction, TransactionUser, response_peer
from tas.sip.transaction_client import ClientTransaction, new_client_transaction
from tas.sip.transaction_server import ServerTransaction, new_server_transaction

__all__ = ["TransactionLayer"]


class TransactionLayer:
    """Matches messages to transactions and keeps their timers (§17.1.3, §17.2.3)."""

    __slots__ = ("config", "tu", "timers", "outbox", "clients", "servers")

    def __init__(self, tu: TransactionUser, config: TimerConfig | None = None) -> None:
        self.config = config or TimerConfig()
        self.tu = tu
        self.timers = TimerHeap()
        self.outbox: list[tuple[bytes, Peer]] = []
        self.clients: dict[tuple[str, ...], ClientTransaction] = {}
        self.servers: dict[tuple[str, ...], ServerTransaction] = {}

    # -- inputs ---------------------------------------------------------------------------

    def receive_request(self, request: Request, source: Peer, now: float) -> None:
        """A parsed request from ``source`` (its top Via already stamped by the caller)."""
        key = request.transaction_key
        txn = self.servers.get(key)
        if txn is not None:
            txn.on_request(request, now)  # a retransmission, or the ACK for a non-2xx
            return
        method = request.method
        if method == "ACK":
            self.tu.on_ack(request, source, now)
            return
        peer = response_peer(request.top_via, source)
        txn = new_server_transaction(self, key, request, peer, now)
        self.servers[key] = txn
        if method == "CANCEL":
            self.tu.on_cancel(request, self.servers.get((*key[:-1], "INVITE")), now)
        else:
            self.tu.on_request(txn, request, now)

    def receive_response(self, response: Response, source: Peer, now: float) -> None:
        txn = self.clients.get(response.transaction_key)
        if txn is None:
            self.tu.on_stray_response(response, source, now)
        else:
            txn.on_response(response, now)

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at ``now``."""
        self.timers.fire_due(now)

    def next_deadline(self) -> float | None:
        return self.timers.next_deadline()

    def transport_error(self, peer: Peer, now: float) -> None:
        """Nothing can be sent to ``peer``: every transaction using it fails."""
        for txn in [*self.clients.values(), *self.servers.values()]:
            if txn.peer == peer or (peer.conn is not None and txn.peer.conn == peer.conn):
                txn.on_transport_error(now)

    # -- outputs --------------------------------------------------------------------------

    def send_request(self, request: Request, peer: Peer, now: float) -> ClientTransaction:
        """Start a client transaction for ``request`` (its top Via carries a fresh branch)."""
        key = (request.top_via.branch or "", request.method)
        if key in self.clients:
            raise LocalProtocolError(f"branch {key[0]} already in use")
        txn = new_client_transaction(self, key, request, peer, now)
        self.clients[key] = txn
        return txn

    def send_stateless(self, data: bytes, peer: Peer) -> None:
        """Send outside any transaction (2xx retransmissions, ACK for 2xx, stateless 4xx)."""
        self.outbox.append((data, peer))

    def take_outbox(self) -> list[tuple[bytes, Peer]]:
        out = self.outbox
        self.outbox = []
        return out

    def _forget(self, txn: Transaction) -> None:
        table: dict[tuple[str, ...], ClientTransaction] | dict[tuple[str, ...], ServerTransaction]
        table = self.clients if txn.is_client else self.servers
        if table.get(txn.key) is txn:
            del table[txn.key]
