"""CallCapture: the digits and the one recording of a leg, shared by both kinds of leg."""

import asyncio
from pathlib import Path

import pytest

from media.capture import CallCapture
from media.codecs import PCMU
from media.dtmf import DtmfDigit
from media.errors import MediaError
from media.rtp import RtpPacket
from media.wav import FORMAT_PCM, read_wav


def key(digit: str) -> DtmfDigit:
    return DtmfDigit(digit, 0.1, 0, 10)


def start(capture: CallCapture, path: Path) -> None:
    capture.record(
        path,
        PCMU,
        max_duration=None,
        min_duration=0.0,
        silence_timeout=None,
        wav_format=FORMAT_PCM,
        silence_threshold_dbfs=-45.0,
    )


async def test_digits_are_queued_and_told_even_when_the_handler_fails() -> None:
    capture = CallCapture(asyncio.get_running_loop(), None)
    told: list[str] = []

    def handler(digit: DtmfDigit) -> None:
        told.append(digit.digit)
        raise RuntimeError("a broken handler loses no digit")

    capture.on_dtmf = handler
    for digit in "12#9":
        capture.digit(key(digit))
    assert told == ["1", "2", "#", "9"]
    assert await capture.read_digits(5) == "12"  # the terminator ends it, not included
    assert await capture.read_digits(1) == "9"


async def test_one_recording_at_a_time_and_close_finishes_it(tmp_path: Path) -> None:
    capture = CallCapture(asyncio.get_running_loop(), None)
    assert await capture.finish() is None  # nothing to finish
    start(capture, tmp_path / "a.wav")
    with pytest.raises(MediaError, match="already recording"):
        start(capture, tmp_path / "b.wav")
    now = asyncio.get_running_loop().time()  # packets arrive on the loop's clock
    capture.feed([RtpPacket(0, n, n * 160, 1, b"\xff" * 160) for n in range(10)], now)
    result = await capture.finish()
    assert result is not None and result.reason == "closed" and result.path is not None
    assert len(read_wav(result.path).pcm16()) == 2 * 1600  # ten 20 ms packets
    assert capture.recording is None
    start(capture, tmp_path / "b.wav")  # the slot is free again
    assert capture.recording is not None
    assert (await capture.finish()) is not None
