"""Greeting conversion and checks (tas.voicemail.greeting_audio) on generated audio."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tas.voicemail.errors import InvalidAudio
from tas.voicemail.greeting_audio import loudest_frame_dbfs, prepare_greeting
from tas.voicemail.wavfile import pcm16_wav, probe_wav


def tone(seconds: float, rate: int = 8000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_level_of_the_loudest_frame() -> None:
    assert loudest_frame_dbfs(np.zeros(800, np.int16)) == -math.inf
    assert loudest_frame_dbfs(tone(1.0)) == pytest.approx(
        20 * math.log10(0.5 / math.sqrt(2)), abs=0.1
    )
    assert loudest_frame_dbfs(np.zeros(10, np.int16)) == -math.inf  # shorter than a frame


def test_a_16_khz_wav_becomes_8_khz_of_the_same_length() -> None:
    wav = pcm16_wav(tone(2.0, rate=16000).tobytes(), 16000)
    info = probe_wav(prepare_greeting(wav, "g.wav"))
    assert (info.rate, info.channels, info.bits) == (8000, 1, 16)
    assert info.duration == pytest.approx(2.0, abs=0.05)


def test_bounds_are_configurable_and_errors_name_the_file() -> None:
    wav = pcm16_wav(tone(3.0).tobytes())
    with pytest.raises(InvalidAudio, match=r"^short\.wav: greeting is longer than 2 s"):
        prepare_greeting(wav, "short.wav", max_seconds=2.0)
    with pytest.raises(InvalidAudio, match=r"^x\.wav: greeting is 3\.00 s, shorter than 4 s"):
        prepare_greeting(wav, "x.wav", min_seconds=4.0)
    quiet = pcm16_wav(tone(2.0, amplitude=0.001).tobytes())
    with pytest.raises(InvalidAudio, match="silent"):
        prepare_greeting(quiet, "quiet.wav")
