"""Test signals for the phones (sox) and the correlation used to compare what was heard."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from media.wav import read_wav

__all__ = ["best_correlation", "make_signal", "pcm16_of", "signal_part"]

RATE = 8000


def make_signal(
    path: Path, seconds: float = 3.0, *, lead: float = 0.0, tail: float = 0.0, down: bool = False
) -> Path:
    """A 8 kHz mono PCM16 WAV made by sox: ``lead`` s of silence, a ``seconds`` long sine sweep
    (300-3000 Hz, or down from 3000 Hz) with a slow tremolo (never periodic, so the lag search
    has one clear peak), then ``tail`` s of silence."""
    sweep = "3000-300" if down else "300-3000"
    cmd = [
        "timeout", "20", "sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path),
        "synth", f"{seconds}", "sine", sweep, "vol", "0.5", "tremolo", "0.7", "40",
        "pad", f"{lead}", f"{tail}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)
    return path


def signal_part(path: Path, lead: float, seconds: float) -> bytes:
    """The PCM16 of the sweep inside a :func:`make_signal` file (without its silences)."""
    pcm = pcm16_of(path)
    return pcm[2 * round(lead * RATE) : 2 * round((lead + seconds) * RATE)]


def pcm16_of(path: Path) -> bytes:
    """The 8 kHz mono PCM16 samples of a WAV (first channel; resampled when needed)."""
    from tas.harness.audio import audio_source

    audio = read_wav(path)
    if audio.rate == RATE and audio.channels == 1:
        return audio.pcm16()
    return audio_source(str(path))


def best_correlation(heard: bytes, sent: bytes) -> float:
    """Peak normalised cross-correlation of ``sent`` inside ``heard`` (PCM16), lag searched
    over the whole recording. A recording longer than the signal (silence, other prompts)
    costs nothing; one holding only part of the signal is scaled by the share it holds."""
    a = np.frombuffer(heard, "<i2").astype(np.float64)
    b = np.frombuffer(sent, "<i2").astype(np.float64)
    if not len(a) or not len(b):
        return 0.0
    size = 1 << (len(a) + len(b) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(np.argmax(corr))
    shift = lag if lag < size // 2 else lag - size
    if shift >= 0:
        seg_a, seg_b = a[shift : shift + len(b)], b[: max(0, len(a) - shift)]
    else:
        seg_a, seg_b = a[: len(b) + shift], b[-shift : -shift + len(a)]
    m = min(len(seg_a), len(seg_b))
    seg_a, seg_b = seg_a[:m], seg_b[:m]
    denom = float(np.sqrt(np.dot(seg_a, seg_a) * np.dot(seg_b, seg_b)))
    if not denom:
        return 0.0
    return float(np.dot(seg_a, seg_b)) / denom * min(1.0, m / len(b))
