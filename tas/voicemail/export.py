"""Export a message's audio: the stored WAV as it is, or OGG/Opus or MP3 through PyAV (FFmpeg
libopus, libmp3lame). The format follows the output file's extension unless one is given; a
format that contradicts the extension is refused, never written under the wrong name."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tas.voicemail.errors import InvalidAudio, StorageError

__all__ = [
    "EXPORT_FORMATS",
    "ExportFormat",
    "encoder_available",
    "export_audio",
    "export_format",
    "opus_available",
]

ExportFormat = Literal["wav", "ogg", "mp3"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("wav", "ogg", "mp3")
_SUFFIXES: dict[str, ExportFormat] = {".wav": "wav", ".ogg": "ogg", ".opus": "ogg", ".mp3": "mp3"}
OPUS_RATE = 48000
OPUS_BIT_RATE = 24000
MP3_RATE = 16000  # MPEG-2 Layer III: a telephone-band message needs no more
MP3_BIT_RATE = 32000


@dataclass(frozen=True, slots=True)
class _Encoding:
    container: str
    codec: str
    rate: int
    bit_rate: int
    label: str


_ENCODINGS: dict[ExportFormat, _Encoding] = {
    "ogg": _Encoding("ogg", "libopus", OPUS_RATE, OPUS_BIT_RATE, "OGG/Opus"),
    "mp3": _Encoding("mp3", "libmp3lame", MP3_RATE, MP3_BIT_RATE, "MP3"),
}


def export_format(out: Path | None, fmt: ExportFormat | None) -> ExportFormat:
    """The format to write: ``fmt`` if given, else from ``out``'s extension (WAV without
    ``out``). :class:`InvalidAudio` for an unknown extension without ``fmt``, or a ``fmt`` that
    contradicts a known extension."""
    suffix = out.suffix.lower() if out is not None else ""
    implied = _SUFFIXES.get(suffix)
    if fmt is None:
        if out is None:
            return "wav"
        if implied is None:
            raise InvalidAudio(
                f"cannot tell the format of {out.name}: use a .wav, .ogg or .mp3 name, "
                f"or --format ({', '.join(EXPORT_FORMATS)})"
            )
        return implied
    if implied is not None and implied != fmt:
        raise InvalidAudio(f"--format {fmt} does not match {out.name if out else ''} ({implied})")
    return fmt


def encoder_available(fmt: ExportFormat) -> bool:
    """WAV always; otherwise PyAV is importable and its FFmpeg has the format's encoder."""
    encoding = _ENCODINGS.get(fmt)
    if encoding is None:
        return True
    try:
        import av

        av.codec.Codec(encoding.codec, "w")
    except Exception:  # ImportError, or FFmpeg built without that encoder
        return False
    return True


def opus_available() -> bool:
    """PyAV is importable and its FFmpeg has the libopus encoder."""
    return encoder_available("ogg")


def export_audio(
    source: Path | bytes, out: Path, fmt: ExportFormat = "wav", *, name: str = "audio"
) -> Path:
    """Write ``source`` (a stored WAV: a file, or its bytes as the blob store returns them) to
    ``out`` as WAV or OGG/Opus (mono, 48 kHz, 24 kbit/s)."""
    if isinstance(source, Path):
        name = source.name
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "wav":
        try:
            if isinstance(source, bytes):
                out.write_bytes(source)
            else:
                shutil.copyfile(source, out)
        except OSError as exc:
            raise StorageError(f"cannot export {name}: {exc.strerror}") from exc
        return out
    encoding = _ENCODINGS[fmt]
    if not encoder_available(fmt):
        usable = ", ".join(f for f in EXPORT_FORMATS if encoder_available(f))
        raise InvalidAudio(
            f"{encoding.label} export needs PyAV with {encoding.codec}; supported here: {usable}"
        )
    _encode(source, out, name, encoding)
    return out


def _encode(source: Path | bytes, out: Path, name: str, encoding: _Encoding) -> None:
    import av
    from av.audio.stream import AudioStream

    stored = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        with (
            av.open(stored, "r") as wav,
            av.open(str(out), "w", format=encoding.container) as container,
        ):
            stream = container.add_stream(encoding.codec, rate=encoding.rate, layout="mono")
            assert isinstance(stream, AudioStream)  # an audio codec gives an audio stream
            stream.bit_rate = encoding.bit_rate
            for frame in wav.decode(audio=0):
                frame.pts = None  # the encoder resamples and re-times the frames
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
    except av.FFmpegError as exc:
        out.unlink(missing_ok=True)
        raise InvalidAudio(f"cannot encode {name} as {encoding.label}: {exc}") from exc
