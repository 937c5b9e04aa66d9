"""Session timers (RFC 4028, tas.sip.session_timer) on the virtual clock: negotiation in both
roles (§7, §9), 422 + Min-SE, refresher selection, the refresh at half the interval by UPDATE
or re-INVITE (§10), BYE when the refresh is missed (SE - min(32, SE/3)), and a B2BUA-like
two-leg call living past three refreshes on each leg."""

from __future__ import annotations

import pytest

from tas.sip.endpoint import Endpoint
from tas.sip.errors import RemoteProtocolError
from tas.sip.events import CallAnswered, CallEnded, IncomingCall
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.session_timer import SessionTimerConfig, same_session, uas_negotiate
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

BOB_URI = "sip:bob@127.0.0.1:5060"
CONFIG = SessionTimerConfig()


def test_uas_negotiation_picks_interval_and_refresher() -> None:
    def negotiate(extra: str) -> tuple[int, str, bool] | None:
        return uas_negotiate(request(extra=extra), CONFIG)

    both = "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n"
    assert negotiate(both) == (1800, "uac", True)
    assert negotiate("Supported: timer\r\nSession-Expires: 600;refresher=uas\r\n") == (
        600,
        "uas",
        True,
    )
    assert negotiate("Supported: timer\r\nSession-Expires: 600\r\n") == (600, "uac", True)
    # a UAC without timer support cannot refresh: we do, and require nothing (§9)
    assert negotiate("Session-Expires: 600;refresher=uac\r\n") == (600, "uas", False)
    assert negotiate("") == (1800, "uas", False)  # none asked: ours, refreshed by us
    assert negotiate("Supported: timer\r\nMin-SE: 2000\r\n") == (2000, "uac", True)
    assert uas_negotiate(request(), SessionTimerConfig(session_expires=0)) is None


def test_too_short_an_interval_is_422_with_min_se() -> None:
    with pytest.raises(RemoteProtocolError) as raised:
        uas_negotiate(request(extra="Session-Expires: 30\r\n"), CONFIG)
    assert raised.value.status_hint == 422
    assert raised.value.extra_headers == (("Min-SE", "90"),)
    with pytest.raises(RemoteProtocolError) as bad:
        uas_negotiate(request(extra="Session-Expires: soon\r\n"), CONFIG)
    assert bad.value.status_hint == 400


def test_endpoint_answers_422_and_the_uac_retries_with_min_se() -> None:
    net = Net()
    alice = net.add(ALICE, session_timer=SessionTimerConfig(session_expires=100, min_se=90))
    bob = net.add(BOB, session_timer=SessionTimerConfig(min_se=300))
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    statuses = [m.status for m in wire(net, BOB) if isinstance(m, Response)]
    assert statuses[:1] == [422]
    refused = next(m for m in wire(net, BOB) if isinstance(m, Response))
    assert refused.headers.get("Min-SE") == "300"
    invites = [m for m in wire(net, ALICE) if isinstance(m, Request) and m.method == "INVITE"]
    assert [i.headers.get("Session-Expires") for i in invites] == ["100", "300"]
    call_b = next(e for e in net.take(BOB) if isinstance(e, IncomingCall)).call
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert call_a.state == "confirmed"
    assert call_a.session_timer is not None and call_a.session_timer.negotiated is not None
    assert call_a.session_timer.negotiated.interval == 300


def wire(net: Net, src: tuple[str, int]) -> list[Request | Response]:
    return [parse_message(d) for _, s, _, d in net.wire if s == src]


def answered_pair(net: Net, **bob_options: object) -> tuple[Endpoint, Endpoint, object, object]:
    alice = net.add(ALICE)
    bob = net.add(BOB, **bob_options)
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = next(e for e in net.take(BOB) if isinstance(e, IncomingCall)).call
    bob.answer(call_b, SDP, net.now)
    net.pump()
    return alice, bob, call_a, call_b


