"""Live calls of the call app (tas.calls.live) and hang-up through :func:`end_call`, on the
in-memory endpoints and virtual clock of test_app: a bridged call ends with BYE on both
legs, a ringing one with 487; ended legs drop out of the registry."""

from __future__ import annotations

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.sip.events import CallAnswered, CallEnded, CallFailed, IncomingCall
from tests.unit.calls.test_app import ANSWER, CORE, SUBSCRIBER, World


async def test_a_bridged_call_is_listed_then_hung_up_on_both_legs() -> None:
    w = World(Route.LOOP)
    leg2 = w.leg2()
    await w.settle()
    (incoming,) = w.of(CORE, IncomingCall)
    w.core.answer(incoming.call, ANSWER, w.net.now)
    await w.settle()
    assert w.of(CORE, CallAnswered)
    (live,) = list(w.app.live)
    assert (live.id, live.route, live.subscriber, live.action) == (
        leg2.call_id, "loop", SUBSCRIBER, "forward",
    )  # fmt: skip
    assert live.state == "confirmed" and w.app.live.get(leg2.call_id) == live

    assert w.app.hang_up(leg2.call_id)
    await w.settle()
    assert {e.call for e in w.of(CORE, CallEnded)} == {leg2, incoming.call}  # BYE both ways
    assert list(w.app.live) == [] and w.app.live.get(leg2.call_id) is None
    assert not w.app.hang_up(leg2.call_id)  # nothing left to end


async def test_a_ringing_call_is_refused_with_487() -> None:
    w = World(Route.FORK, [Policy(SUBSCRIBER, Action.OBSERVE)])
    leg2 = w.leg2()
    await w.settle()
    assert w.app.live.get(leg2.call_id) is not None
    assert w.app.hang_up(leg2.call_id)
    await w.settle()
    (failed,) = w.of(CORE, CallFailed)
    assert failed.call is leg2 and failed.response.status == 487
    assert list(w.app.live) == []


async def test_an_unknown_call_is_not_hung_up() -> None:
    w = World(Route.LOOP)
    assert not w.app.hang_up("no-such-call@nowhere")
