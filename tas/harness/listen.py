"""What the caller hears (pure): tone segments found with Goertzel (:mod:`media.tones`).

The received audio is cut in 40 ms blocks; a block is *tonal* when it is loud enough and one
frequency holds most of its energy (:func:`~media.tones.tone_ratio`, a Goertzel bin at the
block's :func:`~media.tones.dominant_frequency`). Consecutive tonal blocks at the same
frequency make a :class:`Tone`; a beep is a tone of 80 ms to 1.5 s in the telephone band
(a voicemail "record after the tone" beep is 1 kHz for 400 ms, ITU-T E.180 style tones are
continuous or cadenced).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from media.tones import dominant_frequency, tone_ratio

__all__ = ["BEEP_MAX", "BEEP_MIN", "Tone", "ToneDetector", "is_beep"]

RATE = 8000
BLOCK = 320  # samples: 40 ms
MIN_BLOCKS = 2  # 80 ms
MIN_DBFS = -40.0
MIN_RATIO = 0.7
BEEP_MIN, BEEP_MAX = 0.08, 1.5
BAND = (300.0, 3400.0)
GAP = 0.15  # seconds without audio that end a tone (the far end stopped sending)


@dataclass(frozen=True, slots=True)
class Tone:
    """A steady tone: ``frequency`` Hz from ``start`` for ``duration`` seconds (call time)."""

    frequency: float
    start: float
    duration: float
    level_dbfs: float
    complete: bool = True  # False: still sounding when the call ended (length unknown)

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "frequency": round(self.frequency, 1),
            "start": round(self.start, 3),
            "duration": round(self.duration, 3),
            "level_dbfs": round(self.level_dbfs, 1),
            "complete": self.complete,
            "beep": is_beep(self),
        }


def is_beep(tone: Tone) -> bool:
    """A complete tone of beep length in the telephone band."""
    return (
        tone.complete
        and BEEP_MIN <= tone.duration <= BEEP_MAX
        and BAND[0] <= tone.frequency <= BAND[1]
    )


class ToneDetector:
    """Feed PCM16 (8 kHz) as it arrives; :attr:`tones` holds every finished tone."""

    def __init__(self) -> None:
        self.tones: list[Tone] = []
        self.samples = 0  # fed so far
        self._origin: float | None = None
        self._pending = b""
        self._run: list[tuple[float, float]] = []  # (frequency, dBFS) per tonal block
        self._run_start = 0
        self._last_at: float | None = None

    def feed(self, pcm: bytes, at: float) -> list[Tone]:
        """Add audio received at call time ``at``; returns the tones that ended in it."""
        if self._origin is None:
            self._origin = at
        found = self.silence(at)
        self._last_at = at
        self._pending += pcm
        while len(self._pending) >= 2 * BLOCK:
            block, self._pending = self._pending[: 2 * BLOCK], self._pending[2 * BLOCK :]
            tone = self._block(block)
            if tone is not None:
                found.append(tone)
            self.samples += BLOCK
        return found

    def silence(self, at: float) -> list[Tone]:
        """Call time ``at`` with no audio since the last feed: after :data:`GAP` a tone
        still open has ended (RTP stopped, e.g. a voicemail beep before the recording)."""
        if self._last_at is None or at - self._last_at < GAP:
            return []
        tone = self._close()
        self._pending = b""
        return [tone] if tone is not None else []

    def flush(self, at: float) -> list[Tone]:
        """End of the call at ``at``: a tone still sounding is closed, marked incomplete."""
        found = self.silence(at)
        tone = self._close(complete=False)
        return found + ([tone] if tone is not None else [])

    def _block(self, block: bytes) -> Tone | None:
        samples = np.frombuffer(block, dtype="<i2").astype(np.float64) / 32767
        power = float(np.mean(samples * samples))
        level = 10 * math.log10(power) if power > 0 else -200.0
        frequency = dominant_frequency(block, RATE) if level >= MIN_DBFS else 0.0
        tonal = frequency > 0 and tone_ratio(block, frequency, RATE) >= MIN_RATIO
        if tonal and self._run:
            reference = sum(f for f, _ in self._run) / len(self._run)
            if abs(frequency - reference) <= max(20.0, 0.03 * reference):
                self._run.append((frequency, level))
                return None
        ended = self._close()
        if tonal:
            self._run = [(frequency, level)]
            self._run_start = self.samples
        return ended

    def _close(self, complete: bool = True) -> Tone | None:
        run, self._run = self._run, []
        if len(run) < MIN_BLOCKS:
            return None
        origin = self._origin or 0.0
        tone = Tone(
            frequency=sum(f for f, _ in run) / len(run),
            start=origin + self._run_start / RATE,
            duration=len(run) * BLOCK / RATE,
            level_dbfs=max(level for _, level in run),
            complete=complete,
        )
        self.tones.append(tone)
        return tone
