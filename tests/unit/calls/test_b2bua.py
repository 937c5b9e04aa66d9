"""The forwarding B2BUA between in-memory endpoints on a virtual clock: caller A -> TAS -> B."""

from __future__ import annotations

from collections.abc import Sequence

from tas.calls.b2bua import Bridge
from tas.calls.journal import CallJournal
from tas.calls.records import CallRow, Outcome
from tas.sip.call import Call
from tas.sip.events import (
    CallAnswered,
    CallFailed,
    CallProgress,
    DialogRequest,
    IncomingCall,
    ReInvite,
    ReInviteResult,
)
from tas.sip.transaction_base import Peer
from tests.unit.sip.ua_net import Net

A = ("127.0.0.1", 5061)
TAS = ("127.0.0.1", 5070)
B = ("127.0.0.1", 5080)
SDP_A = b"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
SDP_B = SDP_A.replace(b"o=a", b"o=b")
SESSION = "0123456789abcdef0123456789abcdef;remote=00000000000000000000000000000000"


def kinds(events: Sequence[object]) -> list[str]:
    return [type(e).__name__ for e in events]


class World:
    """A, the TAS running one Bridge per incoming call, and B."""

    def __init__(self) -> None:
        self.net = Net()
        self.a, self.tas, self.b = (self.net.add(addr) for addr in (A, TAS, B))
        self.bridge: Bridge | None = None
        self.done: list[Bridge] = []

    def journal(self, call: Call) -> CallJournal:
        return CallJournal(None, CallRow(sip_call_id=call.call_id, direction="out"))

    def run(self) -> None:
        """Pump the network, feeding the TAS's events to its bridge, until quiet."""
        self.net.pump()
        while events := self.net.take(TAS):
            for event in events:
                if isinstance(event, IncomingCall):
                    record = CallRow(sip_call_id=event.call.call_id, direction="in")
                    self.bridge = Bridge(
                        self.tas,
                        lambda: self.net.now,
                        event.call,
                        CallJournal(None, record),
                        self.journal,
                        self.done.append,
                    )
                    self.bridge.start(
                        "sip:+4799990001@127.0.0.1:5080",
                        Peer("UDP", *B),
                        self.net.now,
                        from_uri=str(event.request.from_.uri),
                        headers={"Session-ID": event.request.headers.get("Session-ID") or ""},
                    )
                elif self.bridge is not None:
                    self.bridge.on_event(event)
            self.net.pump()

    def call(self) -> tuple[Call, Call]:
        """A calls the TAS; returns (A's call, B's incoming call)."""
        call = self.a.invite(
            "sip:+4799990001@127.0.0.1:5070",
            0.0,
            from_uri="sip:+4799990002@127.0.0.1",
            body=SDP_A,
            headers={"Session-ID": SESSION},
        )
        self.run()
        (incoming,) = self.net.take(B)
        assert isinstance(incoming, IncomingCall)
        assert incoming.request.body == SDP_A  # SDP relayed unchanged
        assert incoming.request.headers.get("Session-ID") == SESSION
        assert str(incoming.request.from_.uri) == "sip:+4799990002@127.0.0.1"
        return call, incoming.call

    def answer(self, b_call: Call) -> None:
        self.b.ring(b_call, self.net.now)
        self.run()
        self.b.answer(b_call, SDP_B, self.net.now)
        self.run()


async def test_answer_is_relayed_and_bye_ends_both_legs() -> None:
    world = World()
    a_call, b_call = world.call()
    world.answer(b_call)
    events = world.net.take(A)
    assert kinds(events) == ["CallProgress", "CallAnswered"]
    assert isinstance(events[0], CallProgress) and events[0].response.status == 180
    assert isinstance(events[1], CallAnswered) and events[1].response.body == SDP_B
    world.a.bye(a_call, world.net.now)
    world.run()
    assert "CallEnded" in kinds(world.net.take(B))
    bridge = world.bridge
    assert bridge is not None and world.done == [bridge]
    assert bridge.a_journal.record.outcome == Outcome.FORWARDED.value
    assert bridge.a_journal.kinds == ["forwarded", "ringing", "answered", "bye"]
    assert bridge.b_journal is not None
    assert bridge.b_journal.kinds == ["invite", "ringing", "answered", "bye"]


