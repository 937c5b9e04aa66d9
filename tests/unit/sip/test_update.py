"""UPDATE (RFC 3311, tas.sip.in_dialog) on the virtual clock: in the confirmed and the early
dialog, with and without SDP; a refresh repeating the session answered by the UA core, a
session change surfaced as ReInvite (method UPDATE) and answered through answer_reinvite;
491 on glare and 500 + Retry-After while an offer is pending (§5.2)."""

from __future__ import annotations

import pytest

from tas.sip.call import Call
from tas.sip.endpoint import Endpoint
from tas.sip.errors import LocalProtocolError
from tas.sip.events import IncomingCall, ReInvite, ReInviteResult
from tas.sip.message import Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

BOB_URI = "sip:bob@127.0.0.1:5060"
NEW_SDP = SDP.replace(b"o=- 1 1 ", b"o=- 1 2 ").replace(b"4000", b"4002")


def confirmed(net: Net) -> tuple[Endpoint, Endpoint, Call, Call]:
    alice, bob = net.add(ALICE), net.add(BOB)
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = next(e for e in net.take(BOB) if isinstance(e, IncomingCall)).call
    bob.answer(call_b, SDP, net.now)
    net.pump()
    net.take(ALICE)
    net.take(BOB)
    return alice, bob, call_a, call_b


def update_responses(net: Net, src: tuple[str, int]) -> list[Response]:
    return [
        m
        for _, s, _, d in net.wire
        if s == src and isinstance(m := parse_message(d), Response) and m.cseq.method == "UPDATE"
    ]


def test_update_changing_the_session_reaches_the_tu_and_is_answered_with_sdp() -> None:
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    alice.update(call_a, NEW_SDP, net.now)
    net.pump()
    (event,) = [e for e in net.take(BOB) if isinstance(e, ReInvite)]
    assert event.request.method == "UPDATE" and event.request.body == NEW_SDP
    bob.answer_reinvite(call_b, SDP, net.now)
    net.pump()
    (ok,) = update_responses(net, BOB)
    assert ok.status == 200 and ok.body == SDP
    assert call_b.ok is None and call_b.remote_sdp == NEW_SDP  # no 2xx retransmission
    (result,) = [e for e in net.take(ALICE) if isinstance(e, ReInviteResult)]
    assert result.response.status == 200
    net.advance(net.now + 40)
    assert len(update_responses(net, BOB)) == 1 and call_a.state == call_b.state == "confirmed"


def test_update_repeating_the_session_is_answered_by_the_core() -> None:
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    alice.update(call_a, SDP, net.now)
    net.pump()
    assert not [e for e in net.take(BOB) if isinstance(e, ReInvite)]
    (ok,) = update_responses(net, BOB)
    assert ok.status == 200 and ok.body == SDP
    assert ok.headers.get("Session-Expires") == "1800;refresher=uac"


def test_update_without_sdp_is_a_plain_200() -> None:
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    alice.update(call_a, b"", net.now)
    net.pump()
    (ok,) = update_responses(net, BOB)
    assert ok.status == 200 and ok.body == b"" and not net.take(BOB)
    assert not [e for e in net.take(ALICE) if isinstance(e, ReInviteResult)]


def test_crossing_updates_both_get_491_and_are_sent_again() -> None:
    """RFC 3311 §5.1 / RFC 3261 §14.1: both get 491; each UPDATE goes again after its random
    time (the callee's first, 0-2 s), and the TU hears only the final 200."""
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    alice.update(call_a, NEW_SDP, net.now)
    bob.update(call_b, NEW_SDP, net.now)
    net.pump()
    assert [r.status for r in update_responses(net, BOB)] == [491]
    assert [r.status for r in update_responses(net, ALICE)] == [491]
    assert not [e for e in net.take(ALICE) if isinstance(e, ReInviteResult)]
    net.advance(net.now + 2.05)  # bob's UPDATE again (0-2 s); alice's waits 2.1-4 s
    (again,) = [e for e in net.take(ALICE) if isinstance(e, ReInvite)]
    assert again.request.method == "UPDATE"
    alice.answer_reinvite(call_a, SDP, net.now)
    net.advance(net.now + 4.0)
    (theirs,) = [e for e in net.take(BOB) if isinstance(e, ReInvite)]
    bob.answer_reinvite(call_b, SDP, net.now)
    net.pump()
    assert [e.response.status for e in net.take(ALICE) if isinstance(e, ReInviteResult)] == [200]


