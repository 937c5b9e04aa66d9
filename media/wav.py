"""WAV files: 8 kHz mono 16-bit PCM (format 1) and G.711 A-law (6) / µ-law (7) (RIFF WAVE).

:class:`WavWriter` streams to a temporary file beside the target and renames it into place
on :meth:`~WavWriter.close`, so a reader never sees a half-written recording.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from media.codecs import PCMA, PCMU
from media.errors import WavError

__all__ = [
    "FORMAT_ALAW",
    "FORMAT_PCM",
    "FORMAT_ULAW",
    "WavAudio",
    "WavHeader",
    "WavWriter",
    "parse_wav_header",
    "read_wav",
    "write_wav",
]

FORMAT_PCM = 1
FORMAT_ALAW = 6
FORMAT_ULAW = 7
_BITS = {FORMAT_PCM: 16, FORMAT_ALAW: 8, FORMAT_ULAW: 8}
T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class WavHeader:
    """What the chunk headers of a WAV file say: format tag, sample rate, channels, bits per
    sample, and where the data chunk starts and how many octets it holds."""

    format: int
    rate: int
    channels: int
    bits: int
    data_offset: int
    data_size: int

    @property
    def duration(self) -> float:
        return self.data_size / (self.rate * self.channels * self.bits // 8)


def parse_wav_header(head: bytes, total: int | None = None) -> WavHeader:
    """Walk the RIFF chunks of ``head`` (a file's first octets; ``total`` is the file's size,
    default ``len(head)``) up to the data chunk, reading no samples. :class:`WavError` says
    what is wrong: not RIFF/WAVE, no or a short ``fmt `` chunk, an unsupported format, a
    truncated or missing data chunk."""
    total = len(head) if total is None else total
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    while pos + 8 <= len(head):
        chunk_id, size = struct.unpack_from("<4sI", head, pos)
        body = pos + 8
        if chunk_id == b"fmt ":
            got = min(size, len(head) - body)
            if got < 16:
                raise WavError(f"fmt chunk of {got} octets, need 16")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, body)
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise WavError("data chunk before fmt chunk")
            tag, channels, rate, bits = fmt
            if tag not in _BITS or bits != _BITS[tag] or channels < 1 or rate < 1:
                raise WavError(f"unsupported WAV format tag {tag} with {bits} bits per sample")
            if body + size > total:
                raise WavError(f"truncated data chunk: {total - body} of {size} octets")
            return WavHeader(tag, rate, channels, bits, body, size)
        pos = body + size + (size & 1)
    raise WavError("no data chunk" if fmt else "no fmt chunk and no data chunk")


def read_wav(source: str | os.PathLike[str] | bytes) -> WavAudio:
    """Read a WAV file (path or bytes); :class:`WavError` says what is wrong with it."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    header = parse_wav_header(data)
    end = header.data_offset + header.data_size
    return WavAudio(header.format, header.rate, header.channels, data[header.data_offset : end])


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
    """Streaming WAV writer: appends collect in memory and go to disk in ``CHUNK`` pieces,
    then an atomic finish (temp file + fsync + rename).

    With an ``executor`` (one worker thread, shared by all recordings) the disk writes, the
    fsync and the rename happen off the event loop, in submission order; :meth:`close_future`
    then returns at once and :meth:`close` waits. Without one everything is synchronous.
    """

    CHUNK = 32768

    def __init__(
        self,
        path: str | os.PathLike[str],
        fmt: int = FORMAT_PCM,
        rate: int = 8000,
        executor: Executor | None = None,
    ) -> None:
        if fmt not in _BITS:
            raise WavError(f"cannot write WAV format tag {fmt}")
        self.path = Path(path)
        self.format = fmt
        self.rate = rate
        self.size = 0
        self._executor = executor
        self._buffer = bytearray()
        self._error: OSError | None = None
        self._temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{id(self):x}.part")
        self._file: BinaryIO | None = open(self._temp, "wb")
        self._file.write(_header(fmt, rate, 0))

    @property
    def duration(self) -> float:
        """Seconds written so far."""
        return self.size / (self.rate * _BITS[self.format] // 8)

    def write(self, data: bytes) -> None:
        """Append raw data in the writer's format (PCM16 LE or G.711 octets)."""
        if self._file is None:
            raise WavError("write after close")
        self._buffer += data
        self.size += len(data)
        if len(self._buffer) >= self.CHUNK:
            chunk = bytes(self._buffer)
            self._buffer.clear()
            if self._executor is None:
                self._file.write(chunk)
            else:
                self._executor.submit(self._write_chunk, self._file, chunk)

    def _write_chunk(self, file: BinaryIO, chunk: bytes) -> None:
        try:
            file.write(chunk)
        except OSError as exc:  # reported by the finish, which then discards the file
            self._error = exc

    def close(self) -> Path:
        """Finish the header and rename the file into place; returns the final path."""
        return self.close_future().result()

    def close_future(self) -> Future[Path]:
        """Like :meth:`close`, done in the executor when there is one."""
        if self._file is None:
            done: Future[Path] = Future()
            done.set_result(self.path)
            return done
        file, self._file = self._file, None
        job = partial(self._finish, file, bytes(self._buffer), self.size)
        self._buffer.clear()
        return _run(self._executor, job)

    def _finish(self, file: BinaryIO, tail: bytes, size: int) -> Path:
        try:
            if self._error is not None:
                raise self._error
            file.write(tail + (b"\0" if size & 1 else b""))
            file.seek(0)
            file.write(_header(self.format, self.rate, size))
            file.flush()
            os.fsync(file.fileno())
        except OSError:
            file.close()
            self._temp.unlink(missing_ok=True)
            raise
        file.close()
        os.replace(self._temp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the recording: close and delete the temporary file."""
        if self._file is None:
            return
        file, self._file = self._file, None
        self._buffer.clear()
        _run(self._executor, partial(self._discard, file))

    def _discard(self, file: BinaryIO) -> None:
        file.close()
        self._temp.unlink(missing_ok=True)


def _run(executor: Executor | None, job: Callable[[], T]) -> Future[T]:
    """``job`` in the executor, or now (as a finished future) without one."""
    if executor is not None:
        return executor.submit(job)
    done: Future[T] = Future()
    try:
        done.set_result(job())
    except OSError as exc:
        done.set_exception(exc)
    return done


def write_wav(
    path: str | os.PathLike[str], data: bytes, fmt: int = FORMAT_PCM, rate: int = 8000
) -> Path:
    """Write a whole WAV file atomically."""
    writer = WavWriter(path, fmt, rate)
    writer.write(data)
    return writer.close()
