"""Follow-me (tas.calls.rules_follow) on in-memory endpoints and a virtual clock: steps in turn,
a parallel fork inside a step, then voicemail or reject; the step timeout's CANCEL, and a 2xx
that crosses it. The core (A) sends leg 2; targets are the core (``handset``) and B."""

from __future__ import annotations

from registrations.model import Route
from tas.calls.forward import ForwardPlan
from tas.calls.journal import CallJournal
from tas.calls.records import CallRow, Outcome
from tas.calls.rules import Rule, parse_rule
from tas.calls.rules_follow import FollowMeBridge
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    IncomingCall,
)
from tas.sip.listener import deliver
from tas.sip.routing import target_peer
from tas.sip.uri import parse_uri
from tests.unit.calls.test_app import ANSWER, CORE, SUBSCRIBER, TAS, B, World

B_URI = "sip:+4799990003@127.0.0.1:5080"


def ring_rule(*steps: list[str], then: str = "voicemail", status: int = 486) -> Rule:
    return parse_rule(
        {
            "number": SUBSCRIBER,
            "action": "ring",
            "steps": [{"targets": targets, "timeout": 30} for targets in steps],
            "then": then,
            "status": status,
        }
    )


async def test_steps_ring_in_turn_until_one_answers() -> None:
    w = World(Route.LOOP, rules=[ring_rule([B_URI], ["handset"])])
    leg2 = w.leg2()
    await w.settle()
    (at_b,) = w.of(B, IncomingCall)  # step 1 only: nothing went to the core yet
    assert str(at_b.request.uri) == B_URI and w.of(CORE, IncomingCall) == []
    w.b.reject(at_b.call, 486, w.net.now)  # busy: step 1 is over at once
    await w.settle()
    (leg3,) = w.of(CORE, IncomingCall)  # step 2: the handset, back through the core
    assert str(leg3.request.uri).startswith(f"sip:{SUBSCRIBER}@127.0.0.1:5061")
    w.core.answer(leg3.call, ANSWER, w.net.now)
    await w.settle()
    (answered,) = w.of(CORE, CallAnswered)
    assert answered.call is leg2 and answered.response.body == ANSWER
    a, first, second = (j.record for j in w.app.journals)
    assert [d for k, d in w.app.journals[0].notes if k == "follow-me"] == [
        f"step 1: ring {B_URI} for 30 s",
        "step 2: ring handset for 30 s",
    ]
    assert (first.outcome, first.status) == (Outcome.REJECTED.value, 486)
    assert (second.outcome, a.outcome) == (Outcome.FORWARDED.value, Outcome.FORWARDED.value)
    assert w.app.active == 1
    w.core.bye(leg2, w.net.now)
    await w.settle()
    assert leg3.call.ended and w.app.active == 0 and w.app.idle.is_set()


async def test_a_step_rings_its_targets_at_once_and_the_first_answer_wins() -> None:
    w = World(Route.LOOP, rules=[ring_rule(["handset", B_URI])])
    leg2 = w.leg2()
    await w.settle()
    (leg3,) = w.of(CORE, IncomingCall)
    (at_b,) = w.of(B, IncomingCall)
    w.core.ring(leg3.call, w.net.now)  # CANCEL only after a provisional (RFC 3261 §9.1)
    await w.settle()
    w.b.answer(at_b.call, ANSWER, w.net.now)
    await w.settle()
    assert [e.call for e in w.of(CORE, CallAnswered)] == [leg2]
    assert [e.call for e in w.of(CORE, CallCancelled)] == [leg3.call]  # the loser: CANCEL
    w.b.bye(at_b.call, w.net.now)
    await w.settle()
    assert leg2.ended and w.app.active == 0


async def test_nobody_answers_then_voicemail_or_reject() -> None:
    w = World(Route.LOOP, rules=[ring_rule([B_URI])])  # no voicemail store in this app
    leg2 = w.leg2()
    await w.settle()
    (at_b,) = w.of(B, IncomingCall)
    w.b.reject(at_b.call, 480, w.net.now)
    await w.settle()
    (failed,) = w.of(CORE, CallFailed)
    assert failed.call is leg2 and failed.response.status == 480
    assert failed.response.reason == "Voicemail Unavailable"
    assert w.app.journals[0].notes[-2:] == [
        ("follow-me", "no answer: voicemail"),
        ("rejected", "480 Voicemail Unavailable"),
    ]

    w = World(Route.LOOP, rules=[ring_rule([B_URI], then="reject", status=603)])
    w.leg2()
    await w.settle()
    (at_b,) = w.of(B, IncomingCall)
    w.b.reject(at_b.call, 486, w.net.now)
    await w.settle()
    assert [e.response.status for e in w.of(CORE, CallFailed)] == [603]
    assert w.app.active == 0


async def test_the_step_timeout_cancels_and_a_crossing_answer_is_hung_up() -> None:
    w = World(Route.LOOP)
    w.leg2()
    w.net.pump()
    (incoming,) = [e for e in w.net.take(TAS) if isinstance(e, IncomingCall)]
    tas = w.net.endpoints[TAS]
    record = CallRow(sip_call_id=incoming.call.call_id, direction="in", route="loop")
    bridge = FollowMeBridge(
        tas,
        lambda: w.net.now,
        incoming.call,
        CallJournal(None, record),
        lambda b, plan: CallJournal(None, plan.out_record(b.call_id, incoming.request, record)),
    )
    plan = ForwardPlan(B_URI, target_peer(parse_uri(B_URI), "UDP"), {}, "+4799990003")
    assert bridge.ring([plan], None) == 1 and not bridge.step_over.is_set()

    def pump() -> None:
        w.net.pump()
        for event in w.net.take(TAS):
            deliver(event, lambda e: None)
        w.seen[B] += w.net.take(B)

    pump()
    (at_b,) = w.of(B, IncomingCall)
    w.b.answer(at_b.call, ANSWER, w.net.now)  # B answers just as the step times out
    bridge.give_up()
    assert bridge.step_over.is_set() and not bridge.outs
    pump()
    pump()
    assert bridge.winner is None and incoming.call.state in ("incoming", "early")
    assert [e.call for e in w.of(B, CallEnded)] == [at_b.call]  # the late 2xx got a BYE
    (out,) = bridge.journals.values()
    assert out.kinds[-2:] == ["cancel", "bye"] and out.record.outcome == Outcome.ABANDONED.value
