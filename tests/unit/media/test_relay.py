"""The media relay between two legs (media.relay): payload-type mapping (pure) and the
forwarding of packets between two endpoints (fakes, no sockets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from media.errors import MediaError
from media.offer_answer import NegotiatedMedia
from media.relay import MediaRelay, relayed_payload_type
from media.rtp import RtpPacket

A = NegotiatedMedia("PCMU", 0, 101, 20, "sendrecv", "127.0.0.1", 4000, 4001, False,
                    cn_payload_type=13)  # fmt: skip
B = NegotiatedMedia("PCMU", 0, 96, 20, "sendrecv", "127.0.0.1", 5000, 5001, False)


def test_audio_keeps_its_type_and_events_take_the_other_legs_number() -> None:
    assert relayed_payload_type(0, A, B) == 0
    assert relayed_payload_type(101, A, B) == 96  # RFC 4733 events, renumbered
    assert relayed_payload_type(96, B, A) == 101


def test_what_the_other_leg_did_not_negotiate_is_dropped() -> None:
    assert relayed_payload_type(13, A, B) is None  # comfort noise: B has none
    assert relayed_payload_type(8, A, B) is None  # a format A never negotiated
    assert relayed_payload_type(101, A, replace(B, dtmf_payload_type=None)) is None
    assert relayed_payload_type(0, A, replace(B, codec="PCMA", payload_type=8)) is None


def test_nothing_goes_to_a_leg_that_holds_us() -> None:
    assert relayed_payload_type(0, A, replace(B, direction="recvonly")) is None
    assert relayed_payload_type(0, A, replace(B, direction="inactive")) is None


class FakeEndpoint:
    def __init__(self) -> None:
        self.on_rtp: Callable[[bytes, float], None] | None = None
        self.sent: list[bytes] = []

    def send_rtp(self, data: bytes) -> None:
        self.sent.append(data)


class FakeSession:
    def __init__(self, negotiated: NegotiatedMedia) -> None:
        self.negotiated = negotiated
        self.endpoint = FakeEndpoint()
        self.closed = False
        self.handed_over = False
        self.received: list[bytes] = []
        self.endpoint.on_rtp = lambda data, now: self.received.append(data)

    def hand_over_sending(self) -> None:
        self.handed_over = True


def _packet(pt: int, seq: int, marker: bool = False) -> bytes:
    return bytes(RtpPacket(pt, seq, 160 * seq, 0x1234, b"\xff" * 160, marker=marker))


def test_packets_cross_both_ways_with_ssrc_seq_and_timestamp_kept() -> None:
    a, b = FakeSession(A), FakeSession(B)
    relay = MediaRelay(a, b)  # type: ignore[arg-type]
    relay.start()
    assert a.handed_over and b.handed_over
    assert a.endpoint.on_rtp is not None and b.endpoint.on_rtp is not None
    a.endpoint.on_rtp(_packet(0, 1), 0.0)
    a.endpoint.on_rtp(_packet(101, 2, marker=True), 0.02)
    a.endpoint.on_rtp(_packet(13, 3), 0.04)  # CN: B has none
    b.endpoint.on_rtp(_packet(0, 7), 0.0)
    assert len(a.received) == 3 and len(b.received) == 1  # each leg's receiver still runs
    sent = [RtpPacket.parse(p) for p in b.endpoint.sent]
    assert [(p.payload_type, p.sequence_number, p.ssrc, p.marker) for p in sent] == [
        (0, 1, 0x1234, False),
        (96, 2, 0x1234, True),
    ]
    assert b.endpoint.sent[0] == _packet(0, 1)  # untouched when the type is the same
    assert [RtpPacket.parse(p).sequence_number for p in a.endpoint.sent] == [7]
    assert (relay.counts.a_to_b, relay.counts.b_to_a, relay.counts.dropped) == (2, 1, 1)
    relay.stop()
    a.endpoint.on_rtp(_packet(0, 4), 0.06)
    assert len(b.endpoint.sent) == 2 and len(a.received) == 4  # back to the receiver alone


def test_a_closed_leg_gets_nothing() -> None:
    a, b = FakeSession(A), FakeSession(B)
    MediaRelay(a, b).start()  # type: ignore[arg-type]
    b.closed = True
    assert a.endpoint.on_rtp is not None
    a.endpoint.on_rtp(_packet(0, 1), 0.0)
    assert b.endpoint.sent == []


def test_legs_of_different_codecs_or_without_media_are_refused() -> None:
    with pytest.raises(MediaError, match="no transcoding"):
        MediaRelay(FakeSession(A), FakeSession(replace(B, codec="PCMA")))  # type: ignore[arg-type]
    unnegotiated = FakeSession(B)
    unnegotiated.negotiated = None  # type: ignore[assignment]
    with pytest.raises(MediaError, match="negotiated"):
        MediaRelay(FakeSession(A), unnegotiated)  # type: ignore[arg-type]
