"""``tas originate`` places an INGRESS call through the (embedded sandbox) core over TLS: the
registered handset answers and hears the WAV; a number without INGRESS is refused (403)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from media import tones
from registrations.model import Route
from tas.server import TasServer
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import OTHER, SUBSCRIBER, register


def _originate(server: TasServer, number: str, *extra: str) -> subprocess.CompletedProcess[str]:
    assert server.core is not None
    host, port = server.core.address("TLS")
    toml = server.settings.data_dir / "tas.toml"
    toml.write_text(f'data_dir = "{server.settings.data_dir}"\n')
    return subprocess.run(
        ["timeout", "60", sys.executable, "-m", "tas", "originate", number,
         "--core", f"sips:{host}:{port}", "--config", str(toml), "--json", *extra],
        capture_output=True, text=True, timeout=70,
    )  # fmt: skip


async def test_originate_reaches_the_ingress_handset(server: TasServer, tmp_path: Path) -> None:
    assert server.core is not None
    await register(server, SUBSCRIBER, Route.INGRESS)
    wav = tmp_path / "hello.wav"
    wav.write_bytes(pcm16_wav(tones.tone([700.0], 0.3)))
    done = await asyncio.to_thread(
        _originate, server, SUBSCRIBER, "--from", OTHER, "--play", str(wav)
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["route"], record["callee"], record["status"]) == ("ingress", SUBSCRIBER, 200)
    assert record["outcome"] == "answered-by-handset"
    assert [h.number for h in server.core.handsets.history] == [SUBSCRIBER]


async def test_originate_without_ingress_is_refused(server: TasServer) -> None:
    done = await asyncio.to_thread(_originate, server, SUBSCRIBER)
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"] == 403