def test_uac_refresher_updates_at_half_the_interval() -> None:
    net = Net()
    alice, bob, call_a, call_b = answered_pair(net)
    ok = next(m for m in wire(net, BOB) if isinstance(m, Response) and m.cseq.method == "INVITE")
    assert ok.headers.get("Session-Expires") == "1800;refresher=uac"
    assert ok.headers.get("Require") == "timer"
    assert "UPDATE" in (ok.headers.get("Allow") or "") and ok.headers.get("Supported")
    net.advance(3 * 1800.0 + 1)
    assert net.sent(b"UPDATE", ALICE) == [900.0, 1800.0, 2700.0, 3600.0, 4500.0, 5400.0]
    assert net.sent(b"UPDATE", BOB) == []
    assert call_a.state == call_b.state == "confirmed"  # type: ignore[attr-defined]


def test_uas_refreshes_a_caller_without_timer_and_by_reinvite_without_update() -> None:
    for allow, method in (("INVITE, ACK, BYE, UPDATE", b"UPDATE"), ("INVITE, ACK, BYE", b"INVITE")):
        net = Net()
        bob = net.add(BOB)
        invite = request(body=SDP, extra=f"Session-Expires: 120\r\nAllow: {allow}\r\n")
        bob.receive(bytes(invite), Peer("UDP", *ALICE), 0.0)
        call_b = next(e for e in bob.take_events() if isinstance(e, IncomingCall)).call
        bob.answer(call_b, SDP, 0.0)
        (ok,) = [parse_message(d) for d, _ in bob.take_outbox()]
        assert isinstance(ok, Response)
        assert ok.headers.get("Session-Expires") == "120;refresher=uas"
        assert ok.headers.get("Require") is None
        ack = request("ACK", cseq=1, to_tag=ok.to.tag, branch="z9hG4bK-a")
        bob.receive(bytes(ack), Peer("UDP", *ALICE), 0.1)
        bob.handle_timer(59.0)
        assert not bob.take_outbox()
        bob.handle_timer(60.0)
        (refresh,) = [d for d, _ in bob.take_outbox()]
        assert refresh.startswith(method + b" sip:alice@")
        assert b"Session-Expires: 120;refresher=uac" in refresh


def test_missed_refresh_ends_the_call_with_bye_before_expiry() -> None:
    """The refresher's UPDATE and its BYE never arrive: the other side ends the session."""
    net = Net()
    net.drop = lambda data: data.startswith((b"UPDATE", b"BYE sip:tas@127.0.0.1:5060"))
    alice, bob, call_a, call_b = answered_pair(net)
    net.advance(1800.0)
    assert net.sent(b"BYE", BOB) == [1800.0 - 32]  # SE - min(32, SE/3), §10
    assert call_b.ended and call_b.end_reason == "session expired"  # type: ignore[attr-defined]
    assert call_a.ended  # type: ignore[attr-defined]
    assert any(isinstance(e, CallEnded) for e in net.take(BOB))


def test_refresh_timing_out_sends_bye_at_once() -> None:
    """§10: the refresh transaction times out (Timer F, 64*T1 = 32 s): BYE then, not at the
    expiry 868 s later."""
    net = Net()
    net.drop = lambda data: data.startswith(b"UPDATE")
    alice, bob, call_a, call_b = answered_pair(net)
    net.advance(1800.0)
    assert net.sent(b"UPDATE", ALICE)[0] == 900.0
    assert net.sent(b"BYE", ALICE) == [900.0 + 32]
    assert call_a.end_reason == "session refresh failed (408)"  # type: ignore[attr-defined]
    assert call_b.ended and net.sent(b"BYE", BOB) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [408, 481])
