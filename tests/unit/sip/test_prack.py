"""Reliable provisionals and PRACK (RFC 3262, tas.sip.prack) on the virtual clock: UAS and UAC
of the sans-IO endpoint, retransmission and give-up (§3), RSeq order (§4), required /
supported / absent 100rel, and the 2xx held back for the PRACK of a 1xx with SDP (§3)."""

from __future__ import annotations

from tas.sip.endpoint import Endpoint
from tas.sip.events import CallEnded, CallProgress, IncomingCall
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

BOB_URI = "sip:bob@127.0.0.1:5060"


def ringing_call(net: Net, **options: object) -> tuple[Endpoint, Endpoint]:
    alice = net.add(ALICE)
    bob = net.add(BOB, **options)
    return alice, bob


def incoming(net: Net) -> IncomingCall:
    (event,) = [e for e in net.take(BOB) if isinstance(e, IncomingCall)]
    return event


def sent(net: Net, src: tuple[str, int]) -> list[Request | Response]:
    return [parse_message(d) for _, s, _, d in net.wire if s == src]


def responses(net: Net, status: int) -> list[Response]:
    return [m for m in sent(net, BOB) if isinstance(m, Response) and m.status == status]


def pracks(net: Net) -> list[Request]:
    return [m for m in sent(net, ALICE) if isinstance(m, Request) and m.method == "PRACK"]


def test_required_100rel_gets_a_reliable_180_and_its_prack() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    call_a = alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now)
    net.pump()
    (ringing,) = responses(net, 180)
    assert ringing.headers.get("Require") == "100rel"
    rseq = int(ringing.headers.get("RSeq") or "0")
    assert 1 <= rseq < 2**31
    (prack,) = pracks(net)
    assert prack.headers.get("RAck") == f"{rseq} 1 INVITE"
    assert [r.status for r in sent(net, BOB) if isinstance(r, Response)][-1] == 200  # to PRACK
    assert call_b.prack is not None and not call_b.prack.pending
    assert any(isinstance(e, CallProgress) for e in net.take(ALICE))
    net.advance(40.0)  # PRACKed: no retransmission, the call lives on
    assert len(responses(net, 180)) == 1 and not call_b.ended
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert call_a.state == call_b.state == "confirmed"


def test_reliable_1xx_is_retransmitted_doubling_then_the_invite_gets_504() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    net.drop = lambda data: data.startswith(b"PRACK")
    alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 183, SDP)
    net.advance(40.0)
    times = [t for t, s, _, d in net.wire if s == BOB and d.startswith(b"SIP/2.0 183")]
    assert times == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # T1 doubling, no T2 cap (§3)
    (failure,) = responses(net, 504)
    assert failure.cseq.method == "INVITE"
    assert call_b.ended and call_b.end_reason == "no PRACK"
    assert any(isinstance(e, CallEnded) for e in net.take(BOB))


def test_second_reliable_1xx_waits_for_the_first_prack_and_rseq_counts_up() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    held: list[bytes] = []
    net.drop = lambda data: data.startswith(b"PRACK") and not held.append(data)
    alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    bob.ring(call_b, net.now, 183, SDP)
    net.pump()
    assert [r.status for r in responses(net, 180) + responses(net, 183)] == [180]
    net.drop = lambda data: False
    bob.receive(held[0], Peer("UDP", *ALICE), net.now)  # the PRACK of the 180 arrives
    net.pump()
    first, second = responses(net, 180)[0], responses(net, 183)[0]
    assert int(second.headers.get("RSeq") or 0) == int(first.headers.get("RSeq") or 0) + 1
    assert [p.headers.get("RAck") for p in pracks(net)][-1] == (
        f"{second.headers.get('RSeq')} 1 INVITE"
    )


def test_uac_pracks_only_the_next_rseq() -> None:
    net = Net()
    alice = net.add(ALICE)
    call = alice.invite(BOB_URI, net.now, body=SDP)
    net.pump()
    invite = sent(net, ALICE)[0]
    assert isinstance(invite, Request)
    assert invite.headers.values("Supported") == ["100rel", "timer"]

    def reliable(rseq: int) -> bytes:
        response = invite.create_response(180, to_tag="bt1")
        response.headers.add("Require", "100rel")
        response.headers.add("RSeq", str(rseq))
        return bytes(response)

    for rseq in (7, 7, 9, 8):  # a retransmission, one out of order, then the next one
        alice.receive(reliable(rseq), Peer("UDP", *BOB), net.now)
        net.pump()
    assert [p.headers.get("RAck") for p in pracks(net)] == ["7 1 INVITE", "8 1 INVITE"]
    assert call.rseq_in == 8


def test_supported_100rel_makes_early_media_reliable_and_plain_ringing_not() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    alice.invite(BOB_URI, net.now, body=SDP)  # Supported: 100rel, timer
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    bob.ring(call_b, net.now, 183, SDP)
    net.pump()
    assert responses(net, 180)[0].headers.get("RSeq") is None
    assert responses(net, 183)[0].headers.get("RSeq") is not None
    assert len(pracks(net)) == 1


