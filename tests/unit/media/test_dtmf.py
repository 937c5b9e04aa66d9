import pytest

from media.dtmf import DtmfReceiver, TelephoneEvent, dtmf_payloads, event_code
from media.errors import PacketError
from media.rtp import RtpPacket


def ev(ts: int, payload: bytes, seq: int = 0) -> RtpPacket:
    return RtpPacket(101, seq, ts, 1, payload)


def test_payload_round_trip_and_errors() -> None:
    e = TelephoneEvent(11, True, 10, 800)
    assert bytes(e) == bytes([11, 0x8A, 0x03, 0x20])
    assert TelephoneEvent.parse(bytes(e)) == e
    with pytest.raises(PacketError, match="truncated telephone-event"):
        TelephoneEvent.parse(b"\x01\x8a\x03")
    with pytest.raises(PacketError, match="volume"):
        bytes(TelephoneEvent(1, False, 64, 0))


def test_sending_sequence() -> None:
    payloads = dtmf_payloads("5", duration=0.1, ptime=0.02)
    events = [TelephoneEvent.parse(p) for p in payloads]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert {e.event for e in events} == {5}
    assert event_code("#") == 11 and event_code("d") == 15
    with pytest.raises(ValueError):
        event_code("x")


def test_digit_reported_once_despite_retransmitted_end_packets() -> None:
    rx = DtmfReceiver()
    digits = []
    for seq, payload in enumerate(dtmf_payloads("7") * 2):  # the whole event arrives twice
        digits += rx.feed(ev(8000, payload, seq))
    assert [d.digit for d in digits] == ["7"]
    assert digits[0].duration == pytest.approx(0.1)
    assert rx.flush() is None


def test_lost_end_packets_reported_at_next_event_or_flush() -> None:
    rx = DtmfReceiver()
    first = dtmf_payloads("1")[:2]  # only two updates, the end is lost
    assert rx.feed(ev(100, first[0])) == [] and rx.feed(ev(100, first[1])) == []
    second = dtmf_payloads("2")
    digits = rx.feed(ev(2000, second[-1]))  # only an end packet of the next event arrives
    assert [d.digit for d in digits] == ["1", "2"]
    assert rx.feed(ev(3000, dtmf_payloads("#")[0])) == []
    flushed = rx.flush()
    assert flushed is not None and flushed.digit == "#"


def test_same_digit_twice_is_two_events() -> None:
    rx = DtmfReceiver()
    digits = []
    for ts in (0, 1600):
        for payload in dtmf_payloads("9"):
            digits += rx.feed(ev(ts, payload))
    assert [d.digit for d in digits] == ["9", "9"]


def test_unknown_events_and_bad_payloads() -> None:
    rx = DtmfReceiver()
    assert rx.feed(ev(0, bytes(TelephoneEvent(16, True, 10, 800)))) == []  # flash is not a digit
    with pytest.raises(PacketError):
        rx.feed(ev(0, b"\x01"))
