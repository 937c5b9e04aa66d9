"""The call application's forward flow on in-memory endpoints and a virtual clock: the core
(A) sends leg 2 to the TAS, which forwards it (leg 3) back to the core or to a URI (B).

No sockets: CallApp runs on a :class:`~tas.calls.host.CallHost` over the TAS's in-memory
endpoint; the driver hands the TAS's events out like ``SipStack.flush`` does
(:func:`tas.sip.listener.deliver`) and lets the app's tasks run between network pumps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar

from media.engine import MediaEngine
from registrations.model import Registration, Route
from tas.calls.app import CallApp
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.calls.routing import LegInfo
from tas.calls.rules import Rule
from tas.calls.sources import StaticRegistrations, find_leg
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import (
    CallAnswered,
    CallEnded,
    CallFailed,
    CallProgress,
    Event,
    IncomingCall,
)
from tas.sip.listener import deliver
from tas.sip.transaction_base import Peer
from tas.transport.trust import Trust
from tests.unit.sip.ua_net import Net

E = TypeVar("E")
CORE, TAS, B = ("127.0.0.1", 5061), ("127.0.0.1", 5070), ("127.0.0.1", 5080)
SUBSCRIBER, CALLER = "+4799990001", "+4799990002"
SESSION = "0123456789abcdef0123456789abcdef;remote=00000000000000000000000000000000"
OFFER = b"v=0\r\no=core 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
ANSWER = OFFER.replace(b"o=core", b"o=leg3")


class Host:
    """A CallHost over the TAS's in-memory endpoint; every source is the (sandbox) core."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self._endpoint = net.endpoints[TAS]

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def now(self) -> float:
        return self.net.now

    def flush(self) -> None:
        pass  # the driver pumps the network

    capture = None  # no ladder capture

    def trust_of(self, peer: Peer) -> Trust:
        return Trust.SANDBOX


class Registrations:
    """A RegistrationSource from a fixed list and per-number policies."""

    def __init__(
        self,
        regs: Sequence[Registration],
        policies: Sequence[Policy] = (),
        rules: Sequence[Rule] = (),
    ) -> None:
        self._regs = StaticRegistrations(regs)
        self._policies = policies
        self._rules = rules

    def find(self, request_user: str | None, caller_user: str | None) -> LegInfo | None:
        return find_leg(self._regs, request_user, caller_user)

    def policies_for(self, number: str) -> Sequence[Policy]:
        return [p for p in self._policies if p.number == number]

    def rules_for(self, number: str) -> Sequence[Rule]:
        return [r for r in self._rules if r.number == number]


class World:
    def __init__(
        self, route: Route, policies: Sequence[Policy] = (), rules: Sequence[Rule] = ()
    ) -> None:
        self.net = Net()
        self.core, _, self.b = (self.net.add(addr) for addr in (CORE, TAS, B))
        regs = [Registration(SUBSCRIBER, route, "sips:127.0.0.1")]
        self.app = CallApp(Host(self.net), MediaEngine(), Registrations(regs, policies, rules))
        self.seen: dict[tuple[str, int], list[Event]] = {CORE: [], B: []}

    async def settle(self) -> None:
        """Pump the network and run the app's tasks, a fixed number of rounds (no time passes)."""
        for _ in range(20):
            self.net.pump()
            events = self.net.take(TAS)
            for event in events:
                deliver(event, self.app.on_event)
            for _ in range(5):
                await asyncio.sleep(0)  # the app's flows (no time passes)
            for addr in self.seen:
                self.seen[addr] += self.net.take(addr)

    def leg2(self) -> Call:
        """The core's leg 2 to the TAS for the subscriber."""
        return self.core.invite(
            f"sip:{SUBSCRIBER}@127.0.0.1:5070",
            self.net.now,
            from_uri=f"sip:{CALLER}@127.0.0.1",
            body=OFFER,
            headers={"Session-ID": SESSION},
        )

    def of(self, addr: tuple[str, int], kind: type[E]) -> list[E]:
        return [e for e in self.seen[addr] if isinstance(e, kind)]


async def test_a_loop_leg_goes_back_to_the_core_as_leg_3_and_is_bridged() -> None:
    w = World(Route.LOOP)  # LOOP's default action: forward to the core
    leg2 = w.leg2()
    await w.settle()
    (incoming,) = w.of(CORE, IncomingCall)
    leg3, invite = incoming.call, incoming.request
    assert str(invite.uri).startswith(f"sip:{SUBSCRIBER}@127.0.0.1:5061")  # same core
    assert invite.headers.get("Session-ID") == SESSION  # RFC 7989: the core matches leg 3
    assert invite.body == OFFER  # SDP relayed unchanged
    assert str(invite.from_.uri) == f"sip:{CALLER}@127.0.0.1"

    w.core.ring(leg3, w.net.now)
    await w.settle()
    assert [e.response.status for e in w.of(CORE, CallProgress)] == [180]
    w.core.answer(leg3, ANSWER, w.net.now)
    await w.settle()
    (answered,) = w.of(CORE, CallAnswered)
    assert answered.call is leg2 and answered.response.body == ANSWER
    record = w.app.journals[0].record
    assert (record.action, record.outcome, record.status) == ("forward", "forwarded", 200)
    assert w.app.active == 1  # the bridge

    w.core.bye(leg2, w.net.now)  # the caller hangs up: the TAS ends leg 3
    await w.settle()
    ended = {e.call for e in w.of(CORE, CallEnded)}
    assert ended == {leg2, leg3}
    assert leg3.ended
    assert w.app.active == 0 and w.app.idle.is_set()


async def test_a_forward_to_a_uri_relays_its_failure_to_the_caller() -> None:
    policy = Policy(SUBSCRIBER, Action.FORWARD, target="sip:+4799990003@127.0.0.1:5080")
    w = World(Route.FALLBACK, [policy])
    leg2 = w.leg2()
    await w.settle()
    (incoming,) = w.of(B, IncomingCall)
    assert str(incoming.request.uri) == "sip:+4799990003@127.0.0.1:5080"
    assert w.of(CORE, IncomingCall) == []  # nothing went back to the core
    w.b.reject(incoming.call, 486, w.net.now)
    await w.settle()
    (failed,) = w.of(CORE, CallFailed)
    assert failed.call is leg2 and failed.response.status == 486
    leg, out = (j.record for j in w.app.journals)
    assert (leg.outcome, leg.status) == (Outcome.REJECTED.value, 486)
    assert (out.direction, out.outcome, out.status) == ("out", Outcome.REJECTED.value, 486)
    assert w.app.active == 0


async def test_a_cancel_before_leg_3_answers_cancels_leg_3() -> None:
    w = World(Route.LOOP)
    leg2 = w.leg2()
    await w.settle()
    (incoming,) = w.of(CORE, IncomingCall)
    w.core.ring(incoming.call, w.net.now)
    await w.settle()
    w.core.cancel(leg2, w.net.now)
    await w.settle()
    assert incoming.call.ended  # the TAS cancelled leg 3
    assert [e.response.status for e in w.of(CORE, CallFailed)] == [487]
    assert w.app.journals[0].record.outcome == Outcome.ABANDONED.value
    assert w.app.active == 0
