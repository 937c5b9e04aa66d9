"""A hidden caller's message (stored as ``anonymous``, RFC 3323) has no number in the
VoicemailMediaService metadata nor in the NEW_VOICEMAIL notification's ``from``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tas.voicemail import Reason
from tas.voicemail.api import metadata_of
from tas.voicemail.models import Voicemail


def message(caller: str) -> Voicemail:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    return Voicemail(
        voicemail_id="6f1c7a53-6d2e-4a57-9a51-0c3d7d1e2f10",
        mailbox="+4799990001",
        caller=caller,
        duration=2.0,
        created=now,
        expires=now + timedelta(days=30),
        played=False,
        reason=Reason.BUSY,
        call_id="c1",
        size=100,
        path=Path("/tmp/x.wav"),
    )


def test_hidden_caller_has_no_number_in_the_metadata() -> None:
    hidden = message("anonymous")
    assert hidden.caller_number == ""
    metadata = metadata_of(hidden)
    assert getattr(metadata, "from").e164 == ""
    assert hidden.as_dict()["from"] == "anonymous"


def test_a_public_caller_keeps_its_number() -> None:
    public = message("+4799990002")
    assert public.caller_number == "+4799990002"
    assert getattr(metadata_of(public), "from").e164 == "+4799990002"
