"""PocketSphinx (the transcribe extra, in dev) hears words in an espeak-ng sentence converted to
8 kHz like voicemail audio. No WER bound here: the measured WER is in
tests/bench/bench_transcribe_wer.py and README (it is high on synthetic speech)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tas.voicemail.transcribe import transcribe
from tas.voicemail.transcribe_worker import EngineCrashed, PoolEngine
from tests.bench.bench_transcribe_wer import speak


@pytest.mark.slow
def test_pocketsphinx_hears_words_at_8khz(tmp_path: Path) -> None:
    assert shutil.which("espeak-ng") and shutil.which("sox")
    raw, wav = tmp_path / "raw.wav", tmp_path / "8k.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), "please call me back"], check=True, timeout=30)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
    text = transcribe(wav.read_bytes())
    assert text and text == text.lower()


@pytest.mark.slow
async def test_the_pool_engine_survives_its_recogniser_process_being_killed(
    tmp_path: Path,
) -> None:
    """The server's engine: PocketSphinx in a spawned process hears what it hears in-process;
    a killed recogniser process is EngineCrashed (the worker retries the row) and the next
    message gets a fresh process."""
    wav = speak("please call me back", tmp_path)
    engine = PoolEngine(1)
    try:
        heard = await engine.transcribe(wav)
        assert heard == transcribe(wav)
        [process] = list(engine._pool._processes.values())  # type: ignore[attr-defined]
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.to_thread(process.join, 10)
        with pytest.raises(EngineCrashed):
            await engine.transcribe(wav)
        assert await engine.transcribe(wav) == heard
    finally:
        await engine.aclose()
