"""WAV files: 8 kHz mono 16-bit PCM (format 1) and G.711 A-law (6) / µ-law (7) (RIFF WAVE).

:class:`WavWriter` streams to a temporary file beside the target and renames it into place
on :meth:`~WavWriter.close`, so a reader never sees a half-written recording.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from media.codecs import PCMA, PCMU
from media.errors import WavError

__all__ = [
    "FORMAT_ALAW",
    "FORMAT_PCM",
    "FORMAT_ULAW",
    "WavAudio",
    "WavWriter",
    "read_wav",
    "write_wav",
]

FORMAT_PCM = 1
FORMAT_ALAW = 6
FORMAT_ULAW = 7
_BITS = {FORMAT_PCM: 16, FORMAT_ALAW: 8, FORMAT_ULAW: 8}
_WRITE_BUFFER = 65536


@dataclass(frozen=True, slots=True)
class WavAudio:
    """Contents of a WAV file: format tag, sample rate, channel count and the raw data chunk."""

    format: int
    rate: int
    channels: int
    data: bytes

    @property
    def duration(self) -> float:
        return len(self.data) / (self.rate * self.channels * _BITS[self.format] // 8)

    def pcm16(self) -> bytes:
        """The audio as 16-bit little-endian PCM (decoding G.711)."""
        if self.format == FORMAT_ALAW:
            return PCMA.decode(self.data)
        if self.format == FORMAT_ULAW:
            return PCMU.decode(self.data)
        return self.data


def read_wav(source: str | os.PathLike[str] | bytes) -> WavAudio:
    """Read a WAV file (path or bytes); :class:`WavError` says what is wrong with it."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise WavError(f"fmt chunk of {len(body)} octets, need 16")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise WavError("data chunk before fmt chunk")
            tag, channels, rate, bits = fmt
            if tag not in _BITS or bits != _BITS[tag]:
                raise WavError(f"unsupported WAV format tag {tag} with {bits} bits per sample")
            if len(body) < size:
                raise WavError(f"truncated data chunk: {len(body)} of {size} octets")
            return WavAudio(tag, rate, channels, bytes(body))
        pos += 8 + size + (size & 1)
    raise WavError("no data chunk" if fmt else "no fmt chunk")


def _header(fmt: int, rate: int, data_size: int) -> bytes:
    bits = _BITS[fmt]
    block = bits // 8
    if fmt == FORMAT_PCM:
        fmt_chunk = struct.pack("<4sIHHIIHH", b"fmt ", 16, fmt, 1, rate, rate * block, block, bits)
        extra = b""
    else:  # non-PCM formats carry cbSize and a fact chunk (sample count)
        fmt_chunk = struct.pack(
            "<4sIHHIIHHH", b"fmt ", 18, fmt, 1, rate, rate * block, block, bits, 0
        )
        extra = struct.pack("<4sII", b"fact", 4, data_size // block)
    riff_size = 4 + len(fmt_chunk) + len(extra) + 8 + data_size + (data_size & 1)
    return (
        struct.pack("<4sI4s", b"RIFF", riff_size, b"WAVE")
        + fmt_chunk
        + extra
        + struct.pack("<4sI", b"data", data_size)
    )


class WavWriter:
    """Streaming WAV writer: buffered appends, atomic finish (temp file + rename)."""

    def __init__(
        self, path: str | os.PathLike[str], fmt: int = FORMAT_PCM, rate: int = 8000
    ) -> None:
        if fmt not in _BITS:
            raise WavError(f"cannot write WAV format tag {fmt}")
        self.path = Path(path)
        self.format = fmt
        self.rate = rate
        self.size = 0
        self._temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{id(self):x}.part")
        self._file: BinaryIO | None = open(self._temp, "wb", buffering=_WRITE_BUFFER)
        self._file.write(_header(fmt, rate, 0))

    @property
    def duration(self) -> float:
        """Seconds written so far."""
        return self.size / (self.rate * _BITS[self.format] // 8)

    def write(self, data: bytes) -> None:
        """Append raw data in the writer's format (PCM16 LE or G.711 octets)."""
        if self._file is None:
            raise WavError("write after close")
        self._file.write(data)
        self.size += len(data)

    def close(self) -> Path:
        """Finish the header and rename the file into place; returns the final path."""
        if self._file is None:
            return self.path
        file, self._file = self._file, None
        if self.size & 1:
            file.write(b"\0")
        file.seek(0)
        file.write(_header(self.format, self.rate, self.size))
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the recording: close and delete the temporary file."""
        if self._file is None:
            return
        file, self._file = self._file, None
        file.close()
        self._temp.unlink(missing_ok=True)


def write_wav(
    path: str | os.PathLike[str], data: bytes, fmt: int = FORMAT_PCM, rate: int = 8000
) -> Path:
    """Write a whole WAV file atomically."""
    writer = WavWriter(path, fmt, rate)
    writer.write(data)
    return writer.close()
