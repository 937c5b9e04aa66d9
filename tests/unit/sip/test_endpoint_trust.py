"""No reflection (issue #10 item 5): an untrusted INVITE never makes the UA core send to a
third party, on a virtual clock (RFC 3261 §13.3.1.4, §12.2.1.1)."""

from __future__ import annotations

from tas.sip.endpoint import Endpoint, EndpointConfig
from tas.sip.events import CallEnded, IncomingCall
from tas.sip.transaction_base import Peer
from tests.unit.sip.sip_helpers import SDP

ATTACKER = Peer("UDP", "127.0.0.2", 5099)
THIRD_PARTY = "127.0.0.3"


def invite(contact: str = f"<sip:victim@{THIRD_PARTY}:5080;transport=tcp>") -> bytes:
    return (
        "INVITE sip:+4799990001@127.0.0.1:5060 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bK-r1;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:a@127.0.0.2>;tag=f1\r\n"
        "To: <sip:+4799990001@127.0.0.1>\r\n"
        "Call-ID: refl-1@127.0.0.2\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: {contact}\r\n"
        "Record-Route: <sip:127.0.0.3:5081;lr>\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(SDP)}\r\n\r\n"
    ).encode() + SDP


class Wire:
    """One endpoint, a virtual clock and everything it sent, with the time."""

    def __init__(self, trusted: bool | None) -> None:
        self.ep = Endpoint(EndpointConfig(local={"UDP": ("127.0.0.1", 5060)}))
        if trusted is not None:
            self.ep.trusted_peer = lambda peer: trusted
        self.now = 0.0
        self.sent: list[tuple[float, bytes, Peer]] = []

    def collect(self) -> None:
        self.sent += [(self.now, data, peer) for data, peer in self.ep.take_outbox()]

    def answer_unacked(self) -> IncomingCall:
        self.ep.receive(invite(), ATTACKER, self.now)
        (event,) = self.ep.take_events()
        assert isinstance(event, IncomingCall)
        self.ep.answer(event.call, SDP, self.now)
        self.collect()
        return event

    def advance(self, end: float) -> None:
        while (deadline := self.ep.next_deadline()) is not None and deadline <= end:
            self.now = deadline
            self.ep.handle_timer(self.now)
            self.collect()
        self.now = end

    def times(self, start: bytes) -> list[float]:
        return [t for t, data, _ in self.sent if data.startswith(start)]

    def hosts(self) -> set[tuple[str, str]]:
        return {(peer.transport, peer.host) for _, _, peer in self.sent}


def test_untrusted_unacked_2xx_is_sent_once_and_dropped_without_bye() -> None:
    wire = Wire(trusted=False)
    event = wire.answer_unacked()
    assert not event.call.trusted
    wire.advance(60.0)
    assert wire.times(b"SIP/2.0 200") == [0.0]  # no retransmission (§13.3.1.4 is for peers)
    assert wire.times(b"BYE") == []
    assert wire.hosts() == {("UDP", "127.0.0.2")}  # never the Contact / Record-Route host
    ended = [e for e in wire.ep.take_events() if isinstance(e, CallEnded)]
    assert [e.reason for e in ended] == ["no ACK"] and wire.ep.calls == {}
    assert wire.ep.next_deadline() is None or wire.ep.next_deadline() > 32.0


def test_trusted_unacked_2xx_is_retransmitted_and_byed_at_the_contact() -> None:
    """The RFC behaviour the untrusted case departs from (and that the test above would see)."""
    for trusted in (True, None):  # None: no trust boundary configured (the sans-IO default)
        wire = Wire(trusted=trusted)
        wire.answer_unacked()
        wire.advance(60.0)
        assert wire.times(b"SIP/2.0 200")[:4] == [0.0, 0.5, 1.5, 3.5]
        assert wire.times(b"BYE")[:1] == [32.0]
        assert THIRD_PARTY in {host for _, host in wire.hosts()}  # route set (§12.2.1.1)


def test_untrusted_in_dialog_requests_go_to_the_source_only() -> None:
    wire = Wire(trusted=False)
    call = wire.answer_unacked().call
    ack = (
        "ACK sip:tas@127.0.0.1:5060 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.2:5099;branch=z9hG4bK-r2;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:a@127.0.0.2>;tag=f1\r\n"
        f"To: <sip:+4799990001@127.0.0.1>;tag={call.local_tag}\r\n"
        "Call-ID: refl-1@127.0.0.2\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    wire.ep.receive(ack, ATTACKER, 0.1)
    assert call.state == "confirmed"
    wire.ep.bye(call, 0.2)
    wire.collect()
    wire.advance(40.0)
    byes = [peer for _, data, peer in wire.sent if data.startswith(b"BYE")]
    assert byes and {(p.transport, p.host, p.port) for p in byes} == {("UDP", "127.0.0.2", 5099)}


def test_untrusted_rejection_is_one_answer_per_request() -> None:
    """No Timer G towards an untrusted (possibly spoofed) UDP source: a 403 goes out once per
    INVITE received, never 10 times for one (§17.2.1 still absorbs the retransmission)."""
    for trusted, expected in ((False, [0.0, 2.0]), (True, [0.0, 0.5, 1.5, 2.0, 3.5])):
        wire = Wire(trusted=trusted)
        wire.ep.receive(invite(), ATTACKER, 0.0)
        (event,) = wire.ep.take_events()
        assert isinstance(event, IncomingCall)
        wire.ep.reject(event.call, 403, 0.0)
        wire.collect()
        wire.advance(2.0)
        wire.ep.receive(invite(), ATTACKER, 2.0)  # the attacker's retransmission
        assert wire.ep.take_events() == []  # absorbed by the transaction
        wire.collect()
        wire.advance(4.0)
        assert wire.times(b"SIP/2.0 403") == expected
        wire.advance(60.0)
        assert wire.ep.next_deadline() is None  # Timer H ended the transaction
