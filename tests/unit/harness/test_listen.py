"""Tone segments and beeps in what the caller hears (Goertzel, media.tones)."""

from __future__ import annotations

import pytest

from media import tones
from media.tones import speech_like
from tas.harness.listen import ToneDetector, is_beep
from tas.voicemail.greetings import beep


def hear(pcm: bytes, packet: int = 320) -> ToneDetector:
    detector = ToneDetector()
    for i in range(0, len(pcm), packet):
        detector.feed(pcm[i : i + packet], 10.0 + i / 16000)
    detector.flush(10.0 + len(pcm) / 16000)
    return detector


def test_the_voicemail_beep_after_speech_is_one_beep_at_its_time() -> None:
    heard = hear(speech_like(1.0) + beep() + bytes(4000))
    beeps = [t for t in heard.tones if is_beep(t)]
    assert len(beeps) == 1
    assert beeps[0].frequency == pytest.approx(1000, abs=5)
    assert beeps[0].duration == pytest.approx(0.4, abs=0.05)
    assert beeps[0].start == pytest.approx(11.0, abs=0.05)


def test_a_continuous_tone_is_a_tone_not_a_beep() -> None:
    heard = hear(tones.tone([440.0], 3.0))
    assert len(heard.tones) == 1
    assert heard.tones[0].frequency == pytest.approx(440, abs=5)
    assert not is_beep(heard.tones[0])


def test_cadenced_busy_tone_gives_one_segment_per_burst() -> None:
    heard = hear(tones.busy(2.0))
    assert [round(t.duration, 2) for t in heard.tones] == [0.48, 0.48]
    assert all(t.frequency == pytest.approx(425, abs=5) for t in heard.tones)


def test_speech_silence_and_quiet_tones_are_not_tones() -> None:
    assert hear(speech_like(3.0)).tones == []
    assert hear(bytes(16000)).tones == []
    quiet = (tones.tone([1000.0], 1.0, level=0.005),)
    assert hear(quiet[0]).tones == []


def test_a_tone_cut_by_the_end_of_the_call_is_not_a_beep() -> None:
    heard = hear(speech_like(0.5) + tones.tone([440.0], 0.6))
    assert len(heard.tones) == 1
    assert not heard.tones[0].complete and not is_beep(heard.tones[0])


def test_a_beep_then_no_more_rtp_is_a_complete_beep() -> None:
    detector = ToneDetector()
    pcm = speech_like(0.4) + beep()
    for i in range(0, len(pcm), 320):
        detector.feed(pcm[i : i + 320], i / 16000)
    assert detector.silence(0.85) == []  # not long enough without audio yet
    (tone,) = detector.silence(1.0)
    assert tone.complete and is_beep(tone) and tone.frequency == pytest.approx(1000, abs=5)
    assert detector.flush(5.0) == []


def test_a_blip_shorter_than_80_ms_is_ignored() -> None:
    assert hear(bytes(3200) + tones.tone([1000.0], 0.04) + bytes(3200)).tones == []
