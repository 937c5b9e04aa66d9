"""Export a message's audio: the stored WAV as it is, or OGG/Opus through PyAV (FFmpeg libopus)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Literal

from tas.voicemail.errors import InvalidAudio, StorageError

__all__ = ["ExportFormat", "export_audio", "opus_available"]

ExportFormat = Literal["wav", "ogg"]
OPUS_RATE = 48000
OPUS_BIT_RATE = 24000


def opus_available() -> bool:
    """PyAV is importable and its FFmpeg has the libopus encoder."""
    try:
        import av

        av.codec.Codec("libopus", "w")
    except Exception:  # ImportError, or FFmpeg built without libopus
        return False
    return True


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
    if not opus_available():
        raise InvalidAudio("OGG/Opus export needs PyAV with libopus; use --format wav")
    _to_ogg_opus(source, out, name)
    return out


def _to_ogg_opus(source: Path | bytes, out: Path, name: str) -> None:
    import av

    stored = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        with av.open(stored, "r") as wav, av.open(str(out), "w", format="ogg") as ogg:
            stream = ogg.add_stream("libopus", rate=OPUS_RATE, layout="mono")
            stream.bit_rate = OPUS_BIT_RATE
            for frame in wav.decode(audio=0):
                frame.pts = None  # the encoder resamples to 48 kHz and re-times the frames
                ogg.mux(stream.encode(frame))
            ogg.mux(stream.encode(None))
    except av.FFmpegError as exc:
        out.unlink(missing_ok=True)
        raise InvalidAudio(f"cannot encode {name} as OGG/Opus: {exc}") from exc
