"""Export recordings to Opus in an Ogg container (RFC 7845) through PyAV (libopus).

An 8 kHz mono voicemail of one minute is about 60 KB as Opus at 8 kbit/s, against 480 KB
as 8 kHz 16-bit WAV. Written to a temporary name and renamed into place, like recordings.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from media.errors import MediaError
from media.wav import read_wav

__all__ = ["export_opus"]

_FRAME = 960  # 20 ms at 48 kHz; libopus frames are 2.5 to 60 ms


def export_opus(
    source: str | os.PathLike[str], target: str | os.PathLike[str], bitrate: int = 16000
) -> Path:
    """Encode a mono WAV (PCM16 or G.711, any Opus rate: 8/12/16/24/48 kHz) to ``.opus``."""
    audio = read_wav(source)
    if audio.channels != 1:
        raise MediaError(f"only mono recordings are exported, got {audio.channels} channels")
    if audio.rate not in (8000, 12000, 16000, 24000, 48000):
        raise MediaError(f"Opus cannot take {audio.rate} Hz input")
    samples = np.frombuffer(audio.pcm16(), dtype="<i2")
    final = Path(target)
    temp = final.with_name(f".{final.name}.{os.getpid()}.part")
    try:
        with av.open(str(temp), "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=audio.rate)
            stream.bit_rate = bitrate
            stream.layout = "mono"
            step = _FRAME * audio.rate // 48000
            for start in range(0, len(samples), step):
                chunk = samples[start : start + step]
                frame = av.AudioFrame.from_ndarray(
                    chunk.reshape(1, -1), format="s16", layout="mono"
                )
                frame.sample_rate = audio.rate
                frame.pts = start
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    except (av.FFmpegError, ValueError) as exc:
        temp.unlink(missing_ok=True)
        raise MediaError(f"Opus export of {source} failed: {exc}") from exc
    os.replace(temp, final)
    return final