def test_glare_retries_are_bounded_then_the_tu_gets_the_491() -> None:
    """Bob's own UPDATE stays outstanding (lost on the wire): every UPDATE of alice's meets
    it and gets 491; after the bounded retries alice's TU gets the 491."""
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    net.drop = lambda data: data.startswith(b"UPDATE") and b"127.0.0.1:5060;branch" in data
    bob.update(call_b, NEW_SDP, net.now)
    net.pump()
    alice.update(call_a, NEW_SDP, net.now)
    net.advance(net.now + 20.0)  # 1 + MAX_RETRIES tries, each at most 4 s after the last
    assert [r.status for r in update_responses(net, BOB)] == [491] * 4
    results = [e.response.status for e in net.take(ALICE) if isinstance(e, ReInviteResult)]
    assert results == [491]


def test_update_while_their_reinvite_is_unanswered_gets_500_retry_after() -> None:
    net = Net()
    alice, bob, call_a, call_b = confirmed(net)
    alice.reinvite(call_a, NEW_SDP, net.now)
    net.pump()
    assert call_b.reinvite_in is not None
    update = request(
        "UPDATE",
        branch="z9hG4bK-u9",
        cseq=9,
        call_id=call_b.call_id,
        from_tag=call_b.invite.from_.tag or "",
        to_tag=call_b.local_tag,
        body=NEW_SDP,
    )
    bob.receive(bytes(update), Peer("UDP", *ALICE), net.now)
    (refused,) = [parse_message(d) for d, _ in bob.take_outbox()]
    assert isinstance(refused, Response) and refused.status == 500
    assert refused.headers.get("Retry-After") is not None


def test_update_in_the_early_dialog_with_and_without_sdp() -> None:
    net = Net()
    bob = net.add(BOB)
    src = Peer("UDP", *ALICE)
    bob.receive(bytes(request(body=SDP, extra="Supported: 100rel\r\n")), src, 0.0)
    call_b = next(e for e in bob.take_events() if isinstance(e, IncomingCall)).call
    bob.ring(call_b, 0.0, 183, SDP)
    bob.take_outbox()

    def update(seq: int, body: bytes) -> list[Response]:
        message = request(
            "UPDATE",
            branch=f"z9hG4bK-e{seq}",
            cseq=seq,
            call_id=call_b.call_id,
            to_tag=call_b.local_tag,
            body=body,
        )
        bob.receive(bytes(message), src, 0.1)
        return [m for d, _ in bob.take_outbox() if isinstance(m := parse_message(d), Response)]

    (plain,) = update(2, b"")
    assert plain.status == 200 and plain.body == b"" and call_b.state == "early"
    assert update(3, NEW_SDP) == []  # the TU decides
    (event,) = [e for e in bob.take_events() if isinstance(e, ReInvite)]
    assert event.request.method == "UPDATE"
    bob.answer_reinvite(call_b, SDP, 0.2)
    (ok,) = [m for d, _ in bob.take_outbox() if isinstance(m := parse_message(d), Response)]
    assert ok.status == 200 and ok.body == SDP and call_b.remote_sdp == NEW_SDP
    assert call_b.state == "early"


def _early_call(net: Net, reliable_sdp: bool = True) -> tuple[Endpoint, Endpoint, Call, Call]:
    """alice's INVITE ringing at bob: a 183 (with SDP, reliable and PRACKed, when asked)."""
    alice, bob = net.add(ALICE), net.add(BOB)
    call_a = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    call_b = next(e for e in net.take(BOB) if isinstance(e, IncomingCall)).call
    bob.ring(call_b, net.now, 183, SDP if reliable_sdp else b"")
    net.pump()
    assert call_a.state == "early" and call_a.dialog is not None
    net.take(ALICE)
    return alice, bob, call_a, call_b


def _to_alice(net: Net, call_a: Call, call_b: Call, method: str, seq: int, body: bytes) -> Response:
    """``method`` from bob in alice's early dialog; alice's one response."""
    alice = net.endpoints[ALICE]
    message = request(
        method,
        branch=f"z9hG4bK-x{seq}",
        cseq=seq,
        call_id=call_a.call_id,
        to_tag=call_a.local_tag,
        from_tag=call_b.local_tag,
        body=body,
    )
    alice.receive(bytes(message), Peer("UDP", *BOB), net.now)
    responses = [m for d, _ in alice.take_outbox() if isinstance(m := parse_message(d), Response)]
    assert len(responses) <= 1
    return responses[0] if responses else Response(0, "none")


