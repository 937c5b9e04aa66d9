"""An in-process ``tas serve`` (TasServer) with its embedded sandbox core on free loopback ports,
and ``tas call`` run through click in a worker thread (its own event loop) against it.

Numbers the sandbox knows: BUSY_VM is registered FALLBACK for the TAS with a busy handset
(calls go to voicemail: 0.4 s greeting, beep, recording), ECHO's handset echoes RTP,
SILENT's handset never answers, ANNOUNCE is registered LOOP with an ``answer`` policy (the
TAS answers through the core, plays its three-note chime and hangs up), any other number's
handset answers with a 440 Hz tone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from media import tones
from registrations.model import Registration, Route
from tas.config import Settings
from tas.demo import ephemeral
from tas.harness.cli import call
from tas.server import TasServer
from tas.voicemail import Reason
from tas.voicemail.wavfile import pcm16_wav

ANSWER = "+4799990000"
BUSY_VM = "+4799990001"
CALLER = "+4799990002"
ECHO = "+4799990005"
SILENT = "+4799990006"
ANNOUNCE = "+4799990007"
TOKEN = "harness-token"


def harness_settings(data_dir: Path) -> Settings:
    settings = ephemeral(Settings(data_dir=data_dir))
    settings.sandbox.answer_delay = 0.1
    settings.sandbox.no_answer_timeout = 5.0
    settings.sandbox.subscribers = {BUSY_VM: "busy", ECHO: "echo:0.05", SILENT: "no-answer"}
    settings.voicemail.silence_timeout = 3.0
    settings.voicemail.min_seconds = 1.0
    settings.voicemail.api_tokens = [TOKEN]
    settings.events.enabled = False
    # The harness runs its load in the server's own event loop: the lag it causes is the test
    # client's, not an overloaded server's, so the lag signal (tas.transport.guard) is off here.
    settings.limits.lag_threshold = 0.0
    return settings


async def start_server(settings: Settings) -> TasServer:
    server = TasServer(settings)
    await server.start()
    return server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    running = await start_server(harness_settings(tmp_path / "data"))
    try:
        await register_fallback(running, BUSY_VM)
        await register_announcement(running, ANNOUNCE)
        yield running
    finally:
        await running.stop(grace=1.0)


async def register(server: TasServer, number: str, route: Route) -> None:
    """A registration through the sandbox's SipBreakout gRPC API for our sips: URI."""
    from registrations.client import SipBreakoutClient, Target

    assert server.sips_uri is not None and server.plane is not None
    target = Target(server.plane.address, tls=False, authenticated=False)
    async with SipBreakoutClient(target) as client:
        await client.upsert(Registration(number, route, server.sips_uri, "", ""))


async def register_announcement(server: TasServer, number: str) -> None:
    """LOOP registration + an ``answer`` policy: the TAS answers the core's leg itself."""
    from tas.calls.policy import Action, Policy
    from tas.calls.policy_store import PolicyStore

    await register(server, number, Route.LOOP)
    await PolicyStore(server.db).put(Policy(number, Action.ANSWER))


async def register_fallback(server: TasServer, number: str) -> None:
    """FALLBACK registration (the handset is busy: voicemail); short greetings."""
    await register(server, number, Route.FALLBACK)
    greeting = pcm16_wav(tones.tone([500.0], 0.4))
    for reason in Reason:
        server.voicemail.greetings.set_greeting(number, reason, greeting)


def core_of(server: TasServer) -> str:
    assert server.core is not None
    host, port = server.core.address("UDP")
    return f"{host}:{port}"


def tas_uri(server: TasServer, transport: str = "UDP", user: str = "harness") -> str:
    host, port = server.stack.local[transport]
    scheme = "sips" if transport == "TLS" else "sip"
    suffix = ";transport=tcp" if transport == "TCP" else ""
    return f"{scheme}:{user}@{host}:{port}{suffix}"


async def tas_call(*args: str) -> Result:
    """``tas call ARGS`` in a worker thread (the CLI runs its own event loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, call, list(args), catch_exceptions=False)
