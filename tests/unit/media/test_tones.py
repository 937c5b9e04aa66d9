"""Signal generators and tone detection (media.tones)."""

import numpy as np
import pytest

from media.tones import beep, busy, dominant_frequency, goertzel_power, ringback, tone, tone_ratio


def test_beep_frequency_and_length() -> None:
    pcm = beep(1000.0, 0.25)
    assert len(pcm) == 2 * 2000
    assert dominant_frequency(pcm) == pytest.approx(1000.0, abs=2)
    assert tone_ratio(pcm, 1000.0) > 0.95
    assert tone_ratio(pcm, 1400.0) < 0.01


def test_goertzel_scale() -> None:
    pcm = tone([697.0], 0.1, level=1.0)
    assert goertzel_power(pcm, 697.0) == pytest.approx(0.25, rel=0.02)
    assert goertzel_power(b"", 697.0) == 0.0


def test_ringback_and_busy_cadences() -> None:
    ring = np.frombuffer(ringback(5.0), "<i2")
    assert len(ring) == 40000
    assert np.abs(ring[:8000]).max() > 1000 and np.abs(ring[8000:]).max() == 0
    assert dominant_frequency(ring[:8000].tobytes()) == pytest.approx(425, abs=2)
    us = ringback(6.0, "us")
    assert tone_ratio(us[: 2 * 16000], 440) > 0.4 and tone_ratio(us[: 2 * 16000], 480) > 0.4
    b = np.frombuffer(busy(2.0), "<i2")
    on = [bool(np.abs(b[i : i + 400]).max()) for i in range(0, 16000, 4000)]
    assert on == [True, False, True, False]
    assert tone_ratio(busy(1.0, "us")[:8000], 620) > 0.4


def test_tone_ratio_of_silence_is_zero() -> None:
    assert tone_ratio(bytes(320), 1000) == 0.0
    with pytest.raises(ValueError):
        dominant_frequency(b"\0\0")
