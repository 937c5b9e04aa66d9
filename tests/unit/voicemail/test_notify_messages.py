"""What the plug-ins say (tas.voicemail.notify_channels, notify_webhook, notify_email): the
summary, the webhook JSON and its HMAC-SHA256 signature, the e-mail's MIME parts; a hidden
caller is named in none of them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tas.voicemail import Reason
from tas.voicemail.models import Voicemail
from tas.voicemail.notify_channels import Notice, caller_text, summary
from tas.voicemail.notify_email import compose
from tas.voicemail.notify_webhook import payload, sign

WHEN = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)


def message(caller: str) -> Voicemail:
    return Voicemail(
        voicemail_id="6f1c7a53-6d2e-4a57-9a51-0c3d7d1e2f10",
        mailbox="+4799990001",
        caller=caller,
        duration=12.4,
        created=WHEN,
        expires=WHEN + timedelta(days=7),
        played=False,
        reason=Reason.BUSY,
        call_id="c1",
        size=100,
        path=Path("/tmp/x.wav"),
    )


async def _no_audio() -> bytes:
    raise AssertionError("not read")


def notice(caller: str) -> Notice:
    return Notice(message(caller), f"{message(caller).voicemail_id}/email", _no_audio)


def test_summary_names_a_number_or_says_hidden() -> None:
    assert summary(message("+4799990002")) == (
        "New voicemail for +4799990001 from +4799990002, 12 s, 2026-12-05 17:30 UTC"
    )
    assert caller_text(message("anonymous")) == "a hidden number"
    assert "anonymous" not in summary(message("anonymous"))


def test_webhook_payload_and_signature() -> None:
    shown = payload(notice("+4799990002"))
    assert shown["from"] == "+4799990002" and shown["hidden_caller"] is False
    assert shown["event"] == "voicemail.new" and shown["reason"] == "busy"
    hidden = payload(notice("anonymous"))
    assert hidden["from"] is None and hidden["hidden_caller"] is True
    assert "anonymous" not in json.dumps(hidden)
    body = b'{"a":1}'
    expected = hmac.new(b"key", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(b"key", "1700000000", body) == f"sha256={expected}"
    assert sign(b"key", "1700000001", body) != sign(b"key", "1700000000", body)


def test_email_has_a_text_part_and_the_audio_attached() -> None:
    email = compose(notice("anonymous"), "vm@example.test", "me@example.test", b"RIFFdata", "wav")
    assert email["To"] == "me@example.test" and email["From"] == "vm@example.test"
    assert email["Message-ID"] == "<6f1c7a53-6d2e-4a57-9a51-0c3d7d1e2f10.email@tas-voicemail>"
    text, audio = email.iter_parts()
    assert "a hidden number" in text.get_content()
    assert audio.get_content_type() == "audio/wav" and audio.get_payload(decode=True) == b"RIFFdata"
    assert "anonymous" not in email.as_string()
    ogg = compose(notice("+4799990002"), "vm@x.test", "me@x.test", b"OggS", "ogg")
    (attachment,) = ogg.iter_attachments()
    assert attachment.get_content_type() == "audio/ogg"
    assert attachment.get_filename().endswith(".ogg")
