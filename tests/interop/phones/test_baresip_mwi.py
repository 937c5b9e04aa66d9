"""baresip's ``mwi`` module as a real MWI subscriber (RFC 3842 over RFC 6665): it subscribes to
its mailbox with digest credentials (401 → authenticated SUBSCRIBE) and receives a NOTIFY
``Messages-Waiting: yes`` when a caller leaves a message through a real call (sandbox core →
TLS → TAS, RTP), then ``no`` once the message is deleted.

baresip 1.0's ``mwi`` subscribes only after a successful REGISTER (UA_EVENT_REGISTER_OK), and
the TAS is no registrar: the account's outbound proxy is :class:`Relay`, a UDP relay in this
test that answers the REGISTER itself and passes every other datagram unchanged between
baresip and the TAS (which therefore sees only the SUBSCRIBE dialog)."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from registrations.model import Route
from tas.server import TasServer
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tests.integration.calls.calls_helpers import (
    SUBSCRIBER,
    eventually,
    register,
    server_settings,
    short_greetings,
)
from tests.integration.calls.test_call_info import _leave_message
from tests.integration.voicemail.notify_peers import SmtpSink, WebhookSink, smtp_sink, webhook_sink
from tests.interop.conftest import free_port
from tests.interop.phones.baresip import BARESIP, Baresip

pytestmark = [pytest.mark.slow]

PASSWORD = "mwi-Secret-1"


class Relay(asyncio.DatagramProtocol):
    """baresip's outbound proxy: 200 to REGISTER, everything else relayed byte for byte."""

    def __init__(self, tas: tuple[str, int]) -> None:
        self.tas = tas
        self.phone: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.registers = 0
        self.released = False
        self.held: list[tuple[bytes, tuple[str, int]]] = []

    def release(self) -> None:
        """Answer the REGISTERs held so far, and later ones at once."""
        assert self.transport is not None
        self.released = True
        for data, addr in self.held:
            self.transport.sendto(data, addr)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        if addr == self.tas:
            if self.phone is not None:
                self.transport.sendto(data, self.phone)
            return
        self.phone = addr
        if data.startswith(b"REGISTER "):
            self.registers += 1
            request = parse_message(data)
            assert isinstance(request, Request)
            response = request.create_response(200, to_tag="relay")
            response.headers.add("Contact", f"{request.headers.get('Contact')};expires=600")
            # held until release(): baresip 1.0's mwi re-subscribes every entry of its list
            # from a timer 1 ms after start, appending as it goes — a REGISTER_OK before that
            # timer makes it loop forever; after it (and after ctrl_tcp is connected, so no
            # event is missed) there is one subscription as intended
            if self.released:
                self.transport.sendto(bytes(response), addr)
            else:
                self.held.append((bytes(response), addr))
        elif data.strip():
            self.transport.sendto(data, self.tas)


class MwiPhone(Baresip):
    """baresip with the ``mwi`` module and an account that only subscribes (regint=0)."""

    account: str = ""

    def write_config(self) -> None:
        super().write_config()
        config = self.home / "config"
        config.write_text(config.read_text() + "module_app\t\tmwi.so\n")
        (self.home / "accounts").write_text(self.account + "\n")


@pytest.fixture
async def peers() -> AsyncIterator[tuple[SmtpSink, WebhookSink]]:
    async with smtp_sink() as smtp, webhook_sink() as hook:
        yield smtp, hook


@pytest.fixture
async def server(tmp_path: Path, peers: tuple[SmtpSink, WebhookSink]) -> AsyncIterator[TasServer]:
    smtp, hook = peers
    settings = server_settings(tmp_path / "data")
    notify = settings.voicemail.notify  # the "Must show": all four for one message
    notify.channels = ["sms", "email", "webhook"]
    notify.email_to = "owner@example.test"
    notify.smtp = f"127.0.0.1:{smtp.port}"
    notify.webhook_url = hook.url
    notify.webhook_secret = SecretStr("k")
    settings.mwi.enabled = True
    settings.mwi.algorithm = "MD5"  # baresip 1.0 (libre 1.1) knows only MD5 digests
    settings.mwi.passwords = {SUBSCRIBER: SecretStr(PASSWORD)}
    settings.mwi.poll_interval = 0.5
    # the test's own loop runs the TAS, the sandbox core and the caller beside a baresip on a
    # shared 2-core machine: a lag spike must not turn the caller's INVITE into a 503
    settings.limits.lag_threshold = 0
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


