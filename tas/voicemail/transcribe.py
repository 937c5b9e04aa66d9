"""Offline transcripts of voicemail audio (issue #15 item 5): PocketSphinx with the en-US model
its wheel ships (the optional ``transcribe`` extra; no model is downloaded at run time).

:func:`transcribe` is blocking CPU work: callers run it in an executor, off the event loop.
:class:`NoTranscriber` says clearly that the extra is not installed. :func:`word_error_rate`
is the word-level Levenshtein distance over the reference length (the usual WER).
"""

from __future__ import annotations

import functools
import io
import wave

__all__ = [
    "ENGINE",
    "LANGUAGE",
    "NoTranscriber",
    "available",
    "transcribe",
    "unavailable_reason",
    "word_error_rate",
]

ENGINE = "pocketsphinx"
LANGUAGE = "en-US"  # the model inside the PocketSphinx wheel


class NoTranscriber(RuntimeError):
    """No speech recogniser is installed (``pip install 'tas-companion[transcribe]'``)."""

    def __init__(self) -> None:
        super().__init__("no transcriber installed (pip install 'tas-companion[transcribe]')")


@functools.cache
def available() -> bool:
    """Is PocketSphinx importable? (Asked once per process: the answer does not change while
    it runs, and the commit path asks it for every message.)"""
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


def unavailable_reason(enabled: bool) -> str:
    """Why new messages get no transcript ("" when they do): turned off, or not installed."""
    if not enabled:
        return "transcripts are turned off ([voicemail.transcribe] enabled = false)"
    return "" if available() else str(NoTranscriber())


def transcribe(wav: bytes) -> str:
    """The words spoken in ``wav`` (16-bit mono PCM; 8 kHz voicemail audio is decoded with the
    model's 8 kHz front end), lower case; :class:`NoTranscriber` without the extra."""
    try:
        from pocketsphinx import Config, Decoder
    except ImportError as exc:
        raise NoTranscriber from exc
    with wave.open(io.BytesIO(wav)) as reader:
        rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
        pcm = reader.readframes(reader.getnframes())
    if width != 2 or channels != 1:
        raise ValueError("transcripts need 16-bit mono PCM")
    if rate != 16000:  # the bundled model's front end wants 16 kHz (its filter bank > 4 kHz)
        pcm, rate = _resample(pcm, rate, 16000), 16000
    decoder = Decoder(Config(samprate=rate, loglevel="FATAL"))
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr.strip().lower() if hyp is not None else ""


def _resample(pcm: bytes, rate: int, target: int) -> bytes:
    """16-bit mono ``pcm`` from ``rate`` to ``target`` Hz by linear interpolation."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return b""
    positions = np.arange(int(samples.size * target / rate)) * (rate / target)
    out: bytes = np.interp(positions, np.arange(samples.size), samples).astype("<i2").tobytes()
    return out


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words."""
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return row[len(hyp)] / max(1, len(ref))
