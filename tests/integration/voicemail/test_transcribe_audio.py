"""PocketSphinx (the transcribe extra, in dev) hears words in an espeak-ng sentence converted to
8 kHz like voicemail audio. No WER bound here: the measured WER is in
tests/bench/bench_transcribe_wer.py and README (it is high on synthetic speech)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tas.voicemail.transcribe import transcribe


@pytest.mark.slow
def test_pocketsphinx_hears_words_at_8khz(tmp_path: Path) -> None:
    assert shutil.which("espeak-ng") and shutil.which("sox")
    raw, wav = tmp_path / "raw.wav", tmp_path / "8k.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), "please call me back"], check=True, timeout=30)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
    text = transcribe(wav.read_bytes())
    assert text and text == text.lower()
