"""MWI over real UDP against ``tas serve``'s stack (a raw socket as the subscriber): a SUBSCRIBE
without credentials gets 401 and no NOTIFY; a wrong password 401 again; the digest-authenticated
SUBSCRIBE (SHA-256, RFC 8760) gets 200 and an immediate NOTIFY; a deposited message (the store
written by another path than the call) gives ``Messages-Waiting: yes``, marking it played
``no`` with ``0/1``; ``Expires: 0`` ends it with ``terminated``."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from media import tones
from tas.server import TasServer
from tas.sip.digest import authorization, parse_challenge
from tas.sip.message import Request, Response
from tas.sip.parser import parse_message
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import CALLER, SUBSCRIBER, server_settings

pytestmark = [pytest.mark.slow]

PASSWORD = "Mwi-pass-42"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    settings = server_settings(tmp_path / "data")
    settings.mwi.enabled = True
    settings.mwi.passwords = {SUBSCRIBER: SecretStr(PASSWORD)}
    settings.mwi.poll_interval = 0.2
    running = TasServer(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=2.0)


class Subscriber:
    """A raw UDP socket speaking just enough SIP to subscribe and answer NOTIFYs."""

    def __init__(self, tas: tuple[str, int]) -> None:
        self.tas = tas
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.cseq = itertools.count(1)
        self.to_tag: str | None = None

    def subscribe(self, expires: int, auth: str | None = None) -> bytes:
        host, port = self.tas
        lines = [
            f"SUBSCRIBE sip:{SUBSCRIBER}@{host}:{port} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{next(self.cseq)}x;rport",
            "Max-Forwards: 70",
            f"From: <sip:{SUBSCRIBER}@{host}>;tag=raw1",
            f"To: <sip:{SUBSCRIBER}@{host}>" + (f";tag={self.to_tag}" if self.to_tag else ""),
            "Call-ID: raw-mwi-1",
            f"CSeq: {next(self.cseq)} SUBSCRIBE",
            f"Contact: <sip:{SUBSCRIBER}@127.0.0.1:{self.port}>",
            "Event: message-summary",
            f"Expires: {expires}",
        ]
        if auth:
            lines.append(f"Authorization: {auth}")
        return ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendto(self.sock, data, self.tas)

    async def receive(self, seconds: float = 5.0) -> Request | Response:
        data = await asyncio.wait_for(
            asyncio.get_running_loop().sock_recv(self.sock, 65536), seconds
        )
        return parse_message(data)

    async def notify(self, seconds: float = 5.0) -> Request:
        """The next NOTIFY, answered 200."""
        message = await self.receive(seconds)
        assert isinstance(message, Request) and message.method == "NOTIFY", message
        await self.send(bytes(message.create_response(200)))
        return message

    async def authed(self, expires: int, password: str = PASSWORD) -> Response:
        await self.send(self.subscribe(expires))
        challenge = await self.receive()
        assert isinstance(challenge, Response) and challenge.status == 401
        value = challenge.headers.get("WWW-Authenticate")
        assert value is not None and "algorithm=SHA-256" in value
        host, port = self.tas
        cred = authorization(
            parse_challenge(value),
            method="SUBSCRIBE",
            uri=f"sip:{SUBSCRIBER}@{host}:{port}",
            username=SUBSCRIBER,
            password=password,
            cnonce="0a4f113b",
        )
        await self.send(self.subscribe(expires, cred))
        response = await self.receive()
        assert isinstance(response, Response)
        return response


async def test_401_then_authenticated_subscribe_and_notifies(server: TasServer) -> None:
    ua = Subscriber(server.stack.local["UDP"])
    try:
        await ua.send(ua.subscribe(600))
        first = await ua.receive()
        assert isinstance(first, Response) and first.status == 401
        wrong = await ua.authed(600, password="not-it")
        assert wrong.status == 401  # and nothing else follows
        with pytest.raises(TimeoutError):
            await ua.receive(0.5)

        ok = await ua.authed(600)
        assert ok.status == 200 and ok.headers.get("Expires") == "600"
        ua.to_tag = ok.to.tag
        initial = await ua.notify()
        assert initial.headers.get("Subscription-State") == "active;expires=600"
        assert b"Messages-Waiting: no" in initial.body

        wav = pcm16_wav(tones.tone([600.0], 1.5))
        message = await server.voicemail.deposit(SUBSCRIBER, CALLER, wav)
        new = await ua.notify()
        assert b"Messages-Waiting: yes" in new.body and b"Voice-Message: 1/0 (0/0)" in new.body
        await server.voicemail.mark_played(message.voicemail_id)
        played = await ua.notify()
        assert b"Messages-Waiting: no" in played.body and b"Voice-Message: 0/1" in played.body

        bye = await ua.authed(0)
        assert bye.status == 200
        last = await ua.notify()
        assert (last.headers.get("Subscription-State") or "").startswith("terminated")
        assert len(server.mwi.table) == 0
    finally:
        ua.sock.close()
