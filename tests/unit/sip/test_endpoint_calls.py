"""UA core call flows between two in-memory endpoints (RFC 3261 §9, §13-§15)."""

from __future__ import annotations

from collections.abc import Sequence

from tas.sip.events import (
    CallAnswered,
    CallCancelled,
    CallConfirmed,
    CallEnded,
    CallFailed,
    CallProgress,
    IncomingCall,
)
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

BOB_URI = "sip:bob@127.0.0.1:5060"


def kinds(events: Sequence[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def setup(transport: str = "UDP") -> Net:
    net = Net(transport)
    net.add(ALICE)
    net.add(BOB)
    return net


def incoming(net: Net) -> IncomingCall:
    events = net.take(BOB)
    assert kinds(events) == ["IncomingCall"]
    event = events[0]
    assert isinstance(event, IncomingCall)
    return event


def test_basic_call_ring_answer_ack_bye() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    assert call_b.remote_sdp == SDP and call_b.state == "incoming"
    bob.ring(call_b, net.now)
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert kinds(net.take(ALICE)) == ["CallProgress", "CallAnswered"]
    confirmed = net.take(BOB)
    assert kinds(confirmed) == ["CallConfirmed"] and call_b.state == "confirmed"
    assert call_a.state == "confirmed" and call_a.remote_sdp == SDP
    assert call_a.dialog is not None and call_b.dialog is not None
    assert call_a.dialog.id == (call_b.call_id, call_b.dialog.remote_tag, call_b.local_tag)
    alice.bye(call_a, net.now)
    net.pump()
    ended_b = net.take(BOB)
    assert kinds(ended_b) == ["CallEnded"] and isinstance(ended_b[0], CallEnded)
    assert ended_b[0].by_remote
    ended_a = net.take(ALICE)
    assert isinstance(ended_a[0], CallEnded) and not ended_a[0].by_remote
    assert alice.calls == {} and bob.calls == {}
    assert net.sent(b"SIP/2.0 200", BOB) == [0.0, 0.0]  # 200 INVITE, 200 BYE


def test_retransmitted_invite_creates_one_call() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, 0.0, body=SDP)
    net.drop = lambda data: data.startswith(b"SIP/2.0 100")
    net.advance(0.2)
    assert len(net.take(BOB)) == 1
    net.advance(4.0)  # Alice retransmits at 0.5, 1.5, 3.5; Bob sent 100 at 0.2 (dropped)
    assert net.sent(b"INVITE", ALICE) == [0.0, 0.5, 1.5, 3.5]
    assert net.take(BOB) == [] and len(bob.calls) == 1
    assert net.sent(b"SIP/2.0 100", BOB) == [0.2, 0.5, 1.5, 3.5]  # resent per retransmission


def test_2xx_retransmitted_until_ack_then_bye_on_timeout() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    net.drop = lambda data: data.startswith(b"ACK")
    bob.answer(call_b, SDP, 0.0)
    net.advance(40.0)
    times = net.sent(b"SIP/2.0 200", BOB)
    assert times[:6] == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5]
    assert times[-1] == 31.5 and max(b - a for a, b in zip(times, times[1:], strict=False)) == 4.0
    assert net.sent(b"BYE", BOB) == [32.0]
    ended = [e for e in net.take(BOB) if isinstance(e, CallEnded)]
    assert len(ended) == 1 and ended[0].reason == "no ACK"
    assert bob.calls == {}


def test_ack_stops_2xx_retransmission() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    bob.answer(call_b, SDP, 0.0)
    net.advance(60.0)
    assert net.sent(b"SIP/2.0 200", BOB) == [0.0]
    assert kinds(net.take(BOB)) == ["CallConfirmed"]


def test_reject_486_reaches_caller_and_is_acked_in_transaction() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    bob.reject(call_b, 486, 0.0)
    net.advance(40.0)
    failed = net.take(ALICE)
    assert isinstance(failed[0], CallFailed) and failed[0].response.status == 486
    assert call_a.state == "ended" and call_b.state == "ended"
    assert net.sent(b"ACK", ALICE) == [0.0] and net.sent(b"SIP/2.0 486", BOB) == [0.0]
    assert bob.layer.servers == {} and alice.layer.clients == {}


def test_cancel_after_ringing_gives_487() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, 0.0)
    net.pump()
    assert isinstance(net.take(ALICE)[0], CallProgress)
    alice.cancel(call_a, 1.0)
    net.pump()
    assert kinds(net.take(BOB)) == ["CallCancelled"] and call_b.state == "ended"
    failed = net.take(ALICE)
    assert isinstance(failed[0], CallFailed) and failed[0].response.status == 487
    assert net.sent(b"SIP/2.0 200", BOB) == [0.0]  # the 200 to CANCEL
    assert net.sent(b"ACK", ALICE) == [0.0]


def test_cancel_before_any_provisional_waits_for_one() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    net.drop = lambda data: data.startswith(b"SIP/2.0 100")
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    alice.cancel(call_a, 0.0)
    net.pump()
    assert net.sent(b"CANCEL") == []
    net.drop = lambda data: False
    call_b = incoming(net).call
    bob.ring(call_b, 0.1)
    net.pump()
    assert net.sent(b"CANCEL") == [0.0]
    assert kinds(net.take(BOB)) == ["CallCancelled"]