async def test_cancel_from_the_caller_cancels_the_forward() -> None:
    world = World()
    a_call, b_call = world.call()
    world.b.ring(b_call, world.net.now)
    world.run()
    world.a.cancel(a_call, world.net.now)
    world.run()
    assert "CallCancelled" in kinds(world.net.take(B))
    failed = [e for e in world.net.take(A) if isinstance(e, CallFailed)]
    assert [e.response.status for e in failed] == [487]
    bridge = world.bridge
    assert bridge is not None and world.done == [bridge]
    assert bridge.a_journal.record.outcome == Outcome.ABANDONED.value


async def test_a_failure_of_the_target_is_relayed() -> None:
    world = World()
    _, b_call = world.call()
    world.b.reject(b_call, 486, world.net.now)
    world.run()
    failed = [e for e in world.net.take(A) if isinstance(e, CallFailed)]
    assert [e.response.status for e in failed] == [486]
    bridge = world.bridge
    assert bridge is not None and world.done == [bridge]
    assert bridge.a_journal.record.outcome == Outcome.REJECTED.value


async def test_the_far_end_hanging_up_ends_the_caller() -> None:
    world = World()
    _, b_call = world.call()
    world.answer(b_call)
    world.net.take(A)
    world.b.bye(b_call, world.net.now)
    world.run()
    assert "CallEnded" in kinds(world.net.take(A))
    assert world.bridge is not None and world.done == [world.bridge]


async def test_reinvite_is_relayed_and_answered_back() -> None:
    world = World()
    a_call, b_call = world.call()
    world.answer(b_call)
    world.net.take(A)
    world.net.take(B)
    hold = SDP_A + b"a=sendonly\r\n"
    world.a.reinvite(a_call, hold, world.net.now)
    world.run()
    (reinvite,) = world.net.take(B)
    assert isinstance(reinvite, ReInvite) and reinvite.request.body == hold
    world.b.answer_reinvite(b_call, SDP_B + b"a=recvonly\r\n", world.net.now)
    world.run()
    results = [e for e in world.net.take(A) if isinstance(e, ReInviteResult)]
    assert [r.response.status for r in results] == [200]
    assert results[0].response.body == SDP_B + b"a=recvonly\r\n"


async def test_cancel_before_any_provisional_waits_for_one() -> None:
    """RFC 3261 §9.1: the CANCEL to B goes once B's 100 Trying arrived."""
    world = World()
    a_call, _ = world.call()
    world.a.cancel(a_call, world.net.now)
    world.run()
    assert world.net.sent(b"CANCEL", TAS) == []
    world.net.advance(1.0)
    world.run()
    assert world.net.sent(b"CANCEL", TAS) != []
    assert "CallCancelled" in kinds(world.net.take(B))
    assert a_call.ended
    assert world.bridge is not None and world.done == [world.bridge]


async def test_other_provisionals_ring_the_caller_with_180_and_info_is_relayed() -> None:
    world = World()
    a_call, b_call = world.call()
    world.b.ring(b_call, world.net.now, 182)  # queued: the caller hears ringing
    world.run()
    (progress,) = world.net.take(A)
    assert isinstance(progress, CallProgress) and progress.response.status == 180
    world.b.answer(b_call, SDP_B, world.net.now)
    world.run()
    world.net.take(A)
    world.net.take(B)
    world.a.request("INFO", world.net.now, call=a_call, body=b"Signal=5\r\n",
                    content_type="application/dtmf-relay")  # fmt: skip
    world.run()
    (info,) = [e for e in world.net.take(B) if isinstance(e, DialogRequest)]
    assert info.request.method == "INFO" and info.request.body == b"Signal=5\r\n"
    world.b.request("OPTIONS", world.net.now, call=b_call)  # answered by the TAS, not relayed
    world.run()
    assert [e for e in world.net.take(A) if isinstance(e, DialogRequest)] == []
