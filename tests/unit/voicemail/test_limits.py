"""Abuse-limit decisions of the voicemail flow (pure: no database, no clock)."""

from __future__ import annotations

import pytest

from tas.config import VoicemailSettings
from tas.voicemail.limits import PROMPTS, Admission, MailboxUsage, Refusal, decide

SETTINGS = VoicemailSettings(
    max_messages=10, max_total_seconds=300.0, max_seconds=120.0, min_seconds=1.0
)


@pytest.mark.parametrize(
    ("usage", "refusal", "cap"),
    [
        (MailboxUsage(0, 0.0, 0), None, 120.0),
        (MailboxUsage(9, 100.0, 2), None, 120.0),
        (MailboxUsage(9, 250.0, 0), None, 50.0),  # the quota caps the recording
        (MailboxUsage(10, 0.0, 0), Refusal.MAILBOX_FULL, 0.0),  # messages
        (MailboxUsage(3, 300.0, 0), Refusal.MAILBOX_FULL, 0.0),  # seconds
        (MailboxUsage(3, 299.5, 0), Refusal.MAILBOX_FULL, 0.0),  # less than min_seconds left
        (MailboxUsage(3, 10.0, 3), Refusal.CALLER_LIMIT, 0.0),  # 4th from one caller in 1 h
        (MailboxUsage(10, 10.0, 3), Refusal.MAILBOX_FULL, 0.0),  # full wins: said to everyone
    ],
)
def test_decide(usage: MailboxUsage, refusal: Refusal | None, cap: float) -> None:
    admission = decide(usage, SETTINGS)
    assert (admission.refusal, admission.max_seconds) == (refusal, cap)
    assert bool(admission.detail) == (refusal is not None)


def test_zero_turns_the_quota_and_the_caller_limit_off() -> None:
    unlimited = SETTINGS.model_copy(update={"max_total_seconds": 0.0, "max_per_caller_per_hour": 0})
    assert decide(MailboxUsage(9, 1e6, 1000), unlimited) == Admission(None, 120.0)


def test_defaults_allow_three_per_caller_per_hour() -> None:
    defaults = VoicemailSettings()
    assert decide(MailboxUsage(2, 0.0, 2), defaults).refusal is None
    assert decide(MailboxUsage(3, 0.0, 3), defaults).refusal is Refusal.CALLER_LIMIT


def test_every_refusal_has_a_shipped_prompt() -> None:
    assert set(PROMPTS) == set(Refusal)
    for path in PROMPTS.values():
        header = path.read_bytes()[:44]
        assert header[:4] == b"RIFF" and header[8:16] == b"WAVEfmt "
        assert int.from_bytes(header[24:28], "little") == 8000  # 8 kHz, as greetings
