"""The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4, RFC 6026 §8.1): the timer owner.

The INVITE server transaction hands a 2xx to the TU and stops (RFC 6026 Accepted state); the
UA core resends it from T1 doubling to T2 until the ACK arrives, and gives up after 64*T1.
:class:`TwoxxRetransmitter` arms one :class:`Pending2xx` per answered INVITE (or re-INVITE, §14.2)
on the transaction layer's timer heap; the :class:`~tas.sip.call.Call` only points at it
(``Call.ok``), so the call stays data and the endpoint owns every timer. Towards an untrusted
source the 2xx is sent once and only the give-up fires (no reflection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tas.sip.timers import TimerConfig
from tas.sip.transaction_base import Peer

if TYPE_CHECKING:
    from tas.sip.call import Call
    from tas.sip.transactions import TransactionLayer

__all__ = ["Pending2xx", "TwoxxRetransmitter"]


class Pending2xx:
    """One 2xx waiting for its ACK: what is resent, where, when next and when to give up."""

    __slots__ = ("call", "wire", "peer", "interval", "give_up", "deadlines", "_owner")

    def __init__(
        self, owner: TwoxxRetransmitter, call: Call, wire: bytes, peer: Peer, interval: float
    ) -> None:
        self._owner = owner
        self.call = call
        self.wire = wire
        self.peer = peer
        self.interval = interval
        self.give_up = 0.0
        self.deadlines: dict[str, float] = {}  # TimerOwner: the one timer "2xx"

    def on_timer(self, name: str, now: float) -> None:
        self._owner.fire(self, now)


class TwoxxRetransmitter:
    """Starts, resends and stops the 2xx of every call (§13.3.1.4)."""

    __slots__ = ("layer", "timers", "on_give_up")

    def __init__(
        self,
        layer: TransactionLayer,
        timers: TimerConfig,
        on_give_up: Callable[[Call, float], None],
    ) -> None:
        self.layer = layer
        self.timers = timers
        #: 64*T1 without the ACK: the UA core sends BYE (trusted) and ends the call
        self.on_give_up = on_give_up

    def start(self, call: Call, wire: bytes | None, peer: Peer, now: float) -> None:
        """Retransmit ``wire`` (the 2xx just sent) until :meth:`stop`."""
        self.stop(call)
        pending = Pending2xx(self, call, wire or b"", peer, self.timers.t1)
        pending.give_up = now + 64 * self.timers.t1
        call.ok = pending
        first = now + pending.interval if call.trusted else pending.give_up
        self.layer.timers.arm(pending, "2xx", first)

    @staticmethod
    def stop(call: Call) -> None:
        """The ACK came (or the call ended): no more retransmissions."""
        pending = call.ok
        if pending is not None:
            pending.deadlines.clear()  # lazy cancellation on the heap
            call.ok = None

    def fire(self, pending: Pending2xx, now: float) -> None:
        call = pending.call
        if call.ok is not pending:
            return
        if now >= pending.give_up:
            self.stop(call)
            self.on_give_up(call, now)
            return
        self.layer.send_stateless(pending.wire, pending.peer)
        pending.interval = min(2 * pending.interval, self.timers.t2)
        self.layer.timers.arm(pending, "2xx", min(now + pending.interval, pending.give_up))
