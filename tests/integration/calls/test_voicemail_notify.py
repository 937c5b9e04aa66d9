"""A message left through a real call (UDP caller -> sandbox core -> TLS -> TAS, RTP) is
announced once on every channel, by the server's own notification worker: one SMS in the
sandbox core's SmsService, one e-mail at an SMTP server (attachment = the stored audio), one
webhook call; each delivery is a ``notified`` milestone in the call's timeline. The server's transcript
worker transcribes the message after commit; e-mail and webhook carry it, and the timeline gets
a ``transcribed`` milestone. A hidden
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
from tas.voicemail.transcript_models import TranscriptStatus
from tas.voicemail.transcript_store import TranscriptStore
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
    # E-mail and webhook wait for the transcript (the server's worker pool, after commit).
    await eventually(lambda: bool(plane.sms.sent() and smtp.received and hook.requests), seconds=60)
    (sms,) = plane.sms.sent()
    (mail,) = smtp.received
    (request,) = hook.requests
    assert sms.to == SUBSCRIBER
    _, wav = await server.voicemail.read_audio(message.voicemail_id)
    (attachment,) = [p for p in mail.iter_attachments()]
    assert attachment.get_payload(decode=True) == wav
    body = json.loads(request.body)
    assert body["voicemail_id"] == message.voicemail_id
    transcript = await TranscriptStore(server.db).get(message.voicemail_id)
    assert transcript is not None and transcript.status is TranscriptStatus.DONE
    assert body["transcript"]["status"] == "done"
    assert body["transcript"]["text"] == transcript.text
    assert f"Transcript (done: {transcript.describe()})" in mail.as_string()
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
            return [f"{m.kind}: {m.detail}" for m in rows if m.kind in ("notified", "transcribed")]

    notified: list[str] = []
    for _ in range(50):
        notified = await milestones()
        if len(notified) == 4:
            break
        await asyncio.sleep(0.1)
    transcribed = [n for n in notified if n.startswith("transcribed: pocketsphinx: ")]
    assert len(transcribed) == 1, notified  # the "transcribed" milestone on the call's timeline
    notified.remove(transcribed[0])
    assert sorted(n.split(" ")[1] for n in notified) == ["e-mail", "sms", "webhook"], notified
    # Nothing more is sent later (each entry was marked sent once).
    assert await server.notify.run_once() == 0
    assert (len(plane.sms.sent()), len(smtp.received), len(hook.requests)) == (1, 1, 1)