def test_refresh_answered_408_or_481_sends_bye_at_once(status: int) -> None:
    """§10 (and RFC 3261 §12.2.1.2): the dialog is gone at the peer: BYE right away."""
    net = Net()
    alice, bob, call_a, call_b = answered_pair(net)
    net.advance(899.0)
    net.drop = lambda data: data.startswith(b"UPDATE")
    net.advance(900.0)
    (update,) = [m for m in wire(net, ALICE) if isinstance(m, Request) and m.method == "UPDATE"]
    refused = update.create_response(status, to_tag=update.to.tag)
    alice.receive(bytes(refused), Peer("UDP", *BOB), 900.5)
    net.drop = lambda data: False
    net.pump()
    assert net.sent(b"BYE", ALICE) == [900.0]
    assert call_a.end_reason == f"session refresh failed ({status})"  # type: ignore[attr-defined]
    assert call_a.ended and call_b.ended  # type: ignore[attr-defined]


def test_a_refresh_refused_otherwise_keeps_the_session() -> None:
    """A 500 to the refresh is no proof the dialog is gone: the session runs on (§10)."""
    net = Net()
    alice, bob, call_a, call_b = answered_pair(net)
    net.drop = lambda data: data.startswith(b"UPDATE")
    net.advance(900.0)
    (update,) = [m for m in wire(net, ALICE) if isinstance(m, Request) and m.method == "UPDATE"]
    alice.receive(bytes(update.create_response(500, to_tag=update.to.tag)), Peer("UDP", *BOB), 901)
    net.pump()
    assert net.sent(b"BYE") == [] and call_a.state == "confirmed"  # type: ignore[attr-defined]


def test_short_interval_expiry_uses_a_third() -> None:
    net = Net()
    options = {"session_timer": SessionTimerConfig(session_expires=60, min_se=60)}
    net.drop = lambda data: data.startswith(b"UPDATE")
    alice = net.add(ALICE, **options)
    bob = net.add(BOB, **options)
    alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = next(e for e in net.take(BOB) if isinstance(e, IncomingCall)).call
    bob.answer(call_b, SDP, net.now)
    net.advance(100.0)
    assert net.sent(b"BYE", BOB) == [40.0]  # 60 - min(32, 20)


def test_b2bua_two_legs_each_refresh_and_live_past_three_refreshes() -> None:
    """A -> B2B (UAS leg) / B2B -> C (UAC leg): each dialog runs its own timer."""
    net = Net()
    b2b_addr, carol_addr = ("127.0.0.1", 5062), ("127.0.0.1", 5063)
    short = {"session_timer": SessionTimerConfig(session_expires=90, min_se=90)}
    alice = net.add(ALICE, **short)
    b2b = net.add(b2b_addr, **short)
    carol = net.add(carol_addr, **short)
    call_a = alice.invite("sip:b2b@127.0.0.1:5062", net.now, body=SDP)
    net.pump()
    inbound = next(e for e in net.take(b2b_addr) if isinstance(e, IncomingCall)).call
    outbound = b2b.invite("sip:carol@127.0.0.1:5063", net.now, body=SDP)
    net.pump()
    call_c = next(e for e in net.take(carol_addr) if isinstance(e, IncomingCall)).call
    carol.answer(call_c, SDP, net.now)
    net.pump()
    assert any(isinstance(e, CallAnswered) for e in net.take(b2b_addr))
    b2b.answer(inbound, SDP, net.now)
    net.pump()
    net.advance(4 * 45.0 + 1)
    assert net.sent(b"UPDATE", ALICE) == [45.0, 90.0, 135.0, 180.0]  # leg 1: A refreshes
    assert net.sent(b"UPDATE", b2b_addr) == [45.0, 90.0, 135.0, 180.0]  # leg 2: B2B refreshes
    calls = (call_a, inbound, outbound, call_c)
    assert all(c.state == "confirmed" for c in calls)
    assert net.sent(b"BYE") == []


def test_same_session_compares_the_origin_line() -> None:
    changed = SDP.replace(b"o=- 1 1 ", b"o=- 1 2 ")
    assert same_session(SDP, SDP)
    assert not same_session(changed, SDP)
    assert not same_session(SDP, b"")
