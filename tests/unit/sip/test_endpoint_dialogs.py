"""In-dialog behaviour (RFC 3261 §12, §14): re-INVITE both ways, glare, CSeq rules, 481,
OPTIONS/INFO, and malformed input."""

from __future__ import annotations

from tas.sip.call import Call
from tas.sip.events import (
    DialogRequest,
    IncomingCall,
    ReInvite,
    ReInviteResult,
    RequestCompleted,
)
from tas.sip.message import Response
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP, request
from tests.unit.sip.ua_net import ALICE, BOB, Net

HOLD = SDP.replace(b"m=audio", b"a=sendonly\r\nm=audio")


def connected() -> tuple[Net, Call, Call]:
    net = Net()
    alice, bob = net.add(ALICE), net.add(BOB)
    call_a = alice.invite("sip:bob@127.0.0.1:5060", 0.0, body=SDP)
    net.pump()
    event = net.take(BOB)[0]
    assert isinstance(event, IncomingCall)
    bob.answer(event.call, SDP, 0.0)
    net.pump()
    net.take(ALICE)
    net.take(BOB)
    return net, call_a, event.call


def responses(net: Net, src: tuple[str, int]) -> list[int]:
    out = []
    for _, s, _, data in net.wire:
        if s == src and data.startswith(b"SIP/2.0"):
            message = parse_message(data)
            assert isinstance(message, Response)
            out.append(message.status)
    return out


def test_reinvite_from_caller_hold_and_resume() -> None:
    net, call_a, call_b = connected()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.reinvite(call_a, HOLD, 1.0)
    net.pump()
    event = net.take(BOB)[0]
    assert isinstance(event, ReInvite) and event.request.body == HOLD
    bob.answer_reinvite(call_b, SDP, 1.0)
    net.pump()
    result = net.take(ALICE)[0]
    assert isinstance(result, ReInviteResult) and result.response.status == 200
    assert call_b.remote_sdp == HOLD and call_a.local_sdp == HOLD
    assert call_a.dialog is not None and call_a.dialog.local_seq == 2
    assert len(net.sent(b"ACK", ALICE)) == 2
    net.advance(10.0)
    assert len(net.sent(b"SIP/2.0 200", BOB)) == 2  # ACKed: no retransmission


def test_reinvite_from_callee_and_rejection() -> None:
    net, call_a, call_b = connected()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    bob.reinvite(call_b, HOLD, 1.0)
    net.pump()
    assert isinstance(net.take(ALICE)[0], ReInvite)
    alice.reject_reinvite(call_a, 488, 1.0)
    net.pump()
    result = net.take(BOB)[0]
    assert isinstance(result, ReInviteResult) and result.response.status == 488
    assert call_b.state == "confirmed"


def test_reinvite_glare_gets_491_and_each_side_retries_after_its_random_time() -> None:
    """RFC 3261 §14.1: both re-INVITEs get 491; the TU hears nothing yet. The callee (who does
    not own the Call-ID) sends again 0-2 s later, the caller (who does) 2.1-4 s later; both
    retries succeed and only then each TU gets its 200."""
    net, call_a, call_b = connected()
    alice, bob = net.endpoints[ALICE], net.endpoints[BOB]
    alice.reinvite(call_a, HOLD, 1.0)
    bob.reinvite(call_b, HOLD, 1.0)
    net.pump()
    assert len(_sent(net, "SIP/2.0 491")) == 2 and not [
        e for e in net.take(ALICE) + net.take(BOB) if isinstance(e, ReInviteResult)
    ]
    assert net.now == 0.0  # the 491s came at 0
    net.advance(2.05)  # bob's retry is due by 2.0, alice's not before 2.1
    assert [e for e in net.take(ALICE) if isinstance(e, ReInvite)]
    alice.answer_reinvite(call_a, SDP, net.now)
    net.pump()
    assert [e.response.status for e in net.take(BOB) if isinstance(e, ReInviteResult)] == [200]
    net.advance(4.05)
    assert [e for e in net.take(BOB) if isinstance(e, ReInvite)]
    bob.answer_reinvite(call_b, SDP, net.now)
    net.pump()
    assert [e.response.status for e in net.take(ALICE) if isinstance(e, ReInviteResult)] == [200]
    (_, by_bob), (_, by_alice) = _reinvite_times(net, BOB), _reinvite_times(net, ALICE)
    assert 0.0 <= by_bob <= 2.0  # not the Call-ID's owner: 0-2 s after the 491
    assert 2.1 <= by_alice <= 4.0  # the owner: 2.1-4 s


