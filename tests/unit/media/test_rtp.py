import pytest

from media.errors import PacketError
from media.rtp import RtpExtension, RtpPacket, is_rtcp

# RFC 3550 header: V=2, PT=0, seq=0x1234, ts=0x11223344, ssrc=0xdeadbeef, 4 payload octets
BASIC = bytes.fromhex("8000123411223344deadbeef") + b"\x01\x02\x03\x04"


def test_parse_basic_packet() -> None:
    p = RtpPacket.parse(BASIC)
    assert (p.payload_type, p.sequence_number, p.timestamp, p.ssrc) == (
        0,
        0x1234,
        0x11223344,
        0xDEADBEEF,
    )
    assert p.payload == b"\x01\x02\x03\x04"
    assert not p.marker and p.csrc == () and p.extension is None and p.padding == 0
    assert bytes(p) == BASIC


def test_round_trip_with_everything() -> None:
    p = RtpPacket(
        payload_type=101,
        sequence_number=65535,
        timestamp=0xFFFFFFFF,
        ssrc=7,
        payload=b"abc",
        marker=True,
        csrc=(1, 2, 3),
        extension=RtpExtension(0xBEDE, b"\x10\xff\x00\x00"),
        padding=5,
    )
    data = bytes(p)
    assert data[0] == 0x80 | 0x20 | 0x10 | 3
    assert data[1] == 0x80 | 101
    assert data[-1] == 5
    assert RtpPacket.parse(data) == p


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated RTP header: 0"),
        (BASIC[:11], "truncated RTP header: 11"),
        (b"\x40" + BASIC[1:], "RTP version 1"),
        (b"\x00" + BASIC[1:], "RTP version 0"),
        (b"\x82" + BASIC[1:12] + b"\0\0\0\1", "truncated CSRC list"),
        (b"\x90" + BASIC[1:12] + b"\xbe\xde", "truncated RTP header extension"),
        (b"\x90" + BASIC[1:12] + b"\xbe\xde\x00\x02" + b"\0" * 4, "claims 8 octets"),
        (b"\xa0" + BASIC[1:12] + b"\x00", "padding count is 0"),
        (b"\xa0" + BASIC[1:12] + b"\x01\x09", "padding 9 exceeds"),
    ],
)
def test_invalid_packets_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(PacketError, match=reason):
        RtpPacket.parse(data)


def test_every_truncation_of_a_full_packet_is_an_error_or_shorter_payload() -> None:
    full = bytes(
        RtpPacket(8, 1, 2, 3, b"x" * 8, csrc=(9,), extension=RtpExtension(1, b"abcd"), padding=4)
    )
    for n in range(len(full)):
        try:
            parsed = RtpPacket.parse(full[:n])
        except PacketError:
            continue
        assert len(parsed.payload) < 8


def test_serialize_rejects_bad_fields() -> None:
    with pytest.raises(PacketError, match="payload type"):
        bytes(RtpPacket(128, 0, 0, 0))
    with pytest.raises(PacketError, match="CSRC"):
        bytes(RtpPacket(0, 0, 0, 0, csrc=tuple(range(16))))
    with pytest.raises(PacketError, match="multiple of 4"):
        RtpExtension(1, b"abc")


def test_is_rtcp_distinguishes_muxed_packets() -> None:
    assert not is_rtcp(BASIC)
    assert not is_rtcp(bytes(RtpPacket(127, 0, 0, 0, marker=True)))  # second octet 0xff
    assert is_rtcp(b"\x80\xc8\x00\x06")
    assert not is_rtcp(b"\x80")
