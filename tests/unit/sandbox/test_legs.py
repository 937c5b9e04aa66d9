"""The sandbox core's B2BUA bridge on in-memory endpoints and a virtual clock (no sockets).

Caller A calls the core C; the bridge places legs to handset H and TAS T as the route type
wants; the no-answer timer of FALLBACK runs on the virtual clock, so its 30 s are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest

from tas.sandbox.legs import Bridge
from tas.sip.b2bua import B2bua
from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallEnded,
    CallFailed,
    Event,
    IncomingCall,
)
from tas.sip.listener import listener_of
from tests.unit.sip.ua_net import Net

E = TypeVar("E")
A, C, H, T = ("127.0.0.1", 5061), ("127.0.0.1", 5070), ("127.0.0.1", 5080), ("127.0.0.1", 5090)
OFFER = b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
ANSWER_H = OFFER.replace(b"4000", b"5000")
ANSWER_T = OFFER.replace(b"4000", b"6000")


@dataclass
class Timer:
    when: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class Owner:
    """BridgeOwner recording what the bridge reported."""

    reports: list[str] = field(default_factory=list)

    def ringing(self, bridge: Bridge) -> None:
        self.reports.append("ringing")

    def answered(self, bridge: Bridge) -> None:
        self.reports.append("answered")

    def finished(self, bridge: Bridge, status: int | None) -> None:
        self.reports.append(f"finished {status}")


class World:
    """Net + a BridgeHost for C + scripted handset and TAS."""

    def __init__(self, handset: str = "ring", tas: str = "answer") -> None:
        self.net = Net()
        for addr in (A, C, H, T):
            self.net.add(addr)
        self.timers: list[Timer] = []
        self.scripts = {H: handset, T: tas}
        self.events: dict[tuple[str, int], list[Event]] = {addr: [] for addr in (A, C, H, T)}
        self.owner = Owner()
        self.bridge: Bridge | None = None
        self.route: Callable[[Bridge], None] = lambda bridge: None

    # BridgeHost
    @property
    def endpoint(self) -> Endpoint:
        return self.net.endpoints[C]

    def now(self) -> float:
        return self.net.now

    def flush(self) -> None:
        pass  # the test pumps

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self.net.now + delay, callback)
        self.timers.append(timer)
        return timer

    # driving
    def ep(self, addr: tuple[str, int]) -> Endpoint:
        return self.net.endpoints[addr]

    def leg(self, addr: tuple[str, int], bridge: Bridge) -> Call:
        call = self.endpoint.invite(f"sip:+4799990000@{addr[0]}:{addr[1]}", self.now(), body=OFFER)
        bridge.add(call)
        return call

    def settle(self) -> None:
        busy = True
        while busy:
            self.net.pump()
            busy = False
            for addr in (A, C, H, T):
                for event in self.net.take(addr):
                    busy = True
                    self.events[addr].append(event)
                    self._handle(addr, event)

    def _handle(self, addr: tuple[str, int], event: Event) -> None:
        ep, now = self.ep(addr), self.now()
        if addr == C:
            if isinstance(event, IncomingCall):
                self.bridge = Bridge(self, event.call, self.owner)
                self.route(self.bridge)
            elif (listener := listener_of(event)) is not None:
                listener.on_event(event)
        elif (listener := listener_of(event)) is not None:
            listener.on_event(event)  # the TAS's own B2BUA (script "forward")
        elif addr in (H, T) and isinstance(event, IncomingCall):
            script = self.scripts[addr]
            if script == "forward":  # the TAS sends the call back to the core (LOOP leg 3)
                tas = B2bua(ep, self.now, event.call)
                tas.add(ep.invite(f"sip:+4799990000@{C[0]}:{C[1]}", now, body=OFFER))
                return
            if script.startswith("reject"):
                ep.reject(event.call, int(script.split(":")[1]), now)
                return
            ep.ring(event.call, now)
            if script == "answer":
                ep.answer(event.call, ANSWER_H if addr == H else ANSWER_T, now)

    def run_until(self, end: float) -> None:
        self.settle()
        while True:
            due = [t for t in self.timers if not t.cancelled and t.when <= end]
            step = min((t.when for t in due), default=end)
            self.net.advance(step)
            self.settle()
            for timer in [t for t in due if t.when <= step]:
                self.timers.remove(timer)
                timer.callback()
            self.settle()
            if step >= end:
                return

    def call(self) -> Call:
        call = self.ep(A).invite(f"sip:+4799990000@{C[0]}:{C[1]}", self.now(), body=OFFER)
        self.settle()
        return call

    def of(self, addr: tuple[str, int], kind: type[E]) -> list[E]:
        return [e for e in self.events[addr] if isinstance(e, kind)]

    def sent_by_core(self, method: bytes, to: tuple[str, int]) -> list[float]:
        return [
            round(t, 3)
            for t, s, d, data in self.net.wire
            if s == C and d == to and data.startswith(method)
        ]


def fallback(world: World, timeout: float = 30.0) -> Callable[[Bridge], None]:
    def route(bridge: Bridge) -> None:
        def divert(reason: str) -> None:
            world.leg(T, bridge)

        bridge.divert_on = world.leg(H, bridge)
        bridge.on_divert = divert
        bridge.arm_no_answer(timeout)

    return route


def test_fallback_no_answer_diverts_at_exactly_the_timeout() -> None:
    world = World(handset="ring", tas="answer")
    world.route = fallback(world)
    call = world.call()
    world.run_until(29.99)
    assert world.sent_by_core(b"CANCEL", H) == []
    assert world.sent_by_core(b"INVITE", T) == []
    world.run_until(31.0)
    assert world.sent_by_core(b"CANCEL", H) == [30.0]
    assert world.sent_by_core(b"INVITE", T) == [30.0]
    answered = world.of(A, CallAnswered)
    assert [e.call for e in answered] == [call]
    assert answered[0].response.body == ANSWER_T
    assert world.owner.reports[-1] == "answered"
    assert set(world.owner.reports) == {"ringing", "answered"}  # one report per 18x relayed
    assert world.bridge is not None and world.bridge.winner is not None


def test_fallback_busy_diverts_at_once_and_the_timer_never_fires() -> None:
    world = World(handset="reject:486", tas="answer")
    world.route = fallback(world)
    world.call()
    world.run_until(60.0)
    assert world.sent_by_core(b"INVITE", T) == [0.0]
    assert world.sent_by_core(b"CANCEL", H) == []
    assert len(world.of(A, CallAnswered)) == 1


def test_fallback_answered_handset_cancels_the_timer() -> None:
    world = World(handset="answer", tas="answer")
    world.route = fallback(world)
    world.call()
    world.run_until(60.0)
    assert world.sent_by_core(b"INVITE", T) == []
    assert world.of(A, CallAnswered)[0].response.body == ANSWER_H


@pytest.mark.parametrize(
    ("handset", "tas", "cancelled"), [("answer", "ring", T), ("ring", "answer", H)]
)
def test_fork_first_answer_wins_the_other_gets_cancel(
    handset: str, tas: str, cancelled: tuple[str, int]
) -> None:
    world = World(handset=handset, tas=tas)

    def fork(bridge: Bridge) -> None:
        world.leg(H, bridge)
        world.leg(T, bridge)

    world.route = fork
    world.call()
    world.run_until(1.0)
    assert len(world.of(A, CallAnswered)) == 1
    assert len(world.sent_by_core(b"CANCEL", cancelled)) == 1
    (lost,) = world.of(cancelled, CallCancelled)
    assert lost.cancel is not None  # RFC 3326: the losing branch learns it was answered elsewhere
    assert lost.cancel.headers.get("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'


def test_caller_cancel_reaches_every_pending_leg() -> None:
    world = World(handset="ring", tas="ring")

    def fork(bridge: Bridge) -> None:
        world.leg(H, bridge)
        world.leg(T, bridge)

    world.route = fork
    call = world.call()
    world.run_until(1.0)
    world.ep(A).cancel(call, world.now())
    world.run_until(2.0)
    failed = world.of(A, CallFailed)
    assert [f.response.status for f in failed] == [487]
    assert len(world.of(H, CallCancelled)) == len(world.of(T, CallCancelled)) == 1
    assert all(e.cancel and "Reason" not in e.cancel.headers for e in world.of(H, CallCancelled))
    assert world.owner.reports[-1] == "finished 487"
    assert set(world.owner.reports) == {"ringing", "finished 487"}


@pytest.mark.parametrize("hang_up_from", [A, H], ids=["caller", "handset"])
def test_bye_crosses_the_bridge_both_ways(hang_up_from: tuple[str, int]) -> None:
    world = World(handset="answer")

    def direct(bridge: Bridge) -> None:
        world.leg(H, bridge)

    world.route = direct
    call = world.call()
    world.run_until(1.0)
    target = call if hang_up_from == A else world.of(H, IncomingCall)[0].call
    world.ep(hang_up_from).bye(target, world.now())
    world.run_until(2.0)
    other = H if hang_up_from == A else A
    assert len(world.of(other, CallEnded)) == 1
    assert world.owner.reports[-1] == "finished None"


def test_all_legs_failed_relays_the_best_failure() -> None:
    world = World(handset="reject:486", tas="reject:603")

    def fork(bridge: Bridge) -> None:
        world.leg(H, bridge)
        bridge.add(
            world.endpoint.invite(f"sip:x@{T[0]}:{T[1]}", world.now(), body=OFFER), advisory=True
        )

    world.route = fork
    world.call()
    world.run_until(1.0)
    assert [f.response.status for f in world.of(A, CallFailed)] == [486]
    assert world.owner.reports == ["finished 486"]


def test_handset_2xx_crossing_the_no_answer_cancel_still_ends_the_caller() -> None:
    world = World(handset="ring")

    def answer_handset() -> None:  # armed first: fires at 30 s just before the core's timer
        incoming = world.of(H, IncomingCall)[0].call
        world.ep(H).answer(incoming, ANSWER_H, world.now())

    world.call_later(30.0, answer_handset)

    def route(bridge: Bridge) -> None:
        bridge.divert_on = world.leg(H, bridge)
        bridge.on_divert = lambda reason: bridge.not_placed(503)  # the TAS cannot be reached
        bridge.arm_no_answer(30.0)

    world.route = route
    world.call()
    world.run_until(40.0)
    assert world.sent_by_core(b"CANCEL", H) == [30.0]
    assert world.sent_by_core(b"BYE", H) == [30.0]  # the 2xx crossed our CANCEL
    assert [f.response.status for f in world.of(A, CallFailed)] == [480]
    assert world.owner.reports[-1] == "finished 480"


def test_forwarded_loop_call_lives_past_three_session_refreshes() -> None:
    """LOOP through the core (RFC 4028 §10, issue 13): A -> C (leg 1) -> TAS (leg 2), the TAS
    forwards it back -> C (leg 3) -> handset (leg 4). Each of the four dialogs runs its own
    timer (1800 s, refresher = the UAC): three UPDATEs each by 2700 s, no BYE, every leg
    confirmed; then the caller's BYE crosses all of them."""
    world = World(handset="answer", tas="forward")
    legs: list[Bridge] = []

    def loop(bridge: Bridge) -> None:
        legs.append(bridge)
        world.leg(T if len(legs) == 1 else H, bridge)

    world.route = loop
    call = world.call()
    world.run_until(2701.0)
    wire = world.net.wire
    hops = [(A, C), (C, T), (T, C), (C, H)]
    updates = [
        [t for t, s, d, data in wire if (s, d) == hop and data.startswith(b"UPDATE")]
        for hop in hops
    ]
    assert updates == [[900.0, 1800.0, 2700.0]] * 4
    assert not [data for *_, data in wire if data.startswith(b"BYE")]
    calls = [call, *(b.inbound for b in legs), *(b.winner for b in legs)]
    assert len(calls) == 5 and all(c is not None and c.state == "confirmed" for c in calls)
    world.ep(A).bye(call, world.now())
    world.run_until(2702.0)
    assert len(world.of(H, CallEnded)) == 1 and world.of(T, CallEnded)
