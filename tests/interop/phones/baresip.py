"""baresip 1.0 as a headless test phone: WAV file in (``aufile``), decoded audio dumped to a WAV
(``sndfile``), driven over ``ctrl_tcp`` (netstring JSON commands and events).

The config lives in a temporary directory (``baresip -f DIR``); the process runs under coreutils
``timeout`` and is stopped by its own PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BARESIP", "Baresip", "stop_process"]

BARESIP = shutil.which("baresip")
MODULES = Path("/usr/lib/baresip/modules")

CONFIG = """\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{sip_port}
{cafile}
{certificate}
call_local_timeout\t120
audio_player\t\taubridge,{name}
audio_alert\t\taubridge,{name}
audio_source\t\taufile,{source}
ausrc_srate\t\t8000
auplay_srate\t\t8000
ausrc_channels\t\t1
auplay_channels\t\t1
rtp_ports\t\t{rtp_low}-{rtp_high}
rtp_timeout\t\t0
module_path\t\t{modules}
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
module_app\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
snd_path\t\t{dump}
"""


async def stop_process(process: asyncio.subprocess.Process, grace: float) -> None:
    """Wait ``grace`` s for ``process`` (a coreutils ``timeout`` wrapper) to exit, then SIGTERM
    it (``timeout`` passes the signal on to the phone), then SIGKILL: killing the wrapper
    alone would leave the phone running."""
    for signal in ("none", "terminate", "kill"):
        if signal == "terminate":
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        elif signal == "kill":
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except TimeoutError:
            continue


def netstring(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    return b"%d:%s," % (len(data), data)


@dataclass
class Baresip:
    """One baresip process; ``events`` collects every ctrl_tcp event (type names in order)."""

    home: Path
    source: Path
    sip_port: int
    ctrl_port: int
    rtp_low: int
    cafile: Path | None = None
    certificate: Path | None = None  # PEM cert + key: TLS listener on sip_port + 1
    process: asyncio.subprocess.Process | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def dump(self) -> Path:
        return self.home / "dump"

    def write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.dump.mkdir(exist_ok=True)
        (self.home / "config").write_text(
            CONFIG.format(
                sip_port=self.sip_port,
                cafile=f"sip_cafile\t\t{self.cafile}" if self.cafile else "",
                certificate=f"sip_certificate\t{self.certificate}" if self.certificate else "",
                name=f"dev{self.sip_port}",
                source=self.source,
                rtp_low=self.rtp_low,
                rtp_high=self.rtp_low + 9,
                modules=MODULES,
                ctrl_port=self.ctrl_port,
                dump=self.dump,
            )
        )
        aor = f"<sip:phone@127.0.0.1:{self.sip_port}>;regint=0;answermode=auto"
        (self.home / "accounts").write_text(aor + "\n")
        (self.home / "contacts").write_text("")

    async def start(self, seconds: int = 60) -> None:
        assert BARESIP is not None
        self.write_config()
        log = (self.home / "baresip.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            "timeout", "-s", "KILL", str(seconds), BARESIP, "-f", str(self.home),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        for _ in range(200):
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    "127.0.0.1", self.ctrl_port
                )
                break
            except OSError:
                if self.process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"baresip ctrl_tcp did not open:\n{self.log()}")
        if self._reader is None:
            raise AssertionError(f"baresip exited:\n{self.log()}")
        self._task = asyncio.create_task(self._read())

    def log(self) -> str:
        path = self.home / "baresip.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    async def _read(self) -> None:
        assert self._reader is not None
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                length = int((await self._reader.readuntil(b":"))[:-1])
                data = await self._reader.readexactly(length + 1)
                message = json.loads(data[:-1])
                if message.get("event"):
                    self.events.append(message)
                    self._changed.set()

    async def command(self, command: str, params: str = "") -> None:
        """Send a menu command (``dial``, ``hangup``, ``sndcode`` …); replies are not awaited."""
        assert self._writer is not None
        self._writer.write(netstring({"command": command, "params": params, "token": "t"}))
        await self._writer.drain()

    def event_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events]

    async def wait_event(self, kind: str, seconds: float = 20.0) -> dict[str, Any]:
        """The first event of type ``kind`` (waits for it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            for event in self.events:
                if event.get("type") == kind:
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {kind} from baresip: {self.event_types()}\n{self.log()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def decoded(self) -> Path | None:
        """The WAV of what the phone heard (sndfile's decoder dump), if any."""
        found = sorted(self.dump.glob("dump-*-dec.wav"))
        return found[-1] if found else None

    async def stop(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self.command("quit")
            self._writer.close()
        if self.process is not None and self.process.returncode is None:
            await stop_process(self.process, 5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- the Phone interface used by the scenarios ------------------------------------------

    name = "baresip"

    def target_uri(self, number: str, host: str, port: int, transport: str) -> str:
        """baresip 1.0's ``dial`` prefixes anything not starting with ``sip:`` with ``sip:``,
        so a ``sips:`` URI cannot be dialled; TLS is asked for with ``transport=tls``."""
        return f"sip:{number}@{host}:{port};transport={transport}"

    def contact_uri(self, transport: str) -> str:
        """Where the TAS calls this phone (TLS listens on ``sip_port + 1``)."""
        if transport == "tls":
            return f"sips:phone@127.0.0.1:{self.sip_port + 1}"
        return f"sip:phone@127.0.0.1:{self.sip_port};transport={transport}"

    async def dial(self, uri: str) -> None:
        await self.command("dial", uri)

    async def wait_established(self, seconds: float = 20.0) -> None:
        await self.wait_event("CALL_ESTABLISHED", seconds)

    async def wait_closed(self, seconds: float = 20.0) -> None:
        await self.wait_event("CALL_CLOSED", seconds)

    async def send_dtmf(self, digit: str) -> None:
        await self.command("sndcode", digit)

    async def hangup(self) -> None:
        await self.command("hangup")

    def dtmf_received(self) -> str:
        return "".join(
            str(e.get("param", "?")) for e in self.events if e.get("type") == "CALL_DTMF_START"
        )

    def heard(self) -> Path | None:
        return self.decoded()
