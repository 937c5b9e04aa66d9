"""Running a ``ring`` call rule (:class:`~tas.calls.rules.FollowMe`): follow-me through the B2BUA.

Each step rings its targets at once as outgoing legs of one :class:`FollowMeBridge` (the shared
:class:`~tas.sip.b2bua.B2bua`: SDP unchanged, the first 2xx answers the caller and the other
legs get CANCEL with ``Reason: SIP;cause=200``, RFC 3326 §2). A step is over when every leg of
it failed, or after its ``timeout``: its pending legs then get CANCEL (RFC 3261 §9.1) and the
next step starts at once. After the last step the caller's leg, still unanswered and ringing,
goes to ``then``: voicemail with reason ``no-answer`` (the subscriber's mailbox) or reject.

Targets go where a ``forward`` policy sends them (:func:`~tas.calls.forward.plan_forward`):
``handset`` and E.164 numbers back to the core that sent the leg, ``sip:``/``sips:`` URIs
directly. On a FORK leg the core already rings the handset in parallel with us (its own
fork), so ``handset`` is not rung again: a step of only ``handset`` waits its timeout while the
core's fork rings the phone (the core cancels our leg when the handset answers). Every
outgoing leg has its own call record; the caller's record notes each step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from registrations.model import Route
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

__all__ = ["FollowMeBridge", "StepResult", "ring_in_turn", "run_follow_me"]

log = logging.getLogger(__name__)

StepResult = str  # "answered" | "no-answer" | "cancelled" (the caller left)


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
        # a pending leg's plan, From and the RFC 3263 targets left to fail over to
        self._spare: dict[Call, tuple[ForwardPlan, str | None, list[Peer]]] = {}

    def ring(
        self,
        plans: list[ForwardPlan],
        from_uri: str | None,
        spares: Sequence[Sequence[Peer]] = (),
    ) -> int:
        """Place one leg per plan (a's offer unchanged) on its ``peer``; ``spares[i]``: plan
        i's further targets, tried in turn when its leg fails over (RFC 3263 §4.3). Returns
        how many legs could be sent."""
        self.step_over.clear()
        placed = 0
        for index, plan in enumerate(plans):
            spare = list(spares[index]) if index < len(spares) else []
            placed += self._place(plan, plan.peer, from_uri, spare)
        if not placed:
            self.step_over.set()
        return placed

    def _place(
        self, plan: ForwardPlan, peer: Peer | None, from_uri: str | None, spare: list[Peer]
    ) -> bool:
        try:
            b = self.ep.invite(
                plan.uri, self.now(), peer=peer, from_uri=from_uri,
                body=self.inbound.remote_sdp, headers=plan.headers,
            )  # fmt: skip
        except (SipError, ValueError) as exc:
            log_event(log, "follow_me_target_failed", target=str(plan.uri), error=exc)
            return False
        self.add(b)
        journal = self.journals[b] = self._out_journal(b, plan)
        journal.note("invite", f"to {plan.uri}")
        self._spare[b] = (plan, from_uri, spare)
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
        """Every leg of the step failed: the step is over (the caller is not answered here)."""
        if not self.outs:
            self.step_over.set()

    def answered(self, leg: Call, response: Response) -> None:
        if leg not in self.outs:  # a 2xx that crossed our CANCEL (RFC 3261 §9.1): BYE it
            self._safe(self.ep.bye, leg, self.now())
            return
        super().answered(leg, response)

    def ring_status(self, status: int) -> int | None:
        return status if status in (180, 183) else 180

    def leg_failed(self, leg: Call, response: Response) -> bool:
        """True when the leg is placed anew on its next RFC 3263 target (§4.3: a 503, or the
        408/503 of a timeout or transport error, while the caller still waits)."""
        journal = self.journals[leg]
        journal.note("failed", str(response.status))
        journal.update(outcome=Outcome.REJECTED.value, status=response.status, ended=utcnow())
        plan, from_uri, spare = self._spare.pop(leg, (None, None, []))
        while plan is not None and spare and response.status in FAILOVER_STATUSES:
            if self.done or not self.caller_waiting:
                break
            journal.note("failover", f"to {spare[0].transport}:{spare[0].host}:{spare[0].port}")
            if self._place(plan, spare[0], from_uri, spare[1:]):
                return True
            spare = spare[1:]
        return False

    def on_progress(self, leg: Call, response: Response, relayed: bool) -> None:
        self.journals[leg].note("ringing" if response.status == 180 else str(response.status))

    def on_answered(self, leg: Call, won: bool) -> None:
        journal = self.journals[leg]
        journal.note("answered")
        journal.update(outcome=Outcome.FORWARDED.value, status=200, answered=utcnow())
        if won:
            self.a_journal.note("answered", f"by {journal.record.callee}")
            self.a_journal.update(outcome=Outcome.FORWARDED.value, status=200, answered=utcnow())
        self.step_over.set()

    def on_cancelled(self) -> None:
        self.a_journal.note("cancel", "caller cancelled")
        self.a_journal.update(outcome=Outcome.ABANDONED.value, status=487, ended=utcnow())

    def on_ended(self, event: CallEnded) -> None:
        if event.call is self.inbound:
            self.a_journal.note("bye", f"{'caller' if event.by_remote else 'tas'}: {event.reason}")
            self.a_journal.update(ended=utcnow())
            return
        if (journal := self.journals.get(event.call)) is not None:
            journal.note("bye", f"{'far end' if event.by_remote else 'tas'}: {event.reason}")
            journal.update(ended=utcnow())

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
    left) or ``no-answer`` (nobody answered: the caller's leg is still ringing). A URI target
    with a host name goes to its RFC 3263 targets in turn, within the step's time."""
    from_uri = str(request.from_.uri)
    forked = plan.leg.route is Route.FORK  # the core's fork rings the handset already
    for index, step in enumerate(plan.steps, 1):
        targets = [t for t in step.targets if not (forked and t == HANDSET)]
        found = [await _plan(call, request, bridge, t, resolver) for t in targets]
        plans, spares = [p for p, _ in found], [rest for _, rest in found]
        if not bridge.caller_waiting or bridge.done:  # left while we resolved
            return "cancelled"
        bridge.a_journal.note("follow-me", _describe(index, step, forked))
        log_event(log, "follow_me_step", call_id=call.call_id, step=index, targets=targets)
        if plans:
            bridge.ring(plans, from_uri, spares)
            flush()
        else:  # only the handset, which the core's fork rings: wait the step out
            bridge.step_over.clear()
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


async def _plan(
    call: Call, request: Request, bridge: FollowMeBridge, target: str, resolver: SipResolver
) -> tuple[ForwardPlan, list[Peer]]:
    """The target's plan on its first peer, and its further RFC 3263 targets."""
    forward = plan_forward(
        call, request, bridge.a_journal.record, "core" if target == HANDSET else target
    )
    if forward.by_name is None:
        return forward, []
    try:
        peers = await forward_peers(forward, resolver)
    except Exception as exc:  # DNS failure: this target is left out of the step
        log_event(log, "follow_me_target_unresolved", target=target, error=exc)
        return forward, []
    return (replace(forward, peer=peers[0]), peers[1:]) if peers else (forward, [])


def _describe(index: int, step: RingStep, forked: bool) -> str:
    text = f"step {index}: ring {', '.join(step.targets)} for {step.timeout:g} s"
    if forked and HANDSET in step.targets:
        text += " (the handset by the core's own fork)"
    return text


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
