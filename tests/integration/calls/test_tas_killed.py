"""``tas serve`` SIGKILLed in the middle of a recording, then restarted: the committed message
survives, the unfinished one is never listed and its files are cleaned up at the restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from media import tones
from media.session import MediaEngine
from registrations.client import SipBreakoutClient, Target
from registrations.model import Registration, Route
from tas.config import load_settings
from tas.demo import place_call
from tas.voicemail import Greetings, Reason, VoicemailStore
from tas.voicemail.wavfile import pcm16_wav
from tests.integration.calls.calls_helpers import (
    CALLER,
    GREETING_SECONDS,
    SUBSCRIBER,
    eventually,
    media_ports,
)


def _free_ports(count: int) -> list[int]:
    """Ports free for UDP and TCP on 127.0.0.1."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            if port not in ports:
                ports.append(port)
    return ports


class Serve:
    """A ``tas serve`` child process in its own process group."""

    def __init__(self, config: Path, log: Path) -> None:
        env = dict(os.environ)
        env.pop("TAS_CONFIG", None)
        cmd = ["timeout", "-s", "KILL", "120", sys.executable, "-m", "tas", "serve"]
        cmd += ["--config", str(config), "--log-level", "INFO"]
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                cmd, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def wait_ready(self, marks: int) -> None:
        deadline = time.monotonic() + 30
        while self.log.read_text().count("event=ready") < marks:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.05)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def _config(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    names = ("sip", "tls", "grpc", "core", "core_tls", "api")
    low, high = media_ports()
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    data = tmp_path / "data"
    config = tmp_path / "tas.toml"
    config.write_text(
        f'data_dir = "{data}"\n'
        "[sip]\n"
        f'udp = ["127.0.0.1:{ports["sip"]}"]\ntcp = ["127.0.0.1:{ports["sip"]}"]\n'
        f'tls = ["127.0.0.1:{ports["tls"]}"]\n'
        "[events]\nenabled = false\n"
        f"[media]\nport_min = {low}\nport_max = {high}\n"
        "[voicemail]\n"
        f'api = "127.0.0.1:{ports["api"]}"\nsilence_timeout = 10.0\n'
        "[sandbox]\n"
        f'grpc = "127.0.0.1:{ports["grpc"]}"\nsip_port = {ports["core"]}\n'
        f"sip_tls_port = {ports['core_tls']}\n"
        f'subscribers = {{ "{SUBSCRIBER}" = "busy" }}\n'
    )
    greeting = pcm16_wav(tones.tone([500.0], GREETING_SECONDS))
    for reason in Reason:
        Greetings(data / "voicemail" / "greetings").set_greeting(SUBSCRIBER, reason, greeting)
    return config, ports


async def _register(ports: dict[str, int]) -> None:
    target = Target(f"127.0.0.1:{ports['grpc']}", tls=False, authenticated=False)
    async with SipBreakoutClient(target) as client:
        await client.upsert(
            Registration(SUBSCRIBER, Route.FALLBACK, f"sips:127.0.0.1:{ports['tls']}")
        )


async def _listed(config: Path) -> tuple[list[str], list[Path]]:
    settings = load_settings(config)
    store = VoicemailStore.from_settings(settings)
    await store.open()
    try:
        ids = [m.voicemail_id for m in await store.list_messages()]
    finally:
        await store.close()
    root = store.messages_dir
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return ids, files


async def test_sigkill_mid_recording_then_restart(tmp_path: Path) -> None:
    config, ports = _config(tmp_path)
    serve = Serve(config, tmp_path / "tas.log")
    engine = MediaEngine("127.0.0.1", *media_ports())
    core = ("127.0.0.1", ports["core"])
    try:
        await asyncio.to_thread(serve.wait_ready, 1)
        await _register(ports)
        first = await place_call(
            engine, core, CALLER, SUBSCRIBER, speak_after=0.5, message=tones.tone([600.0], 1.5)
        )
        assert first.status == 200
        await eventually(lambda: "event=voicemail_committed" in serve.log.read_text(), 10.0)
        (kept,), _ = await _listed(config)

        parts = tmp_path / "data" / "voicemail" / "messages"
        second = asyncio.ensure_future(
            place_call(
                engine, core, CALLER, SUBSCRIBER, speak_after=0.5, message=tones.tone([600.0], 20)
            )
        )

        def recording() -> bool:
            return any(parts.rglob("*.part")) and any(parts.rglob("*.pending"))

        await eventually(recording, 15.0)
        await asyncio.sleep(1.0)  # well into the recording
        serve.kill()
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)

        ids, files = await _listed(config)
        assert ids == [kept]  # the half-recorded message is not listed
        assert {p.suffix for p in files} == {".wav", ".part", ".pending"}

        serve = Serve(config, tmp_path / "tas.log")
        await asyncio.to_thread(serve.wait_ready, 2)
        assert "temp_removed=1 abandoned=1 adopted=0" in serve.log.read_text()
        assert serve.stop() == 0, serve.log.read_text()[-3000:]
        ids, files = await _listed(config)
        assert ids == [kept]
        assert [p.name for p in files] == [f"{kept}.wav"]
    finally:
        serve.stop()
