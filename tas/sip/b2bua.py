"""The one back-to-back user agent (RFC 7092 §3.1 signalling-only B2BUA): one inbound leg
bridged to the outgoing legs placed for it, SDP unchanged so media flows end to end.

:class:`B2bua` relays what RFC 3261 asks of a B2BUA:

* provisional responses (with any early-media SDP) to the inbound leg (§16.7 step 5), as
  :meth:`B2bua.ring_status` maps them;
* the first 2xx answers the inbound leg; the other legs get CANCEL (§9.1), or BYE when their
  2xx crossed ours (:meth:`B2bua.hang_up`, the one place losing legs are ended);
* when every leg failed, :meth:`B2bua.final_failure` goes back to the caller;
* CANCEL from the caller cancels every pending leg; BYE on either side of the answered pair
  ends the other side; re-INVITEs are relayed across the pair (:class:`ReinviteRelay`, §14),
  and so are UPDATEs with an offer, in the early dialogs too (RFC 3311), and the in-dialog
  requests named in :attr:`B2bua.relayed_methods`.

It is the listener (:mod:`tas.sip.listener`) of every leg it holds. The call application's
forward (:mod:`tas.calls.b2bua`: journals) and the sandbox core (:mod:`tas.sandbox.legs`:
event publishing, FALLBACK diversion, advisory legs) extend it through its ``on_*`` hooks and
policy methods. Sans-IO: it acts through an :class:`~tas.sip.endpoint.Endpoint` and a clock;
the sandbox's timers come from a :class:`BridgeHost` (endpoint, clock, one-shot timers, flush).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import LocalProtocolError
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    CallProgress,
    DialogRequest,
    Event,
    ReInvite,
    ReInviteResult,
)
from tas.sip.message import Request, Response
from tas.sip.reason import ANSWERED_ELSEWHERE

__all__ = ["B2bua", "BridgeHost", "ReinviteRelay", "TimerHandle"]

_PENDING = ("calling", "early")
_UAS_OPEN = ("incoming", "early")

log = logging.getLogger(__name__)


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class BridgeHost(Protocol):
    """What a bridge needs from the SIP stack around it."""

    @property
    def endpoint(self) -> Endpoint: ...
    def now(self) -> float: ...
    def flush(self) -> None:
        """Send what the endpoint queued (after acting outside an event handler)."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


