"""Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state).

INVITE (§17.1.1, RFC 6026 §8.4)::

    Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
    Calling/Proceeding --300-699 (send ACK)--> Completed --D--> Terminated
    Calling --B or transport error--> Terminated (TU told)

Non-INVITE (§17.1.2)::

    Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
    Trying/Proceeding --F or transport error--> Terminated (TU told)

Timer A (INVITE) and E (non-INVITE) retransmit the request over unreliable transports only.
The ACK for a non-2xx final response is built here (§17.1.1.3); the ACK for a 2xx belongs to
the UA core (§13.2.2.4). 2xx retransmissions in Accepted go to the TU so it can re-ACK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tas.sip.message import Headers, Request, Response
from tas.sip.transaction_base import Peer, Transaction

if TYPE_CHECKING:
    from tas.sip.transactions import TransactionLayer

__all__ = [
    "ClientTransaction",
    "InviteClientTransaction",
    "NonInviteClientTransaction",
    "new_client_transaction",
    "build_non2xx_ack",
]


def build_non2xx_ack(request: Request, response: Response) -> Request:
    """The ACK for a 300-699 response to ``request`` (§17.1.1.3): same Request-URI, Call-ID,
    From, CSeq number, top Via and Route; To from the response (it carries the tag)."""
    headers = Headers()
    headers.add("Via", str(request.top_via))
    for name in ("Max-Forwards", "From"):
        value = request.headers.get(name)
        if value is not None:
            headers.add(name, value)
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq.seq} ACK")
    for route in request.headers.fields("Route"):
        headers.add("Route", route)
    return Request("ACK", request.uri, headers)


class ClientTransaction(Transaction):
    """Base of both client state machines: owns the request bytes it retransmits."""

    __slots__ = ("wire", "last_response")
    is_client = True

    def __init__(
        self, layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer
    ) -> None:
        super().__init__(layer, key, request, peer)
        self.wire = bytes(request)
        self.last_response: Response | None = None

    def start(self, now: float) -> None:
        raise NotImplementedError

    def on_response(self, response: Response, now: float) -> None:
        raise NotImplementedError

    def _timeout(self, now: float) -> None:
        self._set_state("Terminated")
        self.layer.tu.on_timeout(self, now)


class InviteClientTransaction(ClientTransaction):
    """§17.1.1 + RFC 6026 §8.4."""

    __slots__ = ("ack",)

    TRANSITIONS = {
        "": frozenset({"Calling"}),
        "Calling": frozenset({"Proceeding", "Accepted", "Completed", "Terminated"}),
        "Proceeding": frozenset({"Accepted", "Completed", "Terminated"}),
        "Accepted": frozenset({"Terminated"}),
        "Completed": frozenset({"Terminated"}),
        "Terminated": frozenset(),
    }

    def __init__(
        self, layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer
    ) -> None:
        super().__init__(layer, key, request, peer)
        self.ack: bytes | None = None

    def start(self, now: float) -> None:
        config = self.layer.config
        self._set_state("Calling")
        self._send(self.wire)
        if not self.reliable:
            self.interval = config.a()
            self._arm("A", self.interval, now)
        self._arm("B", config.b(), now)

    def on_response(self, response: Response, now: float) -> None:
        state = self.state
        status = response.status
        config = self.layer.config
        if state in ("Calling", "Proceeding"):
            self._cancel("A")
            self.last_response = response
            if status < 200:
                if state == "Calling":
                    self._cancel("B")  # B only bounds Calling (§17.1.1.2)
                    self._set_state("Proceeding")
            elif status < 300:
                self._cancel("B")
                self._set_state("Accepted")
                self._arm("M", config.m(), now)
            else:
                self._cancel("B")
                ack = build_non2xx_ack(self.request, response)
                self.ack = bytes(ack)
                self._send(self.ack)
                self._set_state("Completed")
                delay = config.d(self.reliable)
                self.layer.tu.on_response(self, response, now)
                if delay:
                    self._arm("D", delay, now)
                else:
                    self._set_state("Terminated")
                return
            self.layer.tu.on_response(self, response, now)
        elif state == "Accepted":
            if 200 <= status < 300:
                self.layer.tu.on_response(self, response, now)  # the TU re-ACKs (§13.2.2.4)
        elif state == "Completed":
            if status >= 300 and self.ack is not None:
                self._send(self.ack)  # absorb, re-ACK (§17.1.1.2)

    def on_timer(self, name: str, now: float) -> None:
        if name == "A" and self.state == "Calling":
            self._send(self.wire)
            self.interval = self.layer.config.next_interval(self.interval, cap=False)
            self._arm("A", self.interval, now)
        elif name == "B" and self.state == "Calling":
            self._timeout(now)
        elif name in ("D", "M"):
            self._set_state("Terminated")


class NonInviteClientTransaction(ClientTransaction):
    """§17.1.2."""

    __slots__ = ()

    TRANSITIONS = {
        "": frozenset({"Trying"}),
        "Trying": frozenset({"Proceeding", "Completed", "Terminated"}),
        "Proceeding": frozenset({"Completed", "Terminated"}),
        "Completed": frozenset({"Terminated"}),
        "Terminated": frozenset(),
    }

    def start(self, now: float) -> None:
        config = self.layer.config
        self._set_state("Trying")
        self._send(self.wire)
        if not self.reliable:
            self.interval = config.e()
            self._arm("E", self.interval, now)
        self._arm("F", config.f(), now)

    def on_response(self, response: Response, now: float) -> None:
        state = self.state
        if state not in ("Trying", "Proceeding"):
            return  # Completed absorbs retransmitted finals
        self.last_response = response
        if response.status < 200:
            if state == "Trying":
                self._set_state("Proceeding")
            self.layer.tu.on_response(self, response, now)
            return
        self._cancel("E")
        self._cancel("F")
        self._set_state("Completed")
        self.layer.tu.on_response(self, response, now)
        delay = self.layer.config.k(self.reliable)
        if delay:
            self._arm("K", delay, now)
        else:
            self._set_state("Terminated")

    def on_timer(self, name: str, now: float) -> None:
        config = self.layer.config
        if name == "E" and self.state in ("Trying", "Proceeding"):
            self._send(self.wire)
            # In Proceeding retransmissions go every T2 (§17.1.2.2).
            if self.state == "Trying":
                self.interval = config.next_interval(self.interval)
            else:
                self.interval = config.t2
            self._arm("E", self.interval, now)
        elif name == "F" and self.state in ("Trying", "Proceeding"):
            self._timeout(now)
        elif name == "K":
            self._set_state("Terminated")


def new_client_transaction(
    layer: TransactionLayer, key: tuple[str, ...], request: Request, peer: Peer, now: float
) -> ClientTransaction:
    """Create and start the right state machine for ``request``."""
    cls = InviteClientTransaction if request.method == "INVITE" else NonInviteClientTransaction
    txn = cls(layer, key, request, peer)
    txn.start(now)
    return txn
