"""The sandbox core's B2BUA: the shared :class:`~tas.sip.b2bua.B2bua` with what an operator
core adds around it.

A :class:`Bridge` holds the inbound :class:`~tas.sip.call.Call` (the caller's leg 1, or a leg
the TAS sends the core) and the outgoing calls placed for it (handset, TAS). The relaying
itself (provisional responses 180-189, the first 2xx wins and the other legs are cancelled,
CANCEL, BYE, re-INVITE) is the shared B2BUA's; this module adds:

* the final status when every leg failed: :func:`~tas.sandbox.routes.best_failure`; the
  failure of an *advisory* leg (the TAS's FORK leg) only counts when nothing else came;
* FALLBACK: when the :attr:`Bridge.divert_on` leg is busy or unanswered (the no-answer timer
  on the :class:`~tas.sip.b2bua.BridgeHost`'s clock), :attr:`Bridge.on_divert` places the TAS
  leg instead of failing the call;
* reports to the :class:`BridgeOwner` (the core call, which publishes voice events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tas.sandbox.routes import best_failure, fallback_reason
from tas.sip.b2bua import B2bua, BridgeHost, TimerHandle
from tas.sip.call import Call
from tas.sip.events import CallEnded
from tas.sip.message import Response

__all__ = ["Bridge", "BridgeOwner"]


class BridgeOwner(Protocol):
    """What a bridge reports to (the core call it belongs to)."""

    def ringing(self, bridge: Bridge) -> None: ...
    def answered(self, bridge: Bridge) -> None: ...
    def finished(self, bridge: Bridge, status: int | None) -> None: ...


class Bridge(B2bua):
    """Inbound leg + outgoing legs; see the module docstring."""

    def __init__(
        self,
        host: BridgeHost,
        inbound: Call,
        owner: BridgeOwner,
        *,
        divert_on: Call | None = None,
        on_divert: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(host.endpoint, host.now, inbound)
        self.host = host
        self.owner = owner
        self.advisory: list[int] = []
        #: FALLBACK: when this leg is busy or unanswered, on_divert(reason) places the TAS leg.
        self.divert_on = divert_on
        self.on_divert = on_divert
        self.no_answer: TimerHandle | None = None
        self._advisory_legs: set[Call] = set()
        self._timed_out: Call | None = None  # the leg we CANCELled when no-answer fired

    def add(self, leg: Call, *, advisory: bool = False) -> None:
        """An outgoing leg placed for this bridge; an ``advisory`` leg's failure does not
        decide the caller's final status while another leg gives one."""
        super().add(leg)
        if advisory:
            self._advisory_legs.add(leg)

    def not_placed(self, status: int, *, advisory: bool = False) -> None:
        """A leg failed with ``status`` (or could not even be sent); when none is left, the
        caller gets the best failure."""
        if advisory:
            self.advisory.append(status)
            self.settle()
        else:
            super().not_placed(status)

    # -- policy of the shared B2BUA -------------------------------------------------------------

    def final_failure(self) -> tuple[int, str | None]:
        return best_failure(self.statuses or self.advisory), None

    def leg_failed(self, leg: Call, response: Response) -> bool:
        status = response.status
        if leg is self._timed_out:
            status = 480  # our CANCEL after the no-answer timer, not the caller's
        elif leg is self.divert_on:
            self._stop_timer()
            reason = fallback_reason(status)
            if reason is not None and self._can_divert():
                self.statuses.append(status)  # first: the caller gets it if the TAS fails
                self._divert(reason)
                return True
        self.not_placed(status, advisory=leg in self._advisory_legs)
        return True

    # -- hooks ----------------------------------------------------------------------------------

    def on_progress(self, leg: Call, response: Response, relayed: bool) -> None:
        if relayed:
            self.owner.ringing(self)

    def on_answered(self, leg: Call, won: bool) -> None:
        if won:
            self._stop_timer()
            self.owner.answered(self)

    def on_cancelled(self) -> None:
        self._stop_timer()

    def on_ended(self, event: CallEnded) -> None:
        if event.call is self.inbound:
            self._stop_timer()

    def on_finished(self, status: int | None) -> None:
        self.owner.finished(self, status)

    # -- FALLBACK no-answer timer -------------------------------------------------------------

    def arm_no_answer(self, delay: float) -> None:
        """After ``delay`` s without an answer, cancel the diverting leg and divert."""
        self.no_answer = self.host.call_later(delay, self._no_answer_fired)

    def _no_answer_fired(self) -> None:
        self.no_answer = None
        leg = self.divert_on
        if leg is None or leg not in self.outs or self.winner is not None or self.done:
            return
        self._timed_out = leg
        self.hang_up(leg, self.now())
        self._divert("no-answer")
        self.host.flush()  # we run from a timer, not inside the stack's event handler

    def _stop_timer(self) -> None:
        if self.no_answer is not None:
            self.no_answer.cancel()
            self.no_answer = None

    def _can_divert(self) -> bool:
        return self.on_divert is not None and self.caller_waiting

    def _divert(self, reason: str) -> None:
        """Once per bridge: hand the call to the diversion target (FALLBACK: the TAS)."""
        on_divert, self.on_divert = self.on_divert, None
        self.divert_on = None
        if on_divert is not None and self.caller_waiting:
            on_divert(reason)