def _sent(net: Net, start: str) -> list[bytes]:
    return [d for _, _, _, d in net.wire if d.startswith(start.encode())]


def _reinvite_times(net: Net, src: tuple[str, int]) -> list[float]:
    return [t for t, s, _, d in net.wire if s == src and d.startswith(b"INVITE")][-2:]


def test_unknown_dialog_gets_481_and_lower_cseq_500() -> None:
    net, call_a, call_b = connected()
    bob = net.endpoints[BOB]
    assert call_b.dialog is not None
    stray = request("BYE", call_id="nope", to_tag="zzz", via_host="127.0.0.1:5061")
    bob.receive(bytes(stray), Peer("UDP", *ALICE), 1.0)
    old = request(
        "INFO",
        branch="z9hG4bK-old",
        cseq=1,
        call_id=call_b.call_id,
        from_tag=call_b.dialog.remote_tag,
        to_tag=call_b.local_tag,
        via_host="127.0.0.1:5061",
    )
    bob.receive(bytes(old), Peer("UDP", *ALICE), 1.0)
    statuses = [d.split(b" ", 2)[1] for d, _ in bob.take_outbox()]
    assert statuses == [b"481", b"500"]
    assert call_b.state == "confirmed"


def test_options_and_info_in_dialog_and_options_outside() -> None:
    net, call_a, call_b = connected()
    alice = net.endpoints[ALICE]
    handle = alice.request(
        "INFO", 1.0, call=call_a, body=b"Signal=5\r\n", content_type="application/dtmf-relay"
    )
    net.pump()
    got = net.take(BOB)
    assert isinstance(got[0], DialogRequest) and got[0].request.body == b"Signal=5\r\n"
    done = net.take(ALICE)
    assert isinstance(done[0], RequestCompleted) and done[0].handle is handle
    assert done[0].response.status == 200
    alice.request("OPTIONS", 2.0, uri="sip:127.0.0.1:5060")
    net.pump()
    options = [e for e in net.take(ALICE) if isinstance(e, RequestCompleted)][0].response
    assert options.status == 200 and "INVITE" in (options.headers.get("Allow") or "")
    assert (options.headers.get("Accept") or "").startswith("application/sdp")


def test_unsupported_scheme_require_and_method() -> None:
    net = Net()
    bob = net.add(BOB)
    src = Peer("UDP", *ALICE)
    bob.receive(bytes(request("OPTIONS", extra="Require: foo\r\n")), src, 0.0)
    bob.receive(bytes(request("PUBLISH", branch="z9hG4bK-2")), src, 0.0)
    invite = bytes(request(branch="z9hG4bK-3")).replace(b"INVITE sip:bob@", b"INVITE foo:bob@", 1)
    bob.receive(invite, src, 0.0)
    out = [parse_message(d) for d, _ in bob.take_outbox()]
    statuses = [m.status for m in out if isinstance(m, Response)]
    assert statuses == [420, 405, 416]
    first = out[0]
    assert first.headers.get("Unsupported") == "foo"
    assert out[1].headers.get("Allow") is not None


def test_malformed_request_gets_400_and_garbage_is_dropped() -> None:
    net = Net()
    bob = net.add(BOB)
    src = Peer("UDP", "127.0.0.1", 5999)
    bad = bytes(request()).replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE")
    bob.receive(bad, src, 0.0)
    bob.receive(b"\x00\xffnot sip at all\r\n\r\n", src, 0.0)
    bob.receive(b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n", src, 0.0)
    out = bob.take_outbox()
    assert len(out) == 1 and out[0][0].startswith(b"SIP/2.0 400")
    assert out[0][1] == Peer("UDP", "192.0.2.10", 5070)  # via sent-by, no rport requested
    assert bob.take_events() == []


def test_rport_and_received_are_stamped_and_used() -> None:
    net = Net()
    bob = net.add(BOB)
    req = request("OPTIONS").__bytes__().replace(b";branch=", b";rport;branch=")
    bob.receive(req, Peer("UDP", "203.0.113.9", 40123), 0.0)
    data, peer = bob.take_outbox()[0]
    assert peer == Peer("UDP", "203.0.113.9", 40123)
    reply = parse_message(data)
    assert reply.top_via.received == "203.0.113.9" and reply.top_via.rport == 40123
