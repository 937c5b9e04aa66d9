"""Transcripts: the WER arithmetic and the clear answer without a recogniser."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from tas.voicemail.transcribe import NoTranscriber, transcribe, word_error_rate


def test_word_error_rate() -> None:
    assert word_error_rate("call me back", "call me back") == 0.0
    assert word_error_rate("call me back", "call back") == pytest.approx(1 / 3)  # deletion
    assert word_error_rate("call me back", "call me right back") == pytest.approx(1 / 3)
    assert word_error_rate("call me back", "") == 1.0
    assert word_error_rate("a b", "c d e f") == 2.0  # insertions count too


def test_no_transcriber_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pocketsphinx(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pocketsphinx"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pocketsphinx)
    with pytest.raises(NoTranscriber, match="no transcriber installed"):
        transcribe(b"")
