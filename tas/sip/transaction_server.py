"""Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state).

INVITE (§17.2.1, RFC 6026 §8.7)::

    Proceeding --2xx--> Accepted --L--> Terminated
    Proceeding --300-699--> Completed --ACK--> Confirmed --I--> Terminated
    Completed --H (no ACK)--> Terminated (TU told)

Non-INVITE (§17.2.2)::

    Trying --1xx--> Proceeding --final--> Completed --J--> Terminated

A retransmitted request never reaches the TU: it is absorbed and the last response (if any)
is sent again (after a final response a transaction keeps only its request's method and URI).
Timer G retransmits a non-2xx final response over unreliable transports; 2xx
retransmission belongs to the UA core (§13.3.1.4), which passes them through
:meth:`ServerTransaction.respond` while the transaction is Accepted. A 100 Trying goes out by
itself when the TU has not answered an INVITE within 200 ms (§17.2.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tas.sip.errors import LocalProtocolError
from tas.sip.message import Request, Response
from tas.sip.transaction_base import Peer, Transaction

if TYPE_CHECKING:
    from tas.sip.transactions import TransactionLayer

__all__ = [
    "ServerTransaction",
    "InviteServerTransaction",
    "NonInviteServerTransaction",
    "new_server_transaction",
]


class ServerTransaction(Transaction):
    """Base of both server state machines: keeps the last response to resend."""

    __slots__ = ("last_status", "last_wire")

    def __init__(
        self, layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer
    ) -> None:
        super().__init__(layer, key, request, peer)
        self.last_status = 0
        self.last_wire: bytes | None = None

    def start(self, now: float) -> None:
        raise NotImplementedError

    def on_request(self, request: Request, now: float) -> None:
        raise NotImplementedError

    def respond(self, response: Response, now: float) -> None:
        """The TU's response (§17.2.1, §17.2.2); raises LocalProtocolError when too late."""
        raise NotImplementedError

    def _send_response(self, response: Response) -> None:
        """Send and remember the wire bytes for retransmissions. After a final response only
        the method and Request-URI of the request are kept: the transaction lives on for up to
        64*T1 to absorb retransmissions and needs nothing more (memory at high call rates)."""
        self.last_status = response.status
        self.last_wire = bytes(response)
        self._send(self.last_wire)
        if response.status >= 200:
            self.request = Request(self.request.method, self.request.uri)

    def _resend(self) -> None:
        if self.last_wire is not None:
            self._send(self.last_wire)


class InviteServerTransaction(ServerTransaction):
    """§17.2.1 + RFC 6026 §8.7."""

    __slots__ = ()

    TRANSITIONS = {
        "": frozenset({"Proceeding"}),
        "Proceeding": frozenset({"Accepted", "Completed", "Terminated"}),
        "Accepted": frozenset({"Terminated"}),
        "Completed": frozenset({"Confirmed", "Terminated"}),
        "Confirmed": frozenset({"Terminated"}),
        "Terminated": frozenset(),
    }

    def start(self, now: float) -> None:
        self._set_state("Proceeding")
        self._arm("Trying", self.layer.config.trying(), now)

    def on_request(self, request: Request, now: float) -> None:
        state = self.state
        if request.method == "ACK":
            if state == "Completed":
                self._cancel("G")
                self._cancel("H")
                self._set_state("Confirmed")
                delay = self.layer.config.i(self.reliable)
                if delay:
                    self._arm("I", delay, now)
                else:
                    self._set_state("Terminated")
            elif state == "Accepted":
                self.layer.tu.on_ack(request, self.peer, now)  # RFC 6026 §8.7
            return  # ACKs in Confirmed are absorbed
        if state in ("Proceeding", "Completed"):
            self._resend()  # retransmitted INVITE: resend the last response (§17.2.1)
        # Accepted absorbs INVITE retransmissions: the UA core resends the 2xx (RFC 6026).

    def respond(self, response: Response, now: float) -> None:
        state = self.state
        status = response.status
        config = self.layer.config
        if state == "Proceeding":
            self._cancel("Trying")
            self._send_response(response)
            if status < 200:
                return
            if status < 300:
                self._set_state("Accepted")
                self._arm("L", config.l(), now)
            else:
                self._set_state("Completed")
                if not self.reliable:
                    self.interval = config.g()
                    self._arm("G", self.interval, now)
                self._arm("H", config.h(), now)
        elif state == "Accepted" and 200 <= status < 300:
            self._send_response(response)  # a 2xx retransmission from the UA core
        else:
            raise LocalProtocolError(f"cannot send {status} in INVITE server state {state}")

    def stop_retransmitting(self) -> None:
        """No Timer G: the final response goes out again only when the INVITE does (§17.2.1
        absorption), one answer per request and no amplification towards a source we do not
        trust (issue #10, "no reflection"); Timer H still ends the transaction."""
        self._cancel("G")

    def on_timer(self, name: str, now: float) -> None:
        config = self.layer.config
        if name == "Trying" and self.state == "Proceeding" and self.last_wire is None:
            self._send_response(self.request.create_response(100))
        elif name == "G" and self.state == "Completed":
            self._resend()
            self.interval = config.next_interval(self.interval)
            self._arm("G", self.interval, now)
        elif name == "H" and self.state == "Completed":
            self._set_state("Terminated")
            self.layer.tu.on_timeout(self, now)
        elif name in ("I", "L"):
            self._set_state("Terminated")


class NonInviteServerTransaction(ServerTransaction):
    """§17.2.2."""

    __slots__ = ()

    TRANSITIONS = {
        "": frozenset({"Trying"}),
        "Trying": frozenset({"Proceeding", "Completed", "Terminated"}),
        "Proceeding": frozenset({"Completed", "Terminated"}),
        "Completed": frozenset({"Terminated"}),
        "Terminated": frozenset(),
    }

    def start(self, now: float) -> None:
        self._set_state("Trying")

    def on_request(self, request: Request, now: float) -> None:
        if self.state != "Trying":
            self._resend()  # Trying discards; Proceeding/Completed resend (§17.2.2)

    def respond(self, response: Response, now: float) -> None:
        state = self.state
        if state not in ("Trying", "Proceeding"):
            raise LocalProtocolError(f"cannot send {response.status} in state {state}")
        self._send_response(response)
        if response.status < 200:
            if state == "Trying":
                self._set_state("Proceeding")
            return
        self._set_state("Completed")
        delay = self.layer.config.j(self.reliable)
        if delay:
            self._arm("J", delay, now)
        else:
            self._set_state("Terminated")

    def on_timer(self, name: str, now: float) -> None:
        if name == "J":
            self._set_state("Terminated")


def new_server_transaction(
    layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer, now: float
) -> ServerTransaction:
    """Create and start the right state machine for a new request (never ACK)."""
    cls = InviteServerTransaction if request.method == "INVITE" else NonInviteServerTransaction
    txn = cls(layer, key, request, peer)
    txn.start(now)
    return txn