def sip_port_pair() -> int:
    """A port whose next one is free too (baresip also listens for TLS on ``sip_port + 1``),
    from this suite's range 24000-24999."""
    for port in random.sample(range(24000, 24998, 2), 100):
        try:
            for p in (port, port + 1):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(socket.AF_INET, kind) as sock:
                        sock.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise AssertionError("no free port pair in 24000-24999")


def summaries(phone: Baresip) -> list[str]:
    return [str(e.get("param", "")) for e in phone.events if e.get("type") == "MWI_NOTIFY"]


async def wait_summary(phone: Baresip, text: str, seconds: float = 20.0) -> list[str]:
    """Every MWI_NOTIFY body so far, once one contains ``text``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not any(text in s for s in summaries(phone)):
        if loop.time() > deadline:
            raise AssertionError(f"no NOTIFY with {text!r}: {summaries(phone)}\n{phone.log()}")
        await asyncio.sleep(0.1)
    return summaries(phone)


@pytest.mark.skipif(BARESIP is None, reason="baresip is not installed")
async def test_baresip_gets_messages_waiting_yes_then_no(
    server: TasServer, tmp_path: Path, peers: tuple[SmtpSink, WebhookSink]
) -> None:
    """One message left by a real call: one SMS, one e-mail (attachment = the stored audio),
    one webhook call and one NOTIFY ``yes`` to the subscribed baresip; deleted: ``no``."""
    smtp, hook = peers
    host, port = server.stack.local["UDP"]
    loop = asyncio.get_running_loop()
    transport, relay = await loop.create_datagram_endpoint(
        lambda: Relay((host, port)), local_addr=("127.0.0.1", 0)
    )
    relay_port = transport.get_extra_info("sockname")[1]
    phone = MwiPhone(tmp_path / "baresip", tmp_path / "none.wav", sip_port_pair(), free_port(), 0)
    phone.account = (
        f"<sip:{SUBSCRIBER}@{host}:{port};transport=udp>;auth_pass={PASSWORD}"
        f';outbound="sip:127.0.0.1:{relay_port}";regint=600;mwi=yes'
    )
    phone.rtp_low = free_port() & ~1
    await phone.start(seconds=90)
    # ctrl_tcp accepts as soon as it listens, before baresip's main loop has run its 1 ms
    # timer; half a second later it has
    await asyncio.sleep(0.5)
    relay.release()
    try:
        first = await wait_summary(phone, "Messages-Waiting: no")  # the immediate NOTIFY
        assert server.mwi.auth.lockouts == 0
        (sub,) = server.mwi.table.of_resource(SUBSCRIBER)
        assert sub.user == SUBSCRIBER

        await register(server, SUBSCRIBER, Route.FALLBACK)
        short_greetings(server, SUBSCRIBER)
        server.core.handsets.set(SUBSCRIBER, "busy")  # type: ignore[union-attr]
        await _leave_message(server)
        after_new = await wait_summary(phone, "Messages-Waiting: yes")
        waiting = [s for s in after_new if "Messages-Waiting: yes" in s]
        assert "Voice-Message: 1/0 (0/0)" in waiting[0]

        (message,) = await server.voicemail.list_messages(SUBSCRIBER)
        plane = server.plane
        assert plane is not None
        # E-mail and webhook wait for the transcript (the server's worker pool, after commit).
        await eventually(lambda: bool(plane.sms.sent() and smtp.received and hook.requests), 60)
        (sms,) = plane.sms.sent()
        (mail,) = smtp.received
        (request,) = hook.requests
        _, wav = await server.voicemail.read_audio(message.voicemail_id)
        (attachment,) = list(mail.iter_attachments())
        assert attachment.get_payload(decode=True) == wav and sms.to == SUBSCRIBER
        assert message.voicemail_id.encode() in request.body
        await server.voicemail.delete(message.voicemail_id)
        seen = len(after_new)
        done: list[Any] = []
        for _ in range(200):
            done = [s for s in summaries(phone)[seen:] if "Messages-Waiting: no" in s]
            if done:
                break
            await asyncio.sleep(0.1)
        assert done and "Voice-Message: 0/0 (0/0)" in done[0], (summaries(phone), phone.log())
        assert first and len(waiting) == 1  # one NOTIFY per change, none repeated
        assert relay.registers >= 1
    finally:
        await phone.stop()
        transport.close()