def test_update_in_our_outgoing_early_dialog() -> None:
    """RFC 3311 §5.2 in the early dialog of our INVITE (was 481): without SDP a plain 200; a
    repeat of the session answered by the core with ours; a new session reaches the TU."""
    net = Net()
    alice, bob, call_a, call_b = _early_call(net)
    plain = _to_alice(net, call_a, call_b, "UPDATE", 5, b"")
    assert plain.status == 200 and plain.body == b"" and call_a.state == "early"
    repeat = _to_alice(net, call_a, call_b, "UPDATE", 6, SDP)
    assert repeat.status == 200 and repeat.body == SDP
    assert _to_alice(net, call_a, call_b, "UPDATE", 7, NEW_SDP).status == 0  # the TU decides
    (event,) = [e for e in alice.take_events() if isinstance(e, ReInvite)]
    assert event.call is call_a and event.request.method == "UPDATE"
    alice.answer_reinvite(call_a, SDP, net.now)
    (ok,) = [m for d, _ in alice.take_outbox() if isinstance(m := parse_message(d), Response)]
    assert ok.status == 200 and ok.body == SDP and call_a.remote_sdp == NEW_SDP
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert call_a.state == call_b.state == "confirmed"


def test_our_early_dialog_refuses_other_requests_and_unanswered_offers() -> None:
    net = Net()
    _, _, call_a, call_b = _early_call(net, reliable_sdp=False)
    assert not call_a.remote_sdp  # an unreliable 183 without SDP: our offer is unanswered
    assert _to_alice(net, call_a, call_b, "UPDATE", 5, NEW_SDP).status == 491  # §5.2
    assert _to_alice(net, call_a, call_b, "BYE", 6, b"").status == 481  # §15: no BYE here
    assert _to_alice(net, call_a, call_b, "INFO", 7, b"").status == 481
    assert call_a.state == "early"


def test_a_failed_invite_forgets_its_early_dialog() -> None:
    net = Net()
    alice, bob, call_a, call_b = _early_call(net)
    assert call_a.dialog is not None and alice.calls.get(call_a.dialog.id) is call_a
    bob.reject(call_b, 486, net.now)
    net.pump()
    assert call_a.ended and call_a.dialog.id not in alice.calls
    assert _to_alice(net, call_a, call_b, "UPDATE", 9, b"").status == 481


def test_we_send_update_in_the_early_dialog_in_either_role() -> None:
    """RFC 3311 §5.1: after the 183's reliable answer, both sides may UPDATE in the early
    dialog, without SDP (a plain 200 from the core) and with an offer (the TU answers)."""
    net = Net()
    alice, bob, call_a, call_b = _early_call(net)
    alice.update(call_a, b"", net.now)  # the caller, no SDP
    net.pump()
    assert [r.status for r in update_responses(net, BOB)] == [200] and not net.take(BOB)
    alice.update(call_a, NEW_SDP, net.now)  # the caller, an offer
    net.pump()
    (offer,) = [e for e in net.take(BOB) if isinstance(e, ReInvite)]
    assert offer.request.method == "UPDATE" and offer.request.body == NEW_SDP
    bob.answer_reinvite(call_b, SDP, net.now)
    net.pump()
    (result,) = [e for e in net.take(ALICE) if isinstance(e, ReInviteResult)]
    assert result.response.status == 200 and result.response.body == SDP
    bob.update(call_b, NEW_SDP, net.now)  # the callee, an offer
    net.pump()
    (offer,) = [e for e in net.take(ALICE) if isinstance(e, ReInvite)]
    alice.answer_reinvite(call_a, SDP, net.now)
    net.pump()
    assert [e.response.status for e in net.take(BOB) if isinstance(e, ReInviteResult)] == [200]
    assert call_a.state == call_b.state == "early"
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert call_a.state == call_b.state == "confirmed"


def test_no_early_offer_before_the_invite_offer_answer_is_done() -> None:
    net = Net()
    alice, bob, call_a, call_b = _early_call(net, reliable_sdp=False)  # 183 without SDP
    for ep, call in ((alice, call_a), (bob, call_b)):
        with pytest.raises(LocalProtocolError):
            ep.update(call, NEW_SDP, net.now)
    bob.update(call_b, b"", net.now)  # without SDP it may
    net.pump()
    assert [r.status for r in update_responses(net, ALICE)] == [200]
