"""Make a greeting from any common audio file: decode, convert, validate.

One rule for every way a greeting arrives (``tas voicemail greeting set`` today, a greeting
recorded by phone later): :func:`prepare_greeting` decodes the bytes with PyAV (FFmpeg: WAV,
MP3, OGG/Opus/Vorbis, FLAC, M4A/AAC, …), resamples to 8 kHz mono signed 16-bit PCM and refuses,
with :class:`~tas.voicemail.errors.InvalidAudio` naming the source, audio that is unreadable,
shorter than :data:`MIN_SECONDS`, longer than :data:`MAX_SECONDS` or silent (peak RMS of every
20 ms frame below :data:`SILENCE_DBFS`).
"""

from __future__ import annotations

import io
import math

import numpy as np

from tas.voicemail.errors import InvalidAudio
from tas.voicemail.wavfile import pcm16_wav

__all__ = ["MAX_SECONDS", "MIN_SECONDS", "SILENCE_DBFS", "prepare_greeting"]

GREETING_RATE = 8000
MIN_SECONDS = 1.0
MAX_SECONDS = 60.0
#: The loudest 20 ms frame must reach this level (dB full scale), else the greeting is "silent".
SILENCE_DBFS = -45.0
_FRAME = GREETING_RATE // 50


def prepare_greeting(
    data: bytes,
    name: str,
    *,
    min_seconds: float = MIN_SECONDS,
    max_seconds: float = MAX_SECONDS,
) -> bytes:
    """The greeting in ``data`` (a file called ``name``) as an 8 kHz mono PCM16 WAV."""
    samples = _decode(data, name, limit=int((max_seconds + 1) * GREETING_RATE))
    seconds = len(samples) / GREETING_RATE
    if seconds < min_seconds:
        raise InvalidAudio(f"{name}: greeting is {seconds:.2f} s, shorter than {min_seconds:g} s")
    if seconds > max_seconds:
        raise InvalidAudio(f"{name}: greeting is longer than {max_seconds:g} s")
    level = loudest_frame_dbfs(samples)
    if level < SILENCE_DBFS:
        raise InvalidAudio(
            f"{name}: greeting is silent (loudest 20 ms at {level:.0f} dBFS, "
            f"below {SILENCE_DBFS:.0f} dBFS)"
        )
    return pcm16_wav(samples.astype("<i2").tobytes(), GREETING_RATE)


def loudest_frame_dbfs(samples: np.ndarray) -> float:
    """RMS level of the loudest 20 ms frame, in dB relative to full scale (-inf for zeros)."""
    usable = len(samples) - len(samples) % _FRAME
    if usable == 0:
        return -math.inf
    frames = samples[:usable].astype(np.float64).reshape(-1, _FRAME) / 32768.0
    peak = float(np.sqrt((frames**2).mean(axis=1)).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def _decode(data: bytes, name: str, *, limit: int) -> np.ndarray:
    """All audio of ``data`` as int16 samples at 8 kHz mono (at most ``limit`` samples)."""
    import av

    if not data:
        raise InvalidAudio(f"{name}: file is empty")
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise InvalidAudio(f"{name}: no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=GREETING_RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += out.samples
                if total > limit:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1))
    except InvalidAudio:
        raise
    except (av.FFmpegError, ValueError, EOFError) as exc:
        raise InvalidAudio(f"{name}: not a readable audio file ({exc})") from exc
    if not chunks:
        raise InvalidAudio(f"{name}: no audio in the file")
    return np.concatenate(chunks).astype(np.int16)
