"""``tas originate NUMBER --bridge URI`` (click-to-call, issue #15): the command (a separate
process) calls the INGRESS handset through the sandbox core over TLS, then a harness UA at URI
over UDP, and relays the RTP between them: the handset's tone reaches the UA and the UA's
speech and RFC 4733 digits reach the handset; the UA's BYE ends both. A UA that declines ends
the first leg; a refused first leg places no second one; bad input is refused before any call."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from media.session import MediaSession
from media.tones import speech_like
from media.wav import read_wav
from registrations.model import Route
from tas.calls.originate_cli import originate
from tas.sandbox.subscribers import TONE_HZ
from tas.server import TasServer
from tas.transport.stack import StackOptions
from tas.transport.ua import CallHandle, UserAgent
from tests.integration.calls.calls_helpers import SUBSCRIBER, all_but_one_heard, register
from tests.integration.calls.test_mailbox_call_back import RINGBACK_HZ, tone_seconds

pytestmark = pytest.mark.slow

RTP_PORTS = (23100, 23199)  # the command's own RTP ports (this helper's range)


def _originate_bridge(server: TasServer, number: str, uri: str) -> subprocess.CompletedProcess[str]:
    assert server.core is not None
    host, port = server.core.address("TLS")
    toml = server.settings.data_dir / "tas.toml"
    toml.write_text(
        f'data_dir = "{server.settings.data_dir}"\n'
        f"[media]\nport_min = {RTP_PORTS[0]}\nport_max = {RTP_PORTS[1]}\n"
    )
    return subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", "originate", number,
         "--core", f"sips:{host}:{port}", "--bridge", uri, "--ring-timeout", "10",
         "--config", str(toml), "--json"],
        capture_output=True, text=True, timeout=70,
    )  # fmt: skip


@pytest.fixture
async def far_end() -> AsyncIterator[UserAgent]:
    """The harness UA the second leg calls (UDP, ephemeral port)."""
    ua = await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=(), user="bob"))
    try:
        yield ua
    finally:
        await ua.close()


def _uri(ua: UserAgent) -> str:
    host, port = ua.stack.local["UDP"]
    return f"sip:bob@{host}:{port}"


async def test_click_to_call_bridges_the_handset_to_a_sip_uri(
    server: TasServer, far_end: UserAgent, tmp_path: Path
) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.INGRESS)
    said = speech_like(2.0)
    command = asyncio.ensure_future(
        asyncio.to_thread(_originate_bridge, server, SUBSCRIBER, _uri(far_end))
    )
    call: CallHandle = await asyncio.wait_for(far_end.next_call(), 30.0)
    # the handset was called first and has answered
    (handset,) = server.core.handsets.history
    assert handset.number == SUBSCRIBER and handset.outcome == "answered"
    assert handset.media is not None
    handset_heard = handset.media.record(tmp_path / "handset.wav", max_duration=30.0)
    assert b"PCMU" in call.remote_sdp and b"PCMA" not in call.remote_sdp  # the handset's codec
    session, answer = await MediaSession.create(server.engine, call.remote_sdp)
    try:
        await asyncio.sleep(1.2)  # the handset hears ringing meanwhile
        call.answer(answer.encode())
        await asyncio.wait_for(call.wait_confirmed(), 10.0)
        far_heard = session.record(tmp_path / "far.wav", max_duration=30.0)
        await asyncio.sleep(1.0)
        await session.play(said)
        digits = asyncio.ensure_future(handset.media.read_digits(2, inter_digit=5.0))
        await session.send_dtmf("58")  # RFC 4733 events cross the relay too
        assert await asyncio.wait_for(digits, 5.0) == "58"
        await asyncio.sleep(1.0)
        await asyncio.wait_for(call.hangup(), 10.0)  # the URI side hangs up: both end
        far_heard.stop()
        far = await far_heard.wait()
    finally:
        await session.close()
    done = await command
    assert done.returncode == 0, done.stderr
    assert handset.outcome == "ended"
    records = json.loads(done.stdout)
    first, second = records["number"], records["bridge"]
    assert (first["callee"], first["status"], first["outcome"]) == (
        SUBSCRIBER, 200, "answered-by-handset")  # fmt: skip
    assert (second["caller"], second["status"]) == (SUBSCRIBER, 200)
    assert second["callee"] == _uri(far_end)
    assert first["session_id"] == second["session_id"] and first["ended"] and second["ended"]

    assert far.path is not None
    assert tone_seconds(read_wav(far.path).pcm16(), TONE_HZ) >= 1.5  # handset -> URI
    handset_audio = read_wav((await handset_heard.wait()).path or "").pcm16()
    assert tone_seconds(handset_audio, RINGBACK_HZ) >= 0.5
    assert all_but_one_heard(handset_audio, said)  # URI -> handset


async def test_a_declined_bridge_ends_the_first_leg(server: TasServer, far_end: UserAgent) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.INGRESS)
    command = asyncio.ensure_future(
        asyncio.to_thread(_originate_bridge, server, SUBSCRIBER, _uri(far_end))
    )
    call = await asyncio.wait_for(far_end.next_call(), 30.0)
    call.reject(603)
    done = await command
    assert done.returncode == 1
    records = json.loads(done.stdout)
    assert records["bridge"]["status"] == 603 and records["bridge"]["outcome"] == "rejected"
    assert records["number"]["status"] == 200  # it was answered, then hung up by the TAS
    (handset,) = server.core.handsets.history
    assert handset.outcome == "ended"


async def test_a_number_the_core_refuses_places_no_bridge_leg(
    server: TasServer, far_end: UserAgent
) -> None:
    done = await asyncio.to_thread(_originate_bridge, server, SUBSCRIBER, _uri(far_end))
    assert done.returncode == 1  # no INGRESS registration: 403 from the core
    records = json.loads(done.stdout)
    assert records["number"]["status"] == 403 and records["bridge"] is None
    assert far_end._incoming.empty()  # the URI was never called


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["4799990001", "--bridge", "sip:bob@127.0.0.1"], "E.164"),
        (["+4799990001", "--bridge", "tel:+4711"], "sip: or sips:"),
        (["+4799990001", "--bridge", "sip:bob@example.com"], "IP address"),
        (["+4799990001", "--bridge", "not a uri"], "not a SIP URI"),
        (["+4799990001", "--bridge", "sip:bob@127.0.0.1", "--play", "x.wav"], "exclude"),
    ],
)
def test_bad_input_is_refused_before_any_call(
    args: list[str], message: str, tmp_path: Path
) -> None:
    toml = tmp_path / "tas.toml"
    toml.write_text(f'data_dir = "{tmp_path}"\n')
    result = CliRunner().invoke(
        originate, [*args, "--core", "sips:127.0.0.1:5061", "--config", str(toml)]
    )
    assert result.exit_code == 2
    assert message in result.output
