import pytest

from media.errors import PacketError
from media.rtcp import (
    ReportBlock,
    RtcpBye,
    RtcpReceiverReport,
    RtcpSdes,
    RtcpSenderReport,
    RtcpUnknown,
    SdesChunk,
    parse_compound,
    serialize_compound,
)

BLOCK = ReportBlock(0x1234, 25, -3, 70000, 42, 0xAABBCCDD, 65536)
SR = RtcpSenderReport(0xCAFE, (3_900_000_000 << 32) | 0x80000000, 160, 50, 8000, (BLOCK,))
RR = RtcpReceiverReport(0xBEEF, (BLOCK, ReportBlock(1, 0, 5, 2, 3)))
SDES = RtcpSdes(
    (SdesChunk(0xCAFE, ((1, b"tas@example"),)), SdesChunk(2, ((1, b"abcd"), (6, b"x"))))
)
BYE = RtcpBye((0xCAFE, 0xBEEF), b"hangup")


def test_compound_round_trip() -> None:
    packets = [SR, SDES, BYE]
    data = serialize_compound(packets)
    assert len(data) % 4 == 0
    assert parse_compound(data) == packets


@pytest.mark.parametrize("packet", [SR, RR, SDES, BYE, RtcpBye(()), RtcpUnknown(204, 1, b"abcd")])
def test_each_packet_round_trips(packet: object) -> None:
    data = serialize_compound([packet])  # type: ignore[list-item]
    assert parse_compound(data) == [packet]


def test_known_receiver_report_bytes() -> None:
    # RR with one block, from RFC 3550 §6.4.2 layout: V=2 RC=1 PT=201 length=7
    data = bytes.fromhex("81c900070000beef0000123419fffffd000111700000002aaabbccdd00010000")
    assert parse_compound(data) == [RtcpReceiverReport(0xBEEF, (BLOCK,))]
    assert serialize_compound([RtcpReceiverReport(0xBEEF, (BLOCK,))]) == data


def test_padding_is_removed() -> None:
    body = bytes.fromhex("0000beef") + b"\0\0\0\4"
    data = bytes.fromhex("a0c90002") + body
    assert parse_compound(data) == [RtcpReceiverReport(0xBEEF)]


def test_unaligned_unknown_body_is_padded_with_the_p_bit() -> None:
    # A padded packet of another type leaves a body of any length; serialising it again must
    # pad with the P bit (RFC 3550 §6.4.1), not null octets that would join the body (fuzz).
    packet = RtcpUnknown(204, 1, b"abcde")
    data = serialize_compound([packet])
    assert data == bytes.fromhex("a1cc0002") + b"abcde\0\0\3"
    assert parse_compound(data) == [packet]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x80\xc9\x00", "truncated RTCP header"),
        (bytes.fromhex("40c90001") + b"\0" * 4, "RTCP version 1"),
        (bytes.fromhex("80c90002") + b"\0" * 4, "claims 12 octets, 8 present"),
        (bytes.fromhex("81c90001") + b"\0" * 4, "truncated RR: 1 report blocks"),
        (bytes.fromhex("80c80001") + b"\0" * 4, "truncated SR sender info"),
        (bytes.fromhex("80c90000"), "truncated RR"),
        (bytes.fromhex("81ca0001") + b"\0\0\0\1", "without terminating null"),
        (bytes.fromhex("81ca0002") + b"\0\0\0\1" + b"\x01\x09ab", "truncated SDES item"),
        (bytes.fromhex("82cb0001") + b"\0\0\0\1", "truncated BYE: 2 SSRCs"),
        (bytes.fromhex("81cb0002") + b"\0\0\0\1" + b"\x09abc", "truncated BYE reason"),
        (bytes.fromhex("a0c90001") + b"\0\0\0\0", "bad RTCP padding"),
        (bytes.fromhex("82ca0002") + b"\0\0\0\1" + b"\0" * 4, "truncated SDES chunk"),
    ],
)
def test_invalid_compound_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(PacketError, match=reason):
        parse_compound(data)


def test_every_truncation_of_a_compound_fails_cleanly() -> None:
    data = serialize_compound([SR, SDES, BYE])
    for n in range(len(data)):
        try:
            parse_compound(data[:n])
        except PacketError:
            continue
        # a prefix that ends exactly at a packet boundary is a valid shorter compound
        assert n in (len(serialize_compound([SR])), len(serialize_compound([SR, SDES])))