def test_cancel_unknown_transaction_gets_481() -> None:
    net = setup()
    bob = net.endpoints[BOB]
    bob.receive(bytes(request("CANCEL", via_host="127.0.0.1:5061")), Peer("UDP", *ALICE), 0.0)
    assert [d[:12] for d, _ in bob.take_outbox()] == [b"SIP/2.0 481 "]


def test_200_crossing_cancel_is_acked_and_hung_up() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, 0.0)
    net.pump()
    alice.cancel(call_a, 0.1)  # CANCEL in flight ...
    outbox = alice.take_outbox()
    bob.answer(call_b, SDP, 0.1)  # ... while Bob answers
    for data, _ in outbox:
        bob.receive(data, Peer("UDP", *ALICE), 0.1)
    net.pump()
    assert net.sent(b"ACK", ALICE) and net.sent(b"BYE", ALICE)
    assert call_a.state == "ended" and call_b.state == "ended"
    assert not [e for e in net.take(ALICE) if isinstance(e, CallAnswered)]
    assert not [e for e in net.take(BOB) if isinstance(e, CallCancelled)]


def test_invite_timeout_fails_with_408() -> None:
    net = setup()
    alice = net.endpoints[ALICE]
    call_a = alice.invite("sip:nobody@127.0.0.1:5999", 0.0, body=SDP)
    net.advance(40.0)
    failed = net.take(ALICE)
    assert isinstance(failed[0], CallFailed) and failed[0].response.status == 408
    assert call_a.state == "ended"


def test_call_over_tcp_has_no_retransmissions() -> None:
    net = setup("TCP")
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI + ";transport=tcp", 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    assert call_b.peer.conn == 1
    bob.answer(call_b, SDP, 0.0)
    net.pump()
    assert isinstance(net.take(BOB)[0], CallConfirmed)
    net.now = 1.0
    bob.bye(call_b, 1.0)
    net.advance(100.0)
    assert call_a.state == "ended" and net.sent(b"BYE") == [1.0]
    assert len(net.wire) == 5  # INVITE, 200, ACK, BYE, 200


def test_callee_bye_waits_for_the_ack() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    net.drop = lambda data: data.startswith(b"ACK")
    bob.answer(call_b, SDP, 0.0)
    bob.bye(call_b, 0.1)
    net.advance(0.4)
    assert net.sent(b"BYE") == [] and call_b.state == "answered"
    net.drop = lambda data: False
    net.advance(1.0)  # the 2xx retransmission at 0.5 is ACKed again, then BYE goes out
    assert net.sent(b"BYE", BOB) == [0.5]
    assert call_a.state == "ended" and call_b.state == "ended"


def test_second_fork_2xx_is_acked_and_hung_up() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, body=SDP)
    net.pump()
    call_b = incoming(net).call
    bob.answer(call_b, SDP, 0.0)
    net.pump()
    assert call_a.state == "confirmed"
    # A forking proxy delivers a 2xx from another branch (another To tag) of the same INVITE.
    fork_ok = call_b.invite.create_response(200, to_tag="otherfork")
    fork_ok.headers.add("Contact", "<sip:fork@127.0.0.1:5060>")
    for _ in range(2):  # the fork retransmits its 2xx
        alice.receive(bytes(fork_ok), Peer("UDP", *BOB), 0.1)
    sent = [data.split(b"\r\n", 1)[0] for data, _ in alice.take_outbox()]
    assert sent.count(b"ACK sip:fork@127.0.0.1:5060 SIP/2.0") == 2
    assert sent.count(b"BYE sip:fork@127.0.0.1:5060 SIP/2.0") == 1
    assert call_a.state == "confirmed" and call_a.dialog is not None
    assert call_a.dialog.remote_tag == call_b.local_tag


def test_merged_invite_via_another_path_gets_482() -> None:
    net = setup()
    bob = net.endpoints[BOB]
    first = request(branch="z9hG4bK-path1", via_host="127.0.0.1:5061", body=SDP)
    second = request(branch="z9hG4bK-path2", via_host="127.0.0.1:5061", body=SDP)
    bob.receive(bytes(first), Peer("UDP", *ALICE), 0.0)
    bob.receive(bytes(second), Peer("UDP", *ALICE), 0.0)
    assert kinds(bob.take_events()) == ["IncomingCall"]
    assert [d.split(b"\r\n", 1)[0] for d, _ in bob.take_outbox()] == [b"SIP/2.0 482 Loop Detected"]
    assert len(bob._uas_invites) == 1
    call = next(iter(bob.calls.values()))
    bob.reject(call, 486, 0.1)
    assert bob._uas_invites == {}


def test_delayed_offer_answer_goes_in_the_ack() -> None:
    net = setup()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    call_a = alice.invite(BOB_URI, 0.0, answer_offer=lambda offer: offer.replace(b"4000", b"5000"))
    net.pump()
    call_b = incoming(net).call
    assert call_b.remote_sdp == b""
    bob.answer(call_b, SDP, 0.0)  # the offer goes in the 200
    net.pump()
    confirmed = [e for e in net.take(BOB) if isinstance(e, CallConfirmed)]
    assert confirmed[0].ack.body == SDP.replace(b"4000", b"5000")
    assert call_b.remote_sdp == SDP.replace(b"4000", b"5000")
    assert call_a.local_sdp == call_b.remote_sdp and call_a.remote_sdp == SDP
