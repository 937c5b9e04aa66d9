"""One inbound leg bridged to its outgoing legs: the signalling B2BUA of the sandbox core.

A :class:`Bridge` holds the inbound :class:`~tas.sip.call.Call` (the caller's leg 1, or a leg
the TAS sends the core) and the outgoing calls placed for it (handset, TAS). It relays what
RFC 3261 asks of a B2BUA, SDP unchanged so RTP flows end to end:

* provisional responses 180-183 (with any early-media SDP) to the inbound leg (§16.7 step 5);
* the first 2xx answers the inbound leg; the other legs get CANCEL (§9.1), or BYE when their
  2xx crossed ours;
* when every leg failed, the best failure goes back (:func:`~tas.sandbox.routes.best_failure`),
  unless the owner diverts (FALLBACK: :attr:`Bridge.on_divert` places the TAS leg); the
  failure of an *advisory* leg (the TAS's FORK leg) only counts when nothing else came;
* CANCEL from the caller cancels every pending leg; BYE on either side of the answered pair
  ends the other side; re-INVITEs are relayed across the pair (§14).

Sans-IO apart from its :class:`~tas.sip.b2bua.BridgeHost` (endpoint, clock, one-shot timers,
flush), so unit tests drive it on in-memory endpoints and a virtual clock; re-INVITEs go
through the shared :class:`~tas.sip.b2bua.ReinviteRelay`. The bridge is the listener
(:mod:`tas.sip.listener`) of every leg it holds, so the stack hands it their events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from tas.sandbox.routes import best_failure, fallback_reason
from tas.sip.b2bua import BridgeHost, ReinviteRelay, TimerHandle
from tas.sip.call import Call
from tas.sip.errors import LocalProtocolError
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    CallProgress,
    Event,
    ReInvite,
    ReInviteResult,
)
from tas.sip.message import Request, Response

__all__ = ["Bridge", "BridgeOwner"]

log = logging.getLogger(__name__)

_PENDING = ("calling", "early")
_UAS_OPEN = ("incoming", "early")


class BridgeOwner(Protocol):
    """What a bridge reports to (the core call it belongs to)."""

    def ringing(self, bridge: Bridge) -> None: ...
    def answered(self, bridge: Bridge) -> None: ...
    def finished(self, bridge: Bridge, status: int | None) -> None: ...


class Bridge:
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
        self.host = host
        self.ep = host.endpoint
        self.now = host.now
        self.inbound = inbound
        self.owner = owner
        self.outs: list[Call] = []
        self.winner: Call | None = None
        self.statuses: list[int] = []
        self.advisory: list[int] = []
        self.done = False
        #: FALLBACK: when this leg is busy or unanswered, on_divert(reason) places the TAS leg.
        self.divert_on = divert_on
        self.on_divert = on_divert
        self.no_answer: TimerHandle | None = None
        self._reinvites = ReinviteRelay(self.ep)
        self._advisory: set[Call] = set()  # legs whose failure only counts when nothing else came
        self._timed_out: Call | None = None  # the leg we CANCELled when no-answer fired
        inbound.listener = self

    # -- legs ---------------------------------------------------------------------------------

    def add(self, leg: Call, *, advisory: bool = False) -> None:
        """An outgoing leg placed for this bridge; an ``advisory`` leg's failure does not
        decide the caller's final status while another leg gives one."""
        leg.listener = self
        if advisory:
            self._advisory.add(leg)
        self.outs.append(leg)

    def partner(self, call: Call) -> Call | None:
        """The other side of the answered pair."""
        if call is self.inbound:
            return self.winner
        return self.inbound if call is self.winner else None

    # -- the legs' listener ---------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """An event of the inbound leg or of an outgoing leg (tas.sip.listener)."""
        if isinstance(event, CallProgress):
            self.progress(event.call, event.response)
        elif isinstance(event, CallAnswered):
            self.answered(event.call, event.response)
        elif isinstance(event, CallFailed):
            self.failed(event.call, event.response.status)
        elif isinstance(event, CallCancelled):
            self.cancelled()
        elif isinstance(event, CallEnded):
            self.ended(event.call)
        elif isinstance(event, ReInvite):
            self.reinvite(event.call, event.request)
        elif isinstance(event, ReInviteResult):
            self.reinvite_result(event.call, event.response)

    # -- outgoing legs' responses ---------------------------------------------------------------

    def progress(self, leg: Call, response: Response) -> None:
        if leg not in self.outs or self.winner is not None or not 180 <= response.status < 190:
            return
        if self.inbound.state in _UAS_OPEN:
            self.ep.ring(self.inbound, self.now(), response.status, response.body)
            self.owner.ringing(self)

    def answered(self, leg: Call, response: Response) -> None:
        now = self.now()
        if self.winner is not None or self.done or self.inbound.state not in _UAS_OPEN:
            self._drop(leg)  # lost the race, or the caller is gone: hang this one up
            self._safe(self.ep.bye, leg, now)
            return
        self.winner = leg
        self._stop_timer()
        self.ep.answer(self.inbound, response.body, now)
        for other in self.outs:
            if other is not leg:
                self.hang_up(other, now)
        self.owner.answered(self)

    def failed(self, leg: Call, status: int) -> None:
        if leg not in self.outs:
            return
        self._drop(leg)
        if leg is self._timed_out:
            status = 480  # our CANCEL after the no-answer timer, not the caller's
        elif leg is self.divert_on:
            self._stop_timer()
            reason = fallback_reason(status)
            if reason is not None and self._can_divert():
                self.statuses.append(status)  # first: the caller gets it if the TAS fails
                self._divert(reason)
                return
        self.not_placed(status, advisory=leg in self._advisory)

    def not_placed(self, status: int, *, advisory: bool = False) -> None:
        """A leg failed with ``status`` (or could not even be sent); when none is left, the
        caller gets the best failure."""
        (self.advisory if advisory else self.statuses).append(status)
        if not self.outs and not self.done:
            final = best_failure(self.statuses or self.advisory)
            if self.inbound.state in _UAS_OPEN:
                self._safe(self.ep.reject, self.inbound, final, self.now())
            self.finish(final)

    # -- the inbound leg and the answered pair --------------------------------------------------

    def cancelled(self) -> None:
        """The caller CANCELled the inbound leg (487 already sent)."""
        now = self.now()
        self._stop_timer()
        for leg in list(self.outs):
            self.hang_up(leg, now)
        self.finish(487)

    def ended(self, call: Call) -> None:
        """BYE (or a dead transport) on ``call``: end the other side."""
        now = self.now()
        if call is self.inbound:
            self._stop_timer()
            for leg in list(self.outs):
                self.hang_up(leg, now)
            self.finish(None)
            return
        self._drop(call)
        if call is self.winner:
            if not self.inbound.ended:
                self._safe(self.ep.bye, self.inbound, now)
        elif not self.outs and self.winner is None:
            self.not_placed(480)  # a 2xx that crossed our CANCEL, hung up by the endpoint

    def reinvite(self, call: Call, request: Request) -> None:
        """Relay a re-INVITE to the partner leg; its answer comes back in :meth:`reinvite_result`."""
        self._reinvites.relay(call, self.partner(call), request, self.now())

    def reinvite_result(self, other: Call, response: Response) -> None:
        self._reinvites.result(other, response, self.now())

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

    # -- internals ----------------------------------------------------------------------------

    def _can_divert(self) -> bool:
        return self.on_divert is not None and self.inbound.state in _UAS_OPEN

    def _divert(self, reason: str) -> None:
        """Once per bridge: hand the call to the diversion target (FALLBACK: the TAS)."""
        on_divert, self.on_divert = self.on_divert, None
        self.divert_on = None
        if on_divert is not None and self.inbound.state in _UAS_OPEN:
            on_divert(reason)

    def hang_up(self, leg: Call, now: float) -> None:
        """CANCEL a pending leg, BYE an answered one."""
        if leg.state in _PENDING:
            self._safe(self.ep.cancel, leg, now)
        elif leg.state == "confirmed":
            self._safe(self.ep.bye, leg, now)

    def _drop(self, leg: Call) -> None:
        if leg in self.outs:
            self.outs.remove(leg)

    def finish(self, status: int | None) -> None:
        if self.done:
            return
        self.done = True
        self.owner.finished(self, status)

    def _safe(self, action: Callable[..., None], *args: object) -> None:
        """Endpoint actions that may race with the peer (the leg just ended): log, go on."""
        try:
            action(*args)
        except LocalProtocolError as exc:
            log.info("bridge: %s skipped: %s", getattr(action, "__name__", action), exc)
