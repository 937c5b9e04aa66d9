"""Signal generators (call-progress tones after ITU-T E.180 cadences, a beep, a voice-like test
signal) and tone detection (Goertzel), 16-bit PCM."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "beep",
    "busy",
    "dominant_frequency",
    "goertzel_power",
    "ringback",
    "speech_like",
    "tone",
    "tone_ratio",
]

_FULL_SCALE = 32767


def tone(
    frequencies: Sequence[float], duration: float, rate: int = 8000, level: float = 0.25
) -> bytes:
    """Sum of sines at ``frequencies`` (Hz), ``level`` of full scale in total, as PCM16 LE."""
    n = round(duration * rate)
    t = np.arange(n) / rate
    wave = sum((np.sin(2 * math.pi * f * t) for f in frequencies), start=np.zeros(n))
    scale = level * _FULL_SCALE / max(len(frequencies), 1)
    return np.round(wave * scale).astype("<i2").tobytes()


def _cadence(
    frequencies: Sequence[float], on: float, off: float, duration: float, rate: int
) -> bytes:
    burst = tone(frequencies, on, rate)
    gap = bytes(2 * round(off * rate))
    total = 2 * round(duration * rate)
    cycle = burst + gap
    return (cycle * (total // len(cycle) + 1))[:total]


def beep(frequency: float = 1000.0, duration: float = 0.25, rate: int = 8000) -> bytes:
    """A single beep, e.g. before voicemail recording starts."""
    return tone([frequency], duration, rate)


def ringback(duration: float = 5.0, style: str = "eu", rate: int = 8000) -> bytes:
    """Ringing tone: ``eu`` 425 Hz 1 s on / 4 s off; ``us`` 440+480 Hz 2 s on / 4 s off."""
    if style == "us":
        return _cadence([440.0, 480.0], 2.0, 4.0, duration, rate)
    return _cadence([425.0], 1.0, 4.0, duration, rate)


def busy(duration: float = 3.0, style: str = "eu", rate: int = 8000) -> bytes:
    """Busy tone: ``eu`` 425 Hz 0.5 s on / 0.5 s off; ``us`` 480+620 Hz 0.5 / 0.5 s."""
    if style == "us":
        return _cadence([480.0, 620.0], 0.5, 0.5, duration, rate)
    return _cadence([425.0], 0.5, 0.5, duration, rate)


def speech_like(seconds: float, rate: int = 8000, seed: int = 7) -> bytes:
    """A voice-like test signal (PCM16): a gliding 110-220 Hz buzz with formant-ish harmonics,
    syllable-rate amplitude modulation and a little noise. Generated, reproducible."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    rng = np.random.default_rng(seed)
    pitch = 150 + 40 * np.sin(2 * math.pi * 0.7 * t)
    phase = 2 * math.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 9))
    envelope = 0.55 + 0.45 * np.sin(2 * math.pi * 3.5 * t) ** 2
    signal_ = voice * envelope + 0.05 * rng.standard_normal(n)
    signal_ *= 0.3 * 32767 / np.max(np.abs(signal_))
    return np.round(signal_).astype("<i2").tobytes()


def goertzel_power(pcm: bytes, frequency: float, rate: int = 8000) -> float:
    """Power of ``frequency`` in the block: the single DFT bin a Goertzel filter computes
    (vectorised), normalised so a sine of amplitude A (of full scale) gives A² / 4."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / _FULL_SCALE
    n = len(samples)
    if n == 0:
        return 0.0
    phase = np.exp(-2j * math.pi * frequency / rate * np.arange(n))
    return float(abs(np.dot(samples, phase)) ** 2) / (n * n)


def tone_ratio(pcm: bytes, frequency: float, rate: int = 8000) -> float:
    """Share of the block's energy at ``frequency`` (0..1); a pure tone gives about 1."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / _FULL_SCALE
    energy = float(np.mean(samples * samples)) if len(samples) else 0.0
    if energy == 0.0:
        return 0.0
    return min(1.0, 2 * goertzel_power(pcm, frequency, rate) / energy)


def dominant_frequency(pcm: bytes, rate: int = 8000) -> float:
    """Frequency (Hz) of the strongest spectral peak, with parabolic interpolation."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if len(samples) < 4:
        raise ValueError("need at least 4 samples")
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    k = int(np.argmax(spectrum[1:])) + 1
    shift = 0.0
    if 0 < k < len(spectrum) - 1:
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        denominator = a - 2 * b + c
        shift = 0.5 * (a - c) / denominator if denominator else 0.0
    return float((k + shift) * rate / len(samples))