class ReinviteRelay:
    """RFC 3261 §14 across a bridged pair: a re-INVITE (or an UPDATE with an offer, RFC 3311)
    on one leg is offered (SDP unchanged) to the other; the other leg's final response answers
    the waiting request. In the early dialogs before the answer the offer goes on as UPDATE
    (RFC 3311 §5.1: the only request that can change an early session); in confirmed ones
    an UPDATE goes on as UPDATE when the other leg's peer allows it, else as re-INVITE. A leg
    that cannot take an offer now (not in a dialog, an offer of its own outstanding, its
    early offer/answer not done) makes it 491 (§14.1 glare)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._waiting: dict[Call, Call] = {}  # leg we re-INVITEd -> leg whose re-INVITE waits

    def relay(self, source: Call, other: Call | None, request: Request, now: float) -> None:
        """``source`` got the re-INVITE ``request``; ``other`` is its partner (None: none)."""
        if other is None or other.state not in ("confirmed", "early"):
            self._reject(source, 491, now)
            return
        as_update = other.state == "early" or (
            request.method == "UPDATE" and "UPDATE" in other.peer_allow
        )
        try:
            if as_update:
                self.endpoint.update(other, request.body, now)
            else:
                self.endpoint.reinvite(other, request.body, now)
        except LocalProtocolError:
            self._reject(source, 491, now)
            return
        self._waiting[other] = source

    def result(self, other: Call, response: Response, now: float) -> None:
        """The final response to the re-INVITE we sent on ``other``."""
        source = self._waiting.pop(other, None)
        if source is None or source.reinvite_in is None:
            return
        if 200 <= response.status < 300:
            self.endpoint.answer_reinvite(source, response.body, now)
        else:
            self._reject(source, max(response.status, 400), now)

    def _reject(self, source: Call, status: int, now: float) -> None:
        try:
            self.endpoint.reject_reinvite(source, status, now)
        except LocalProtocolError as exc:  # the leg just ended
            log.info("bridge: re-INVITE answer skipped: %s", exc)


class B2bua:
    """Inbound leg + outgoing legs; see the module docstring. Subclasses observe through the
    ``on_*`` hooks and set policy through :meth:`ring_status`, :meth:`final_failure` and
    :meth:`leg_failed`."""

    #: in-dialog requests relayed to the partner leg (others were answered 200 and stay here)
    relayed_methods: tuple[str, ...] = ()

    def __init__(self, endpoint: Endpoint, clock: Callable[[], float], inbound: Call) -> None:
        self.ep = endpoint
        self.now = clock
        self.inbound = inbound
        self.outs: list[Call] = []
        self.winner: Call | None = None
        self.statuses: list[int] = []
        self.done = False
        self._reinvites = ReinviteRelay(endpoint)
        inbound.listener = self

    # -- legs ---------------------------------------------------------------------------------

    def add(self, leg: Call) -> None:
        """An outgoing leg placed for this bridge."""
        leg.listener = self
        self.outs.append(leg)

    def partner(self, call: Call) -> Call | None:
        """The other side of the answered pair."""
        if call is self.inbound:
            return self.winner
        return self.inbound if call is self.winner else None

    def early_partner(self, call: Call) -> Call | None:
        """Before the answer: the inbound leg for an outgoing one, and for the inbound leg its
        one outgoing leg in an early dialog (None when several forks ring)."""
        if self.winner is not None or not self.caller_waiting:
            return None
        if call is not self.inbound:
            return self.inbound if call in self.outs else None
        early = [leg for leg in self.outs if leg.state == "early"]
        return early[0] if len(early) == 1 else None

    @property
    def caller_waiting(self) -> bool:
        """The inbound leg is not answered or rejected yet."""
        return self.inbound.state in _UAS_OPEN

    # -- events (tas.sip.listener) --------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if isinstance(event, CallProgress):
            self.progress(event.call, event.response)
        elif isinstance(event, CallAnswered):
            self.answered(event.call, event.response)
        elif isinstance(event, CallFailed):
            self.failed(event.call, event.response)
        elif isinstance(event, CallCancelled):
            self.cancelled()
        elif isinstance(event, CallEnded):
            self.ended(event)
        elif isinstance(event, ReInvite):
            other = self.partner(event.call) or self.early_partner(event.call)
            self._reinvites.relay(event.call, other, event.request, self.now())
        elif isinstance(event, ReInviteResult):
            self._reinvites.result(event.call, event.response, self.now())
        elif isinstance(event, DialogRequest):
            self._relay_request(event.call, event.request)

    def progress(self, leg: Call, response: Response) -> None:
        if leg not in self.outs or self.winner is not None:
            return
        status = self.ring_status(response.status)
        relayed = False
        if status is not None and self.caller_waiting:
            self.ep.ring(self.inbound, self.now(), status, response.body)
            relayed = True
        self.on_progress(leg, response, relayed)

    def answered(self, leg: Call, response: Response) -> None:
        now = self.now()
        if self.winner is not None or self.done or not self.caller_waiting:
            self._drop(leg)  # lost the race, or the caller is gone: hang this one up
            self.on_answered(leg, won=False)
            self._safe(self.ep.bye, leg, now)
            return
        self.winner = leg
        self.ep.answer(self.inbound, response.body, now)
        for other in list(self.outs):  # the losing legs learn why (RFC 3326 §2)
            if other is not leg:
                self.hang_up(other, now, reason=str(ANSWERED_ELSEWHERE))
        self.on_answered(leg, won=True)

    def failed(self, leg: Call, response: Response) -> None:
        if leg not in self.outs:
            return
        self._drop(leg)
        if not self.leg_failed(leg, response):
            self.not_placed(response.status)

    def not_placed(self, status: int) -> None:
        """A leg failed with ``status`` (or could not even be sent); when none is left, the
        caller gets :meth:`final_failure`."""
        self.statuses.append(status)
        self.settle()

    def settle(self) -> None:
        """When no leg is left and nobody answered: the caller gets :meth:`final_failure`."""
        if self.outs or self.done:
            return
        final, reason = self.final_failure()
        if self.caller_waiting:
            self._safe(self.ep.reject, self.inbound, final, self.now(), reason)
            self.on_rejected(final)
        self.finish(final)

    def cancelled(self) -> None:
        """The caller CANCELled the inbound leg (487 already sent): cancel every leg."""
        now = self.now()
        self.on_cancelled()
        for leg in list(self.outs):
            self.hang_up(leg, now)
        self.finish(487)

    def ended(self, event: CallEnded) -> None:
        """BYE (or a dead transport) on a leg: end the other side."""
        call, now = event.call, self.now()
        self.on_ended(event)
        if call is self.inbound:
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

    def hang_up(self, leg: Call, now: float, reason: str | None = None) -> None:
        """CANCEL a pending leg (with ``reason``, RFC 3326), BYE an answered one."""
        if leg.state in _PENDING:
            self._safe(self.ep.cancel, leg, now, reason)
        elif leg.state == "confirmed":
            self._safe(self.ep.bye, leg, now)

    def finish(self, status: int | None) -> None:
        """The caller's outcome is decided (``status``: its failure; None: answered or BYE)."""
        if self.done:
            return
        self.done = True
        self.on_finished(status)

    # -- policy (subclasses) ------------------------------------------------------------------

    def ring_status(self, status: int) -> int | None:
        """The status to ring the caller with for a provisional ``status``; None: keep it."""
        return status if 180 <= status < 190 else None

    def final_failure(self) -> tuple[int, str | None]:
        """(status, reason phrase) for the caller when every leg failed (:attr:`statuses`)."""
        return (self.statuses[-1] if self.statuses else 480), None

    def leg_failed(self, leg: Call, response: Response) -> bool:
        """An outgoing leg failed; True when the subclass took it from here."""
        return False

    # -- hooks (subclasses observe) -----------------------------------------------------------

    def on_progress(self, leg: Call, response: Response, relayed: bool) -> None: ...
    def on_answered(self, leg: Call, won: bool) -> None: ...
    def on_rejected(self, status: int) -> None: ...
    def on_cancelled(self) -> None: ...
    def on_ended(self, event: CallEnded) -> None: ...
    def on_finished(self, status: int | None) -> None: ...

    # -- internals ----------------------------------------------------------------------------

    def _relay_request(self, call: Call, request: Request) -> None:
        other = self.partner(call)
        if request.method not in self.relayed_methods or other is None:
            return
        if other.state == "confirmed":
            self.ep.request(
                request.method, self.now(), call=other, body=request.body,
                content_type=request.content_type,
            )  # fmt: skip

    def _drop(self, leg: Call) -> None:
        if leg in self.outs:
            self.outs.remove(leg)

    def _safe(self, action: Callable[..., None], *args: object) -> None:
        """Endpoint actions that may race with the peer (the leg just ended): log, go on."""
        try:
            action(*args)
        except LocalProtocolError as exc:
            log.info("bridge: %s skipped: %s", getattr(action, "__name__", action), exc)
