"""A message left through a real call (UDP caller -> sandbox core -> TLS -> TAS, RTP) is
announced once on every channel, by the server's own notification worker: one SMS in the
sandbox core's SmsService, one e-mail at an SMTP server (attachment = the stored audio), one
webhook call; each delivery is a ``notified`` milestone in the call's timeline. A hidden
caller's number is in none of them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from registrations.model import Route
from tas.calls.records import CallMilestone
from tas.server import TasServer
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    eventually,
    register,
    server_settings,
    short_greetings,
)
from tests.integration.calls.test_call_info import _leave_message
from tests.integration.voicemail.notify_peers import SmtpSink, WebhookSink, smtp_sink, webhook_sink


@pytest.fixture
async def peers() -> AsyncIterator[tuple[SmtpSink, WebhookSink]]:
    async with smtp_sink() as smtp, webhook_sink() as hook:
        yield smtp, hook


@pytest.fixture
async def server(tmp_path: Path, peers: tuple[SmtpSink, WebhookSink]) -> AsyncIterator[TasServer]:
    smtp, hook = peers
    settings = server_settings(tmp_path / "data")
    notify = settings.voicemail.notify
    notify.channels = ["sms", "email", "webhook"]
    notify.email_to = "owner@example.test"
    notify.smtp = f"127.0.0.1:{smtp.port}"
    notify.webhook_url = hook.url
    notify.webhook_secret = SecretStr("k")
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


@pytest.mark.parametrize("hidden", [False, True], ids=["caller-shown", "caller-hidden"])
async def test_a_new_message_is_notified_once_on_every_channel(
    server: TasServer, peers: tuple[SmtpSink, WebhookSink], hidden: bool
) -> None:
    smtp, hook = peers
    assert server.plane is not None
    if hidden:
        server.settings.sandbox.hidden_callers = [CALLER]
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    server.core.handsets.set(SUBSCRIBER, "busy")  # type: ignore[union-attr]
    await _leave_message(server)
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)

    plane = server.plane
    await eventually(lambda: bool(plane.sms.sent() and smtp.received and hook.requests), seconds=15)
    (sms,) = plane.sms.sent()
    (mail,) = smtp.received
    (request,) = hook.requests
    assert sms.to == SUBSCRIBER
    _, wav = await server.voicemail.read_audio(message.voicemail_id)
    (attachment,) = [p for p in mail.iter_attachments()]
    assert attachment.get_payload(decode=True) == wav
    body = json.loads(request.body)
    assert body["voicemail_id"] == message.voicemail_id
    if hidden:
        assert CALLER not in sms.text and CALLER not in mail.as_string()
        assert CALLER.encode() not in request.body and body["from"] is None
        assert "a hidden number" in sms.text
    else:
        assert CALLER in sms.text and body["from"] == CALLER

    (leg,) = server.app.journals
    record_id = leg.record.id

    async def milestones() -> list[str]:
        async with server.db.session() as session:
            rows = await session.exec(
                select(CallMilestone).where(CallMilestone.call_record_id == record_id)
            )
            return [f"{m.kind}: {m.detail}" for m in rows if m.kind == "notified"]

    notified: list[str] = []
    for _ in range(50):
        notified = await milestones()
        if len(notified) == 3:
            break
        await asyncio.sleep(0.1)
    assert sorted(n.split(" ")[1] for n in notified) == ["e-mail", "sms", "webhook"], notified
    # Nothing more is sent later (each entry was marked sent once).
    assert await server.notify.run_once() == 0
    assert (len(plane.sms.sent()), len(smtp.received), len(hook.requests)) == (1, 1, 1)
