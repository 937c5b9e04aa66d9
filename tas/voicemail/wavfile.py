"""Just enough RIFF/WAVE for the store: probe a header, write a file durably.

The store only needs the format and the length of what the recorder wrote (PCM16 or G.711
A-law/µ-law WAV, format tags 1/6/7), so this reads the ``fmt `` and ``data`` chunk headers
(:func:`media.wav.parse_wav_header`, the one RIFF walker) and never the samples. Durable write = temp file, fsync, ``os.replace``, fsync of the directory (POSIX
rename atomicity; the directory fsync makes the rename itself survive a power cut).
"""

from __future__ import annotations

import io
import os
import wave
from dataclasses import dataclass
from pathlib import Path

from media.errors import WavError
from media.wav import parse_wav_header
from tas.voicemail.errors import InvalidAudio

__all__ = ["WavInfo", "fsync_dir", "pcm16_wav", "probe_wav", "temp_path", "write_durably"]

_FORMATS = {1: "pcm16", 6: "alaw", 7: "ulaw"}
_HEADER_PROBE = 4096


@dataclass(frozen=True, slots=True)
class WavInfo:
    """What a WAV header says: format tag, rate, channels, bits, data bytes, seconds."""

    format: int
    rate: int
    channels: int
    bits: int
    data_size: int

    @property
    def duration(self) -> float:
        return self.data_size / (self.rate * self.channels * self.bits // 8)

    @property
    def codec(self) -> str:
        return _FORMATS[self.format]


def probe_wav(source: Path | bytes) -> WavInfo:
    """Read the chunk headers of a WAV file or bytes; :class:`InvalidAudio` says what is wrong."""
    if isinstance(source, bytes):
        head, total = source[:_HEADER_PROBE], len(source)
    else:
        try:
            with open(source, "rb") as file:
                head, total = file.read(_HEADER_PROBE), os.fstat(file.fileno()).st_size
        except OSError as exc:
            raise InvalidAudio(f"cannot read {source}: {exc.strerror}") from exc
    try:
        header = parse_wav_header(head, total)
    except WavError as exc:
        raise InvalidAudio(str(exc)) from None
    return WavInfo(header.format, header.rate, header.channels, header.bits, header.data_size)


def pcm16_wav(pcm: bytes, rate: int = 8000) -> bytes:
    """Mono 16-bit PCM samples wrapped in a WAV container."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return out.getvalue()


def temp_path(path: Path) -> Path:
    """Where a file is written before it is renamed to ``path`` (hidden, ends in ``.part``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old state or all of it, never part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    try:
        with open(temp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
