"""RFC 3842 §5.2 message-summary bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tas.voicemail.models import Reason, Voicemail
from tas.voicemail.mwi import MessageSummary, message_summary, summarize

T = datetime(2026, 1, 1, tzinfo=UTC)


def vm(played: bool) -> Voicemail:
    return Voicemail(
        "id", "+4799990001", "+4799990002", 3.0, T, T, played, Reason.BUSY, None, 1, Path("x")
    )


def test_summarize_counts_new_and_old() -> None:
    assert summarize([]) == MessageSummary(0, 0)
    assert summarize([vm(False), vm(True), vm(False)]) == MessageSummary(2, 1)


def test_body_waiting_yes_with_account() -> None:
    body = message_summary(MessageSummary(2, 1), "sip:+4799990001@tas")
    assert body == (
        b"Messages-Waiting: yes\r\nMessage-Account: sip:+4799990001@tas\r\n"
        b"Voice-Message: 2/1 (0/0)\r\n"
    )


def test_body_no_when_only_old() -> None:
    assert message_summary(MessageSummary(0, 4)) == (
        b"Messages-Waiting: no\r\nVoice-Message: 0/4 (0/0)\r\n"
    )
