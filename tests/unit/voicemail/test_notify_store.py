"""Which channels announce a message, and where (tas.voicemail.notify_store.plan)."""

from __future__ import annotations

import logging

import pytest

from tas.config import NotifySettings
from tas.voicemail.notify_models import Channel
from tas.voicemail.notify_store import MailboxOverride, plan

BOX = "+4799990001"
GLOBAL = NotifySettings(
    channels=["sms", "webhook"], email_to="ops@example.test", webhook_url="http://h/x"
)


def test_global_settings_apply_without_an_override() -> None:
    assert plan(BOX, GLOBAL, None) == [(Channel.SMS, BOX), (Channel.WEBHOOK, "http://h/x")]


def test_a_mailbox_override_picks_channels_and_addresses() -> None:
    override = MailboxOverride(
        channels=(Channel.EMAIL, Channel.WEBHOOK), email_to="me@example.test"
    )
    assert plan(BOX, GLOBAL, override) == [
        (Channel.EMAIL, "me@example.test"),
        (Channel.WEBHOOK, "http://h/x"),  # its own URL unset: the global one
    ]
    assert plan(BOX, GLOBAL, MailboxOverride(channels=())) == []


def test_a_channel_without_an_address_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = NotifySettings(channels=["email", "sms"])
    with caplog.at_level(logging.WARNING):
        assert plan(BOX, settings, None) == [(Channel.SMS, BOX)]
    assert "notify_unaddressed" in caplog.text and "channel=email" in caplog.text
