"""Option parsing, targets and audio sources of ``tas call`` (pure)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from tas.harness.audio import RATE, audio_source
from tas.harness.options import (
    DtmfAt,
    parse_dtmf_schedule,
    parse_duration,
    parse_header,
    parse_port_range,
)
from tas.harness.target import is_loopback, number_of, resolve_target, sip_from

CORE = ("127.0.0.1", 5070)


@pytest.mark.parametrize(
    ("text", "seconds"), [("2", 2.0), ("2s", 2.0), ("1.5s", 1.5), ("500ms", 0.5), ("1m", 60.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "two", "-1s", "5h", "1.2.3"])
def test_bad_durations_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_dtmf_schedule_is_sorted_by_time() -> None:
    assert parse_dtmf_schedule("#@5s, 1@2s,12a@500ms") == [
        DtmfAt("12A", 0.5),
        DtmfAt("1", 2.0),
        DtmfAt("#", 5.0),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1", "needs a time"),
        ("x@1s", "digits must be"),
        ("1@soon", "not a duration"),
        (",", "empty"),
    ],
)
def test_bad_dtmf_schedules(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_dtmf_schedule(text)


def test_headers() -> None:
    assert parse_header("X-Test:  a b ") == ("X-Test", "a b")
    with pytest.raises(ValueError, match="set by the SIP stack"):
        parse_header("Call-ID: 1")
    with pytest.raises(ValueError, match="not a header"):
        parse_header("no colon")


def test_port_ranges() -> None:
    assert parse_port_range("40000-40100") == (40000, 40100)
    for bad in ("40000", "100-200", "5-a", "50000-40000"):
        with pytest.raises(ValueError):
            parse_port_range(bad)


def test_a_number_goes_to_the_core() -> None:
    target = resolve_target("+4799990000", CORE, None)
    assert target.uri == "sip:+4799990000@127.0.0.1:5070"
    assert (target.peer.transport, target.peer.host, target.peer.port) == ("UDP", "127.0.0.1", 5070)
    assert target.number == "+4799990000"


def test_uris_and_transports() -> None:
    tcp = resolve_target("sip:bob@10.0.0.1", CORE, "tcp")
    assert (tcp.peer.transport, tcp.peer.port, tcp.number) == ("TCP", 5060, None)
    sips = resolve_target("sips:+4712345678@127.0.0.1", CORE, None)
    assert (sips.peer.transport, sips.peer.port) == ("TLS", 5061)
    param = resolve_target("sip:a@127.0.0.1:7000;transport=tcp", CORE, None)
    assert (param.peer.transport, param.peer.port) == ("TCP", 7000)


@pytest.mark.parametrize(
    ("text", "transport", "reason"),
    [
        ("bob", None, "must be a number"),
        ("tel:+4712345678", None, "must be a number"),
        ("sip:", None, "not a valid SIP URI"),
        ("sips:a@127.0.0.1", "udp", "needs --transport tls"),
    ],
)
def test_bad_targets(text: str, transport: str | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        resolve_target(text, CORE, transport)


def test_numbers_and_from() -> None:
    assert number_of("sip:+4799990002@127.0.0.1") == "+4799990002"
    assert number_of("sip:alice@127.0.0.1") is None
    assert sip_from("+4799990002", "127.0.0.1") == "sip:+4799990002@127.0.0.1"
    assert sip_from("sip:alice@example.com", "127.0.0.1") == "sip:alice@example.com"
    with pytest.raises(ValueError):
        sip_from("alice", "127.0.0.1")
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("10.1.1.1")


def test_generated_audio_sources() -> None:
    for spec in ("speech", "silence", "tone:1000"):
        pcm = audio_source(spec)
        assert len(pcm) == 2 * 2 * RATE  # two seconds of 8 kHz PCM16
    assert not any(audio_source("silence"))
    with pytest.raises(ValueError, match="20-3900 Hz"):
        audio_source("tone:5000")


def test_a_stereo_16k_wav_becomes_8k_mono(tmp_path: Path) -> None:
    t = np.arange(16000) / 16000
    mono = (8000 * np.sin(2 * np.pi * 500 * t)).astype("<i2")
    stereo = np.repeat(mono, 2)
    path = tmp_path / "in.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(stereo.tobytes())
    pcm = np.frombuffer(audio_source(str(path)), dtype="<i2")
    assert len(pcm) == RATE
    assert np.max(np.abs(pcm)) == pytest.approx(8000, rel=0.02)


def test_missing_or_broken_wav(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        audio_source(str(tmp_path / "nope.wav"))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    with pytest.raises(ValueError, match="not a RIFF"):
        audio_source(str(bad))
