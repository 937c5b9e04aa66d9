"""Test signals for the phones (sox) and the correlation used to compare what was heard."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np

__all__ = [
    "best_correlation",
    "best_lag",
    "make_signal",
    "pcm16_of",
    "signal_part",
    "slip_tolerant",
]

RATE = 8000


def make_signal(
    path: Path, seconds: float = 3.0, *, lead: float = 0.0, tail: float = 0.0, down: bool = False
) -> Path:
    """A 8 kHz mono PCM16 WAV made by sox: ``lead`` s of silence, a ``seconds`` long sine sweep
    (300-3000 Hz, or down from 3000 Hz) with a slow tremolo (never periodic, so the lag search
    has one clear peak), then ``tail`` s of silence."""
    sweep = "3000-300" if down else "300-3000"
    cmd = [
        "timeout", "20", "sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path),
        "synth", f"{seconds}", "sine", sweep, "vol", "0.5", "tremolo", "0.7", "40",
        "pad", f"{lead}", f"{tail}",
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)
    return path


def signal_part(path: Path, lead: float, seconds: float) -> bytes:
    """The PCM16 of the sweep inside a :func:`make_signal` file (without its silences)."""
    pcm = pcm16_of(path)
    return pcm[2 * round(lead * RATE) : 2 * round((lead + seconds) * RATE)]


def pcm16_of(path: Path) -> bytes:
    """The 8 kHz mono PCM16 samples of a WAV (channels averaged, resampled when needed).

    A data chunk shorter than its header says is read as far as it goes: linphone writes
    the size before the last frames reach the file."""
    data = path.read_bytes()
    fmt = data.find(b"fmt ")
    chunk = data.find(b"data", fmt)
    if data[:4] != b"RIFF" or fmt < 0 or chunk < 0:
        raise ValueError(f"{path}: not a WAV file")
    tag, channels, rate = struct.unpack_from("<HHI", data, fmt + 8)
    (bits,) = struct.unpack_from("<H", data, fmt + 22)
    if tag not in (1, 0xFFFE) or bits != 16:
        raise ValueError(f"{path}: not 16-bit PCM (format {tag}, {bits} bits)")
    (size,) = struct.unpack_from("<I", data, chunk + 4)
    body = data[chunk + 8 : chunk + 8 + size]
    samples = np.frombuffer(body[: len(body) - len(body) % (2 * channels)], "<i2")
    mono = samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples
    if rate != RATE and len(mono):
        count = max(1, round(len(mono) * RATE / rate))
        mono = np.interp(np.arange(count) * rate / RATE, np.arange(len(mono)), mono)
    return np.clip(np.round(mono), -32768, 32767).astype("<i2").tobytes()


def best_correlation(heard: bytes, sent: bytes) -> float:
    """Peak normalised cross-correlation of ``sent`` inside ``heard`` (PCM16), lag searched
    over the whole recording. A recording longer than the signal (silence, other prompts)
    costs nothing; one holding only part of the signal is scaled by the share it holds."""
    a = np.frombuffer(heard, "<i2").astype(np.float64)
    b = np.frombuffer(sent, "<i2").astype(np.float64)
    if not len(a) or not len(b):
        return 0.0
    size = 1 << (len(a) + len(b) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(np.argmax(corr))
    shift = lag if lag < size // 2 else lag - size
    if shift >= 0:
        seg_a, seg_b = a[shift : shift + len(b)], b[: max(0, len(a) - shift)]
    else:
        seg_a, seg_b = a[: len(b) + shift], b[-shift : -shift + len(a)]
    m = min(len(seg_a), len(seg_b))
    seg_a, seg_b = seg_a[:m], seg_b[:m]
    denom = float(np.sqrt(np.dot(seg_a, seg_a) * np.dot(seg_b, seg_b)))
    if not denom:
        return 0.0
    return float(np.dot(seg_a, seg_b)) / denom * min(1.0, m / len(b))


def best_lag(heard: bytes, sent: bytes) -> int:
    """The shift (samples) of ``sent`` inside ``heard`` with the largest cross-correlation."""
    a = np.frombuffer(heard, "<i2").astype(np.float64)
    b = np.frombuffer(sent, "<i2").astype(np.float64)
    size = 1 << (len(a) + len(b) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag = int(np.argmax(corr))
    return lag if lag < size // 2 else lag - size


def slip_tolerant(heard: bytes, sent: bytes, window: float = 0.05, search: float = 0.04) -> float:
    """Energy-weighted mean correlation of ``sent``'s ``window``-second pieces, each found in
    ``heard`` within ``search`` s of the overall lag. A receiver whose jitter buffer drops or
    repeats a few ms of playout (linphone, pjsua2) keeps a high figure; frames dropped or
    duplicated every 200 ms score ~0.55, one frame in ten repeated ~0.95, so the strict
    pacing check is the one-lag figure of a fixed-jitter-buffer phone (baresip). A piece that
    is not in ``heard`` counts as 0, one partly in it (a recorder that starts late) by the
    share it holds."""
    a = np.frombuffer(heard, "<i2").astype(np.float64)
    b = np.frombuffer(sent, "<i2").astype(np.float64)
    if not len(a) or not len(b):
        return 0.0
    base = best_lag(heard, sent)
    step, reach = round(window * RATE), round(search * RATE)
    total = weight = 0.0
    for start in range(0, len(b) - step + 1, step):
        piece = b[start : start + step]
        energy = float(np.dot(piece, piece))
        if energy <= 0:
            continue
        best = 0.0
        for shift in range(base + start - reach, base + start + reach + 1):
            lo, hi = max(0, -shift), min(step, len(a) - shift)  # the part inside ``heard``
            if hi - lo < step // 2:
                continue
            seg, part = a[shift + lo : shift + hi], piece[lo:hi]
            denom = float(np.sqrt(np.dot(seg, seg) * np.dot(part, part)))
            if denom:
                best = max(best, float(np.dot(seg, part)) / denom * (hi - lo) / step)
        total += best * energy
        weight += energy
    return total / weight if weight else 0.0
