"""What the harness plays (pure): ``speech`` (a voice-like signal), ``tone:HZ``, ``silence`` or
a WAV file (any rate and channel count, turned into 8 kHz mono PCM16 for G.711)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from media.errors import MediaError
from media.tones import speech_like, tone
from media.wav import read_wav

__all__ = ["RATE", "audio_source"]

RATE = 8000
LOOP = 2.0  # seconds of generated signal, played in a loop


def audio_source(spec: str) -> bytes:
    """PCM16 8 kHz mono for ``--play``; ValueError with the reason otherwise."""
    text = spec.strip()
    if text == "speech":
        return speech_like(LOOP)
    if text == "silence":
        return bytes(2 * round(LOOP * RATE))
    if text.startswith("tone:"):
        try:
            hz = float(text[5:])
        except ValueError:
            raise ValueError(f"--play tone:HZ needs a frequency, not {text!r}") from None
        if not 20 <= hz <= 3900:
            raise ValueError("--play tone:HZ must be within 20-3900 Hz (8 kHz sampling)")
        return tone([hz], LOOP)
    path = Path(text)
    if not path.is_file():
        raise ValueError(f"--play: no such file {text!r} (or speech, silence, tone:HZ)")
    try:
        audio = read_wav(path)
    except (MediaError, OSError) as exc:
        raise ValueError(f"--play {text}: {exc}") from None
    samples = np.frombuffer(audio.pcm16(), dtype="<i2").astype(np.float64)
    if audio.channels > 1:
        samples = samples[: len(samples) - len(samples) % audio.channels]
        samples = samples.reshape(-1, audio.channels).mean(axis=1)
    if audio.rate != RATE and len(samples):
        count = max(1, round(len(samples) * RATE / audio.rate))
        samples = np.interp(np.arange(count) * audio.rate / RATE, np.arange(len(samples)), samples)
    if not len(samples):
        raise ValueError(f"--play {text}: the file holds no audio")
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
