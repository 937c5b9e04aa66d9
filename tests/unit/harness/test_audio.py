"""What the harness plays: generated speech, tone and silence, or a WAV turned into 8 kHz mono."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from tas.harness.audio import RATE, audio_source


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
