"""Reason (RFC 3326) on our CANCEL and BYE, and the peer's BYE / CANCEL handed to the TU."""

from __future__ import annotations

from tas.sip.call import Call
from tas.sip.events import CallCancelled, CallEnded, IncomingCall
from tests.unit.sip.sip_helpers import SDP
from tests.unit.sip.ua_net import ALICE, BOB, Net

BOB_URI = "sip:bob@127.0.0.1:5060"
ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'


def _ringing(net: Net) -> tuple[Call, Call]:
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    (event,) = net.take(BOB)
    assert isinstance(event, IncomingCall)
    bob.ring(event.call, net.now)
    net.pump()
    net.take(ALICE)
    return call_a, event.call


def _net() -> Net:
    net = Net("UDP")
    net.add(ALICE)
    net.add(BOB)
    return net


def test_cancel_carries_the_reason_and_the_callee_sees_it() -> None:
    net = _net()
    call_a, _ = _ringing(net)
    net.endpoints[ALICE].cancel(call_a, net.now, reason=ELSEWHERE)
    net.pump()
    cancelled = [e for e in net.take(BOB) if isinstance(e, CallCancelled)]
    assert len(cancelled) == 1 and cancelled[0].cancel is not None
    assert cancelled[0].cancel.headers.get("Reason") == ELSEWHERE


def test_cancel_deferred_until_a_provisional_keeps_its_reason() -> None:
    net = _net()
    alice = net.endpoints[ALICE]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    alice.cancel(call_a, 0.0, reason=ELSEWHERE)  # §9.1: nothing heard yet, CANCEL waits
    net.pump()
    (incoming,) = [e for e in net.take(BOB) if isinstance(e, IncomingCall)]
    net.endpoints[BOB].ring(incoming.call, net.now)
    net.pump()
    cancelled = [e for e in net.take(BOB) if isinstance(e, CallCancelled)]
    assert cancelled and cancelled[0].cancel is not None
    assert cancelled[0].cancel.headers.get("Reason") == ELSEWHERE


def test_bye_carries_the_reason_and_call_ended_holds_the_bye() -> None:
    net = _net()
    call_a, call_b = _ringing(net)
    net.endpoints[BOB].answer(call_b, SDP, net.now)
    net.pump()
    net.take(ALICE), net.take(BOB)
    net.endpoints[BOB].bye(call_b, net.now, reason="Q.850;cause=41")
    net.pump()
    (ended,) = [e for e in net.take(ALICE) if isinstance(e, CallEnded)]
    assert ended.by_remote and ended.request is not None
    assert ended.request.method == "BYE"
    assert ended.request.headers.get("Reason") == "Q.850;cause=41"


def test_no_reason_unless_asked() -> None:
    net = _net()
    call_a, _ = _ringing(net)
    net.endpoints[ALICE].cancel(call_a, net.now)
    net.pump()
    (cancelled,) = [e for e in net.take(BOB) if isinstance(e, CallCancelled)]
    assert cancelled.cancel is not None and cancelled.cancel.headers.get("Reason") is None