def test_absent_or_disabled_100rel_sends_unreliable_1xx() -> None:
    for options, extra in (({}, ""), ({"reliable_provisionals": False}, "Supported: 100rel\r\n")):
        net = Net()
        bob = net.add(BOB, **options)
        bob.receive(bytes(request(body=SDP, extra=extra)), Peer("UDP", *ALICE), 0.0)
        call_b = next(e for e in bob.take_events() if isinstance(e, IncomingCall)).call
        bob.ring(call_b, 0.0, 183, SDP)
        (progress,) = [
            m for d, _ in bob.take_outbox() if isinstance(m := parse_message(d), Response)
        ]
        assert progress.status == 183 and progress.headers.get("RSeq") is None
        bob.handle_timer(40.0)
        assert not bob.take_outbox()  # nothing retransmitted, no 5xx


def test_answer_waits_for_the_prack_of_a_1xx_with_sdp() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    held: list[bytes] = []
    net.drop = lambda data: data.startswith(b"PRACK") and not held.append(data)
    call_a = alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 183, SDP)
    net.pump()
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert responses(net, 200) == [] and call_b.state == "early"  # §3: held back
    net.drop = lambda data: False
    bob.receive(held[0], Peer("UDP", *ALICE), net.now)
    net.pump()
    assert [r.cseq.method for r in responses(net, 200)] == ["PRACK", "INVITE"]
    assert call_a.state == call_b.state == "confirmed"


def test_a_2xx_overtaking_the_prack_of_a_180_still_takes_that_prack() -> None:
    """§3: a 1xx without SDP does not hold the 2xx back; its retransmissions stop, and the
    PRACK that arrives after the 2xx (even after the ACK) gets 200, not 481."""
    net = Net()
    alice, bob = ringing_call(net)
    held: list[bytes] = []
    net.drop = lambda data: data.startswith(b"PRACK") and not held.append(data)
    call_a = alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    net.pump()
    bob.answer(call_b, SDP, net.now)
    net.pump()
    assert call_a.state == call_b.state == "confirmed"
    net.drop = lambda data: False
    bob.receive(held[0], Peer("UDP", *ALICE), net.now)
    net.pump()
    assert [r.cseq.method for r in responses(net, 200)] == ["INVITE", "PRACK"]
    net.advance(40.0)
    assert len(responses(net, 180)) == 1 and call_b.state == "confirmed"
    assert call_b.prack is not None and call_b.prack.late is None  # acknowledged once


def test_answer_after_prack_holds_the_2xx_for_the_prack_of_a_180() -> None:
    """Ring before answer (``after_prack``): the 2xx waits for the PRACK of a reliable 180
    too, and goes once it comes; with no reliable 1xx pending it goes at once."""
    net = Net()
    alice, bob = ringing_call(net)
    held: list[bytes] = []
    net.drop = lambda data: data.startswith(b"PRACK") and not held.append(data)
    call_a = alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    net.pump()
    bob.answer(call_b, SDP, net.now, after_prack=True)
    net.pump()
    assert responses(net, 200) == [] and call_b.state == "early"
    net.drop = lambda data: False
    bob.receive(held[0], Peer("UDP", *ALICE), net.now)
    net.pump()
    assert [r.cseq.method for r in responses(net, 200)] == ["PRACK", "INVITE"]
    assert call_a.state == call_b.state == "confirmed"

    net = Net()
    alice, bob = ringing_call(net)
    alice.invite(BOB_URI, net.now, body=SDP)  # no 100rel: an unreliable 180
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    bob.answer(call_b, SDP, net.now, after_prack=True)
    net.pump()
    assert [r.cseq.method for r in responses(net, 200)] == ["INVITE"]


def test_prack_with_a_wrong_rack_gets_481() -> None:
    net = Net()
    alice, bob = ringing_call(net)
    net.drop = lambda data: data.startswith(b"PRACK")
    alice.invite(BOB_URI, net.now, body=SDP, headers={"Require": "100rel"})
    net.pump()
    call_b = incoming(net).call
    bob.ring(call_b, net.now, 180)
    net.pump()
    ringing = responses(net, 180)[0]
    prack = request(
        "PRACK",
        branch="z9hG4bK-p1",
        cseq=2,
        call_id=call_b.call_id,
        from_tag=call_b.invite.from_.tag or "",
        to_tag=ringing.to.tag,
        extra="RAck: 1 1 INVITE\r\n",
    )
    bob.receive(bytes(prack), Peer("UDP", *ALICE), net.now)
    statuses = [
        m.status for d, _ in bob.take_outbox() if isinstance(m := parse_message(d), Response)
    ]
    assert 481 in statuses
    assert call_b.prack is not None and call_b.prack.pending


def test_invite_requiring_100rel_is_not_refused() -> None:
    bob = Endpoint(Net().add(BOB).config)
    bob.receive(bytes(request(body=SDP, extra="Require: 100rel\r\n")), Peer("UDP", *ALICE), 0.0)
    assert any(isinstance(e, IncomingCall) for e in bob.take_events())
    assert not [d for d, _ in bob.take_outbox() if d.startswith(b"SIP/2.0 420")]


def test_no_reliable_1xx_towards_an_untrusted_source() -> None:
    bob = Net().add(BOB)
    bob.trusted_peer = lambda peer: False
    bob.receive(bytes(request(body=SDP, extra="Require: 100rel\r\n")), Peer("UDP", *ALICE), 0.0)
    call_b = next(e for e in bob.take_events() if isinstance(e, IncomingCall)).call
    bob.ring(call_b, 0.0, 183, SDP)
    bob.take_outbox()
    bob.handle_timer(0.6)
    assert not bob.take_outbox()  # sent once, never retransmitted (no reflection)
