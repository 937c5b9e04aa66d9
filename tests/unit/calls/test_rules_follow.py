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
from tas.sip.call import Call
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    IncomingCall,
)
from tas.sip.listener import deliver
from tas.sip.routing import target_peer
from tas.sip.transaction_base import Peer
from tas.sip.uri import parse_uri
from tests.unit.calls.test_app import ANSWER, CORE, SUBSCRIBER, TAS, B, World

B_URI = "sip:+4799990003@127.0.0.1:5080"
B2 = ("127.0.0.1", 5090)  # B's second RFC 3263 target


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
    assert bridge.ring([(plan, [])], None) == 1 and not bridge.step_over.is_set()

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


async def test_a_fork_legs_handset_step_does_not_ring_the_phone_again() -> None:
    """FORK: the core already rings the handset; the rule's ``handset`` places no leg 3, and
    the step stays open when B fails (the handset may still answer at the core)."""
    w = World(Route.FORK, rules=[ring_rule(["handset", B_URI])])
    leg2 = w.leg2()
    await w.settle()
    (at_b,) = w.of(B, IncomingCall)
    assert w.of(CORE, IncomingCall) == []  # no second ring of the handset through the core
    w.b.ring(at_b.call, w.net.now)  # relayed: the core may CANCEL now (RFC 3261 §9.1)
    await w.settle()
    w.b.reject(at_b.call, 486, w.net.now)
    await w.settle()
    assert w.of(CORE, CallFailed) == [] and leg2.state in ("calling", "early")
    assert (
        "follow-me",
        f"step 1: ring handset, {B_URI} for 30 s (the core rings the handset)",
    ) in (w.app.journals[0].notes)
    w.core.cancel(leg2, w.net.now, reason='SIP;cause=200;text="Call completed elsewhere"')
    await w.settle()
    assert leg2.ended and w.app.active == 0


def _bridge(w: World) -> tuple[FollowMeBridge, Call]:
    w.leg2()
    w.net.pump()
    (incoming,) = [e for e in w.net.take(TAS) if isinstance(e, IncomingCall)]
    record = CallRow(sip_call_id=incoming.call.call_id, direction="in", route="loop")
    bridge = FollowMeBridge(
        w.net.endpoints[TAS],
        lambda: w.net.now,
        incoming.call,
        CallJournal(None, record),
        lambda b, plan: CallJournal(None, plan.out_record(b.call_id, incoming.request, record)),
    )
    return bridge, incoming.call


def _pump(w: World) -> None:
    for _ in range(3):
        w.net.pump()
        for event in w.net.take(TAS):
            deliver(event, lambda e: None)
        for addr in w.seen:
            w.seen[addr] += w.net.take(addr)


async def test_a_host_name_target_fails_over_to_its_next_rfc3263_target_on_503() -> None:
    w = World(Route.LOOP)
    w.seen[B2] = []
    b2 = w.net.add(B2)
    bridge, a = _bridge(w)
    first = ForwardPlan(B_URI, Peer("UDP", *B), {}, "+4799990003")
    assert bridge.ring([(first, [Peer("UDP", *B2)])], None) == 1
    _pump(w)
    (at_b,) = w.of(B, IncomingCall)
    w.b.reject(at_b.call, 503, w.net.now)  # §4.3: on to the next target
    _pump(w)
    (at_b2,) = w.of(B2, IncomingCall)
    assert not bridge.step_over.is_set() and len(bridge.outs) == 1
    b2.answer(at_b2.call, ANSWER, w.net.now)
    _pump(w)
    assert bridge.winner is not None and a.state in ("answered", "confirmed")
    failed, answered = (j.record for j in bridge.journals.values())
    assert (failed.outcome, failed.status) == (Outcome.FAILED.value, 503)
    assert answered.outcome == Outcome.FORWARDED.value


async def test_a_busy_target_does_not_fail_over() -> None:
    w = World(Route.LOOP)
    w.seen[B2] = []
    w.net.add(B2)
    bridge, a = _bridge(w)
    first = ForwardPlan(B_URI, Peer("UDP", *B), {}, "+4799990003")
    bridge.ring([(first, [Peer("UDP", *B2)])], None)
    _pump(w)
    (at_b,) = w.of(B, IncomingCall)
    w.b.reject(at_b.call, 486, w.net.now)  # a final answer from the target: no failover
    _pump(w)
    assert w.of(B2, IncomingCall) == [] and bridge.step_over.is_set()
    ((_, record),) = [(c, j.record) for c, j in bridge.journals.items()]
    assert (record.outcome, record.status) == (Outcome.REJECTED.value, 486)
    assert a.state in ("incoming", "early")  # the caller still waits for the next step
