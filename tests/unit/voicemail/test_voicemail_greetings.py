"""Greetings per mailbox and reason, the shipped default and the beep."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from tas.voicemail import DEFAULT_GREETING, Greetings, InvalidAudio, InvalidNumber, Reason, beep
from tas.voicemail.wavfile import pcm16_wav

BOX = "+4712345678"


def test_default_greeting_is_8khz_mono_16bit_speech() -> None:
    with wave.open(str(DEFAULT_GREETING)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert 2.0 < wav.getnframes() / 8000 < 15.0
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.abs(samples).max() > 3000  # not silence


def test_lookup_falls_back_reason_then_mailbox_default_then_shipped(tmp_path: Path) -> None:
    greetings = Greetings(tmp_path)
    assert greetings.greeting_for(BOX, Reason.BUSY) == DEFAULT_GREETING
    own_default = greetings.set_greeting(BOX, Reason.DEFAULT, pcm16_wav(bytes(1600)))
    assert greetings.greeting_for(BOX, "busy") == own_default
    busy = greetings.set_greeting(BOX, "busy", pcm16_wav(bytes(3200)))
    assert greetings.greeting_for(BOX, Reason.BUSY) == busy
    assert greetings.greeting_for(BOX, Reason.UNAVAILABLE) == own_default
    assert greetings.greeting_for("+4787654321", Reason.BUSY) == DEFAULT_GREETING


def test_reset_restores_the_default(tmp_path: Path) -> None:
    greetings = Greetings(tmp_path)
    greetings.set_greeting(BOX, Reason.BUSY, pcm16_wav(bytes(1600)))
    greetings.set_greeting(BOX, Reason.DEFAULT, pcm16_wav(bytes(1600)))
    assert set(greetings.custom_greetings(BOX)) == {Reason.BUSY, Reason.DEFAULT}
    assert greetings.reset_greeting(BOX) == 2
    assert greetings.greeting_for(BOX, Reason.BUSY) == DEFAULT_GREETING
    assert greetings.reset_greeting(BOX) == 0  # idempotent


@pytest.mark.parametrize("rate", [16000, 44100])
def test_greetings_must_be_8khz(tmp_path: Path, rate: int) -> None:
    with pytest.raises(InvalidAudio, match="8 kHz mono 16-bit"):
        Greetings(tmp_path).set_greeting(BOX, Reason.DEFAULT, pcm16_wav(bytes(1600), rate=rate))
    assert Greetings(tmp_path).greeting_for(BOX) == DEFAULT_GREETING


def test_greetings_need_an_e164_number(tmp_path: Path) -> None:
    with pytest.raises(InvalidNumber):
        Greetings(tmp_path).greeting_for("../etc")


def test_beep_is_400ms_of_1khz() -> None:
    pcm = np.frombuffer(beep(), dtype="<i2").astype(float)
    assert len(pcm) == 3200
    spectrum = np.abs(np.fft.rfft(pcm))
    assert np.fft.rfftfreq(len(pcm), 1 / 8000)[spectrum.argmax()] == pytest.approx(1000, abs=5)


def test_no_answer_falls_back_to_unavailable_then_default(tmp_path: Path) -> None:
    greetings = Greetings(tmp_path)
    own_default = greetings.set_greeting(BOX, Reason.DEFAULT, pcm16_wav(bytes(1600)))
    assert greetings.greeting_for(BOX, Reason.NO_ANSWER) == own_default
    assert greetings.greeting_for(BOX, Reason.UNCONDITIONAL) == own_default
    unavailable = greetings.set_greeting(BOX, Reason.UNAVAILABLE, pcm16_wav(bytes(1600)))
    assert greetings.greeting_for(BOX, Reason.NO_ANSWER) == unavailable
    assert greetings.greeting_for(BOX, Reason.UNCONDITIONAL) == own_default
    no_answer = greetings.set_greeting(BOX, "no-answer", pcm16_wav(bytes(1600)))
    assert greetings.greeting_for(BOX, "no-answer") == no_answer
