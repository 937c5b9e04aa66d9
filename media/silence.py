"""Energy-based silence detection for recordings (voicemail silence timeout)."""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["SilenceDetector", "rms"]

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    def rms(pcm: bytes) -> int:
        """Root-mean-square level of 16-bit PCM (0..32767)."""
        return int(audioop.rms(pcm, 2))

except ImportError:  # pragma: no cover - Python 3.13+ without audioop-lts

    def rms(pcm: bytes) -> int:
        """Root-mean-square level of 16-bit PCM (0..32767)."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        return int(math.sqrt(float(np.mean(samples * samples)))) if len(samples) else 0


class SilenceDetector:
    """Counts consecutive silent samples; a frame is silent when its RMS level is below
    ``threshold_dbfs`` (dB relative to full scale). No clock: time is samples fed."""

    __slots__ = ("rate", "silent_samples", "threshold", "heard_voice")

    def __init__(self, threshold_dbfs: float = -45.0, rate: int = 8000) -> None:
        self.rate = rate
        self.threshold = 32767 * 10 ** (threshold_dbfs / 20)
        self.silent_samples = 0
        self.heard_voice = False

    def feed(self, pcm: bytes) -> bool:
        """Feed one frame of PCM16; returns True if it is silent."""
        if rms(pcm) < self.threshold:
            self.silent_samples += len(pcm) // 2
            return True
        self.silent_samples = 0
        self.heard_voice = True
        return False

    def feed_gap(self, samples: int) -> None:
        """Count missing audio (lost packets, DTX) as silence."""
        self.silent_samples += samples

    @property
    def silent_for(self) -> float:
        """Seconds of silence since the last loud frame."""
        return self.silent_samples / self.rate
