"""pjsua2 2.15 (PyPI ``pjsua2-python`` wheel) as a test phone: :mod:`pjsua_agent` in a child
process under coreutils ``timeout``, commands on its stdin, ``EVENT`` lines on its stdout.

Unlike baresip 1.0 and linphonec, pjsua2 dials ``sips:`` URIs as they are (RFC 3261 §26.2)
and checks that a SIPS dialog gets a SIPS Contact (it hangs up with 381 otherwise)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tas.transport.tls import ensure_self_signed
from tests.interop.phones.baresip import stop_process

__all__ = ["PJSUA2", "Pjsua"]

PJSUA2 = importlib.util.find_spec("pjsua2") is not None


@dataclass
class Pjsua:
    home: Path
    source: Path
    sip_port: int
    tls_port: int
    rtp_port: int
    name: str = "pjsua2"
    process: asyncio.subprocess.Process | None = None
    events: list[str] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def recording(self) -> Path:
        return self.home / "heard.wav"

    async def start(self, seconds: int = 60) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        cert, key = ensure_self_signed(self.home / "tls", "127.0.0.1")
        config = self.home / "pjsua.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.sip_port, "tls_port": self.tls_port, "rtp_port": self.rtp_port,
                    "source": str(self.source), "record": str(self.recording),
                    "cert": str(cert), "key": str(key), "log": str(self.home / "pjsua.log"),
                }
            )
        )  # fmt: skip
        self.process = await asyncio.create_subprocess_exec(
            "timeout", "-s", "KILL", str(seconds), sys.executable, "-m",
            "tests.interop.phones.pjsua_agent", str(config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=(self.home / "stderr.txt").open("wb"),
        )  # fmt: skip
        self._task = asyncio.create_task(self._read())
        await self.wait_event("ready", 20)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith("EVENT "):
                self.events.append(line[6:])
                self._changed.set()

    async def send(self, line: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def wait_event(self, prefix: str, seconds: float = 20.0) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            for event in self.events:
                if event.startswith(prefix):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"pjsua2: no {prefix!r} in {self.events}\n{self.log()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def log(self) -> str:
        parts = []
        for name in ("stderr.txt", "pjsua.log"):
            path = self.home / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    # -- the Phone interface used by the scenarios ------------------------------------------

    def target_uri(self, number: str, host: str, port: int, transport: str) -> str:
        if transport == "tls":
            return f"sips:{number}@{host}:{port}"
        return f"sip:{number}@{host}:{port};transport={transport}"

    def contact_uri(self, transport: str) -> str:
        if transport == "tls":
            return f"sips:pj@127.0.0.1:{self.tls_port}"
        return f"sip:pj@127.0.0.1:{self.sip_port};transport={transport}"

    async def dial(self, uri: str) -> None:
        await self.send(f"dial {uri}")

    async def wait_established(self, seconds: float = 20.0) -> None:
        await self.wait_event("established", seconds)

    async def wait_closed(self, seconds: float = 20.0) -> None:
        await self.wait_event("closed", seconds)

    async def send_dtmf(self, digit: str) -> None:
        await self.send(f"dtmf {digit}")

    async def hangup(self) -> None:
        await self.send("hangup")

    def dtmf_received(self) -> str:
        return "".join(e.split()[1] for e in self.events if e.startswith("dtmf "))

    def heard(self) -> Path | None:
        return self.recording if self.recording.exists() else None

    async def stop(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.send("quit")
            await stop_process(process, 8)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
