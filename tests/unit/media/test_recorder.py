from pathlib import Path

import numpy as np
import pytest

from media.codecs import PCMA, PCMU
from media.recorder import Recorder
from media.rtp import RtpPacket
from media.tones import tone
from media.wav import FORMAT_ALAW, FORMAT_PCM, WavWriter, read_wav

LOUD = PCMA.encode(tone([440.0], 0.02, level=0.5))
QUIET = bytes([PCMA.silence_octet]) * 160


def pkt(ts: int, payload: bytes = LOUD, ssrc: int = 1) -> RtpPacket:
    return RtpPacket(8, 0, ts, ssrc, payload)


def test_gaps_are_filled_and_samples_decoded(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA)
    assert rec.feed(pkt(1000)) is None
    assert rec.feed(pkt(1000 + 480)) is None  # two frames lost
    result = rec.finish("closed")
    assert result.path == tmp_path / "r.wav" and result.reason == "closed"
    audio = read_wav(result.path)
    assert audio.duration == pytest.approx(0.08)
    pcm = np.frombuffer(audio.data, "<i2")
    assert np.all(pcm[160:480] == 0)
    assert audio.data[:320] == PCMA.decode(LOUD)


def test_new_ssrc_or_huge_jump_is_not_filled(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA)
    rec.feed(pkt(0))
    rec.feed(pkt(90000, ssrc=2))
    rec.feed(pkt(90000 + 160 + 8000 * 60, ssrc=2))
    assert rec.duration == pytest.approx(0.06)


def test_max_duration_truncates_exactly(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav", FORMAT_ALAW), PCMA, max_duration=0.05)
    assert rec.feed(pkt(0)) is None
    assert rec.feed(pkt(160)) is None
    assert rec.feed(pkt(320)) == "max_duration"
    result = rec.finish("max_duration")
    assert result.path is not None and len(read_wav(result.path).data) == 400


def test_silence_timeout_counts_quiet_audio_and_gaps(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA, silence_timeout=0.1)
    rec.feed(pkt(0))
    assert rec.feed(pkt(160, QUIET)) is None
    assert rec.feed(pkt(320 + 320, QUIET)) is None  # 2 lost frames count as silence: 0.08 s
    assert rec.feed(pkt(800, QUIET)) == "silence"


def test_min_duration_discards(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA, min_duration=1.0)
    rec.feed(pkt(0))
    result = rec.finish("closed")
    assert result.path is None and not result.kept and result.duration == 0.02
    assert list(tmp_path.iterdir()) == []


def test_empty_recording_is_discarded_and_wrong_format_refused(tmp_path: Path) -> None:
    assert Recorder(WavWriter(tmp_path / "a.wav"), PCMU).finish("closed").path is None
    with pytest.raises(ValueError, match="cannot be stored"):
        Recorder(WavWriter(tmp_path / "b.wav", FORMAT_ALAW), PCMU)
    assert Recorder(WavWriter(tmp_path / "c.wav", FORMAT_PCM), PCMU).abort().reason == "aborted"


def test_decoded_pcm_goes_through_the_same_limits(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "p.wav", FORMAT_ALAW), PCMA, max_duration=0.03)
    pcm = tone([440.0], 0.02, level=0.5)
    assert rec.feed_pcm(pcm, 0) is None
    assert rec.feed_pcm(pcm, 160) == "max_duration"
    result = rec.finish("max_duration")
    assert result.path is not None
    assert read_wav(result.path).data == PCMA.encode(pcm) + PCMA.encode(pcm)[:80]


def test_codec_switch_mid_call(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "s.wav"), PCMA)
    rec.feed(pkt(0))
    assert rec.switch_codec(PCMU)
    ulaw = PCMU.encode(tone([440.0], 0.02, level=0.5))
    rec.feed(RtpPacket(0, 1, 160, 1, ulaw))
    result = rec.finish("closed")
    assert result.path is not None
    assert read_wav(result.path).data[320:] == PCMU.decode(ulaw) != PCMA.decode(ulaw)
    raw = Recorder(WavWriter(tmp_path / "raw.wav", FORMAT_ALAW), PCMA)
    assert not raw.switch_codec(PCMU) and raw.switch_codec(PCMA)


def test_a_hold_keeps_wall_clock_time(tmp_path: Path) -> None:
    """Issue 11: a 3 s hold was missing from the message."""
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA)
    for i in range(50):  # 1 s of audio, packets 20 ms apart
        rec.feed(pkt(160 * i), arrival=10.0 + 0.02 * i)
    # 3 s on hold, then the peer resumes with a restarted RTP clock (new base, same SSRC)
    for i in range(50):
        rec.feed(pkt(7_000_000 + 160 * i), arrival=10.98 + 3.0 + 0.02 * (i + 1))
    assert rec.duration == pytest.approx(5.0, abs=0.001)


def test_a_hold_with_running_timestamps_is_not_filled_twice(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA)
    rec.feed(pkt(0), arrival=0.0)
    rec.feed(pkt(160 + 8000), arrival=1.02)  # 1 s gap, timestamps say the same
    assert rec.duration == pytest.approx(1.04, abs=0.001)


def test_jitter_is_not_a_pause(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA)
    arrivals = [0.0, 0.02, 0.2, 0.2, 0.2, 0.21, 0.22]  # a 160 ms burst: timestamps rule
    for i, at in enumerate(arrivals):
        rec.feed(pkt(160 * i), arrival=at)
    assert rec.duration == pytest.approx(0.14)


def test_catch_up_fills_the_time_since_the_last_packet(tmp_path: Path) -> None:
    rec = Recorder(WavWriter(tmp_path / "r.wav"), PCMA, max_duration=2.0)
    rec.feed(pkt(0), arrival=5.0)
    assert rec.catch_up(5.3) is None and rec.duration == pytest.approx(0.02)  # not a pause
    assert rec.catch_up(6.0) is None and rec.duration == pytest.approx(1.0)
    assert rec.catch_up(9.0) == "max_duration" and rec.duration == pytest.approx(2.0)
