"""Fuzz invariant for every media parser: any input yields a value or the parser's own error."""

from hypothesis import given, settings
from hypothesis import strategies as st

from media.dtmf import TelephoneEvent
from media.errors import PacketError, SdpError, WavError
from media.rtcp import parse_compound, serialize_compound
from media.rtp import RtpExtension, RtpPacket
from media.sdp import SessionDescription
from media.wav import FORMAT_ALAW, FORMAT_PCM, FORMAT_ULAW, read_wav

FAST = settings(max_examples=500, deadline=None)


@FAST
@given(st.binary(max_size=200))
def test_rtp_parse_total(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except PacketError:
        return
    assert RtpPacket.parse(bytes(packet)) == packet


@FAST
@given(
    pt=st.integers(0, 127),
    seq=st.integers(0, 0xFFFF),
    ts=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=64),
    marker=st.booleans(),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    ext=st.none() | st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=16)),
    padding=st.integers(0, 255),
)
def test_rtp_round_trip(
    pt: int,
    seq: int,
    ts: int,
    ssrc: int,
    payload: bytes,
    marker: bool,
    csrc: list[int],
    ext: tuple[int, bytes] | None,
    padding: int,
) -> None:
    extension = None if ext is None else RtpExtension(ext[0], ext[1] + bytes(-len(ext[1]) % 4))
    packet = RtpPacket(pt, seq, ts, ssrc, payload, marker, tuple(csrc), extension, padding)
    assert RtpPacket.parse(bytes(packet)) == packet


@FAST
@given(st.binary(max_size=200))
def test_rtcp_parse_total(data: bytes) -> None:
    try:
        packets = parse_compound(data)
    except PacketError:
        return
    assert parse_compound(serialize_compound(packets)) == packets


_LINE = st.tuples(
    st.sampled_from("vosiuepcbtrzkam"),
    st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30),
).map(lambda kv: f"{kv[0]}={kv[1]}")
_SDPISH = st.lists(_LINE, max_size=12).map(
    lambda lines: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n" + "\r\n".join(lines)
)


@FAST
@given(st.text(max_size=300) | st.binary(max_size=300) | _SDPISH)
def test_sdp_parse_total(data: str | bytes) -> None:
    try:
        sdp = SessionDescription.parse(data)
    except SdpError:
        return
    text = str(sdp)
    assert str(SessionDescription.parse(text)) == text  # serializing is a fixed point


@FAST
@given(st.binary(max_size=8))
def test_telephone_event_total(data: bytes) -> None:
    try:
        event = TelephoneEvent.parse(data)
    except PacketError:
        return
    # RFC 4733 §2.3: 4 octets; the fields fit their widths and serialise back to those octets
    # but the reserved R bit, which a receiver ignores and a sender sends as 0.
    assert 0 <= event.event <= 255 and 0 <= event.volume <= 63 and 0 <= event.duration <= 0xFFFF
    assert bytes(event) == bytes([data[0], data[1] & 0xBF]) + data[2:4]


@FAST
@given(st.binary(max_size=120))
def test_wav_read_total(data: bytes) -> None:
    try:
        audio = read_wav(b"RIFF\0\0\0\0WAVE" + data)
    except WavError:
        return
    # What reads is a supported format whose samples came from the input, no more.
    assert audio.format in (FORMAT_PCM, FORMAT_ALAW, FORMAT_ULAW)
    assert audio.rate >= 1 and audio.channels >= 1 and len(audio.data) <= len(data)
    assert audio.data in data
