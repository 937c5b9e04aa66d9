"""Running a ``ring`` call rule (:class:`~tas.calls.rules.FollowMe`): follow-me through the B2BUA.

Each step rings its targets at once as outgoing legs of one :class:`FollowMeBridge` (the shared
:class:`~tas.sip.b2bua.B2bua`: SDP unchanged, the first 2xx answers the caller and the other
legs get CANCEL with ``Reason: SIP;cause=200``, RFC 3326 §2). A step is over when every leg of
it failed, or after its ``timeout``: its pending legs then get CANCEL (RFC 3261 §9.1) and the
next step starts at once. After the last step the caller's leg, still unanswered and ringing,
goes to ``then``: voicemail with reason ``no-answer`` (the subscriber's mailbox) or reject.

Targets go where a ``forward`` policy sends them (:func:`~tas.calls.forward.plan_forward`):
``handset`` and E.164 numbers back to the core that sent the leg, ``sip:``/``sips:`` URIs
directly. A URI with a host name is tried on its RFC 3263 §4 targets in turn: a leg that fails
with 503, or with the 408/503 of a timeout or transport error, is placed anew on the next
target (§4.3, as a forward does, :mod:`tas.calls.failover`). On a FORK leg the core already
rings the handset in parallel with us: a ``handset`` target places no leg there, and its step
lasts its timeout (the handset may still answer; the core then CANCELs us). Every outgoing leg
has its own call record; the caller's record notes each step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from registrations.model import Route
from tas.calls.bridge_notes import (
    note_answered,
    note_cancelled,
    note_ended,
    note_failover,
    note_placed,
)
from tas.calls.early import EarlyEvents
from tas.calls.failover import FAILOVER_STATUSES, forward_peers
from tas.calls.forward import ForwardPlan, plan_forward
from tas.calls.journal import CallJournal
from tas.calls.leg import AnsweredLeg
from tas.calls.records import Outcome, utcnow
from tas.calls.rules import HANDSET, FollowMe, RingStep, RuleAction
from tas.calls.voicemail_flow import leave_voicemail
from tas.dns.resolver import SipResolver
from tas.logs import log_event
from tas.sip.b2bua import B2bua
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import SipError
from tas.sip.events import CallEnded, Event
from tas.sip.message import Request, Response
from tas.sip.transaction_base import Peer
from tas.voicemail import Reason

if TYPE_CHECKING:
    from tas.calls.app import CallApp

__all__ = ["FollowMeBridge", "StepResult", "Target", "ring_in_turn", "run_follow_me"]

log = logging.getLogger(__name__)

StepResult = str  # "answered" | "no-answer" | "cancelled" (the caller left)
#: One target of a step: its plan and the RFC 3263 peers left to try after ``plan.peer``.
Target = tuple[ForwardPlan, list[Peer]]


class FollowMeBridge(B2bua):
    """The caller's leg ``a`` and the legs of the current step. :meth:`ring` places a step;
    :attr:`step_over` is set when no leg of it is left (or the caller's outcome is decided)."""

    relayed_methods = ("INFO", "MESSAGE")

    def __init__(
        self,
        endpoint: Endpoint,
        clock: Callable[[], float],
        a: Call,
        a_journal: CallJournal,
        out_journal: Callable[[Call, ForwardPlan], CallJournal],
    ) -> None:
        super().__init__(endpoint, clock, a)
        self.a_journal = a_journal
        self._out_journal = out_journal
        self.journals: dict[Call, CallJournal] = {}  # every outgoing leg, in the order placed
        self.step_over = asyncio.Event()
        self.a_ended = asyncio.Event()  # the caller's leg ended (after an answer, or cancelled)
        #: the handset rings through the core this step (FORK): the step waits its timeout
        self.core_rings = False
        self._from_uri: str | None = None
        self._next: dict[Call, Target] = {}  # leg -> its plan and the peers left to try

    def ring(self, targets: list[Target], from_uri: str | None, *, core_rings: bool = False) -> int:
        """Place one leg per target (a's offer unchanged); returns how many could be sent."""
        self.step_over.clear()
        self.core_rings = core_rings
        self._from_uri = from_uri
        placed = sum(self._place(plan, peers) for plan, peers in targets)
        if not placed and not core_rings:
            self.step_over.set()
        return placed

    def _place(self, plan: ForwardPlan, rest: list[Peer]) -> bool:
        try:
            b = self.ep.invite(
                plan.uri, self.now(), peer=plan.peer, from_uri=self._from_uri,
                body=self.inbound.remote_sdp, headers=plan.headers,
            )  # fmt: skip
        except (SipError, ValueError) as exc:
            log_event(log, "follow_me_target_failed", target=str(plan.uri), error=exc)
            return False
        self.add(b)
        self.journals[b] = note_placed(self._out_journal(b, plan), plan.uri)
        self._next[b] = (plan, rest)
        return True

    def give_up(self) -> None:
        """The step's time is over: CANCEL its pending legs (their 487s are not waited for)."""
        now = self.now()
        for leg in list(self.outs):
            self.journals[leg].note("cancel", "follow-me step timed out")
            self.journals[leg].update(outcome=Outcome.ABANDONED.value, ended=utcnow())
            self._drop(leg)
            self.hang_up(leg, now)
        self.step_over.set()

    # -- the shared B2BUA's policy and hooks ----------------------------------------------------

    def settle(self) -> None:
        """Every leg of the step failed: the step is over (the caller is not answered here),
        unless the core rings the handset meanwhile."""
        if not self.outs and not self.core_rings:
            self.step_over.set()

    def answered(self, leg: Call, response: Response) -> None:
        if leg not in self.outs:  # a 2xx that crossed our CANCEL (RFC 3261 §9.1): BYE it
            self._safe(self.ep.bye, leg, self.now())
            return
        super().answered(leg, response)

    def ring_status(self, status: int) -> int | None:
        return status if status in (180, 183) else 180

    def leg_failed(self, leg: Call, response: Response) -> bool:
        """A leg failed: on to its next RFC 3263 target for 503 / timeout / transport error
        (§4.3) while the caller waits, else the leg is over."""
        journal, (plan, rest) = self.journals[leg], self._next.pop(leg)
        status = response.status
        if status in FAILOVER_STATUSES and rest and self.caller_waiting and not self.done:
            note_failover(journal, status)
            log_event(log, "follow_me_failover", status=status, failed=plan.peer, next=rest[0])
            if self._place(replace(plan, peer=rest[0]), rest[1:]):
                return True
        journal.note("failed", str(status))
        journal.update(outcome=Outcome.REJECTED.value, status=status, ended=utcnow())
        return False

    def on_progress(self, leg: Call, response: Response, relayed: bool) -> None:
        self.journals[leg].note("ringing" if response.status == 180 else str(response.status))

    def on_answered(self, leg: Call, won: bool) -> None:
        journal = self.journals[leg]
        note_answered(journal, self.a_journal, won=won, by=f"by {journal.record.callee}")
        self.step_over.set()

    def on_cancelled(self) -> None:
        note_cancelled(self.a_journal)

    def on_ended(self, event: CallEnded) -> None:
        note_ended(event, self.inbound, self.a_journal, self.journals.get(event.call))

    def on_finished(self, status: int | None) -> None:
        self.step_over.set()

    def on_event(self, event: Event) -> None:
        super().on_event(event)
        if self.inbound.ended:
            self.a_ended.set()


async def ring_in_turn(
    bridge: FollowMeBridge,
    plan: FollowMe,
    call: Call,
    request: Request,
    flush: Callable[[], None],
    resolver: SipResolver,
) -> StepResult:
    """Run the steps; ``answered`` (the bridge carries the call), ``cancelled`` (the caller
    left) or ``no-answer`` (nobody answered: the caller's leg is still ringing)."""
    from_uri = str(request.from_.uri)
    fork = plan.leg.registration.route is Route.FORK  # the core rings the handset itself
    for index, step in enumerate(plan.steps, 1):
        core_rings = fork and HANDSET in step.targets
        wanted = [t for t in step.targets if not (core_rings and t == HANDSET)]
        targets = [await _target(call, request, bridge, t, resolver) for t in wanted]
        if not bridge.caller_waiting or bridge.done:  # left while we resolved
            return "cancelled"
        bridge.a_journal.note("follow-me", _describe(index, step, core_rings))
        log_event(log, "follow_me_step", call_id=call.call_id, step=index, targets=step.targets)
        bridge.ring([t for t in targets if t is not None], from_uri, core_rings=core_rings)
        flush()
        try:
            await asyncio.wait_for(bridge.step_over.wait(), step.timeout)
        except TimeoutError:
            bridge.give_up()
            flush()
        if bridge.winner is not None:
            return "answered"
        if bridge.done or not bridge.caller_waiting:
            return "cancelled"
    return "no-answer"


async def _target(
    call: Call, request: Request, bridge: FollowMeBridge, target: str, resolver: SipResolver
) -> Target | None:
    """The plan and RFC 3263 peers of one ring target; None when a host name resolves to
    nothing (the target is left out of the step)."""
    forward = plan_forward(
        call, request, bridge.a_journal.record, "core" if target == HANDSET else target
    )
    if forward.by_name is None:
        return forward, []
    try:
        peers = await forward_peers(forward, resolver)
    except Exception as exc:  # DNS failure: this target is left out of the step
        log_event(log, "follow_me_target_unresolved", target=target, error=exc)
        return None
    if not peers:
        log_event(log, "follow_me_target_unresolved", target=target, error="no RFC 3263 target")
        return None
    return replace(forward, peer=peers[0]), peers[1:]


def _describe(index: int, step: RingStep, core_rings: bool) -> str:
    note = " (the core rings the handset)" if core_rings else ""
    return f"step {index}: ring {', '.join(step.targets)} for {step.timeout:g} s{note}"


async def run_follow_me(
    app: CallApp, call: Call, request: Request, plan: FollowMe, journal: CallJournal
) -> None:
    """The whole rule on the caller's leg ``call``: the steps, then ``then`` on no answer."""
    if call.state not in ("incoming", "early"):  # CANCEL while we decided
        journal.note("cancel", "caller cancelled before the follow-me")
        journal.update(outcome=Outcome.ABANDONED.value, ended=utcnow())
        await journal.close()
        return
    early = call.listener

    def out_journal(b: Call, forward: ForwardPlan) -> CallJournal:
        return app._journal(forward.out_record(b.call_id, request, journal.record))

    bridge = FollowMeBridge(app.stack.endpoint, app.stack.now, call, journal, out_journal)
    if isinstance(early, EarlyEvents):
        early.replay(bridge)
    try:
        result = await ring_in_turn(bridge, plan, call, request, app.stack.flush, app.resolver)
        if result == "answered":
            await bridge.a_ended.wait()
        elif result == "no-answer":
            journal.note("follow-me", f"no answer: {plan.rule.then.value}")
            await _then(app, call, plan, journal)
    finally:
        for out in bridge.journals.values():
            await out.close()
        await journal.close()


async def _then(app: CallApp, call: Call, plan: FollowMe, journal: CallJournal) -> None:
    """After the last step: voicemail (reason no-answer, RFC 4458 §3.5) or reject."""
    leg = AnsweredLeg(app.stack, app.engine, call, plan.leg, journal)
    app._attach(call, leg)
    try:
        if plan.rule.then is RuleAction.REJECT:
            leg.reject(plan.rule.status)
        elif app.voicemail is None:
            leg.reject(480, "Voicemail Unavailable")
        else:
            leg.ring()
            await leave_voicemail(
                leg,
                app.voicemail,
                mailbox=plan.leg.subscriber,
                caller=journal.record.caller or "anonymous",
                reason=Reason.NO_ANSWER,
                settings=app.voicemail_settings,
                on_new=app.on_voicemail,
            )
    finally:
        if not leg.is_ended:
            leg.hang_up(500)
        if journal.record.outcome == Outcome.IN_PROGRESS.value:
            journal.update(outcome=Outcome.ABANDONED.value)
        await leg.close()
