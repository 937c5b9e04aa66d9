"""Silence detection (media.silence): RMS level and the detector."""

import pytest

from media.silence import SilenceDetector, rms
from media.tones import beep, tone


def test_silence_detector() -> None:
    det = SilenceDetector(threshold_dbfs=-40)
    assert det.feed(bytes(320))
    assert det.silent_for == pytest.approx(0.02)
    assert not det.feed(beep(duration=0.02)) and det.heard_voice
    assert det.silent_for == 0.0
    det.feed_gap(800)
    assert det.silent_for == pytest.approx(0.1)
    assert rms(tone([1000.0], 0.1, level=0.5)) == pytest.approx(32767 * 0.5 / 2**0.5, rel=0.01)
