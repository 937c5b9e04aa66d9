"""linphonec (linphone-cli 5.1, Debian) as a headless test phone.

linphonec only runs its core (SIP, media) while readline waits on a terminal, so it gets a
pseudo-terminal as stdin/stdout; commands are written to it and its status lines read back::

    soundcard use files / play FILE / record FILE   WAV in and out instead of a sound card
    call URI / terminate / a lone digit (RFC 4733)  call control
    "Call 1 with … connected." / "… ended (…)." / "Receiving tone 5 from …"   what we wait for

The config (``-c``) sets the ports, a fixed jitter buffer (the adaptive one time-shifts
playout by a few ms now and then, which a single-lag correlation reads as distortion) and
``verify_server_certs=0`` (the TAS's certificate is self-signed). ``-a`` answers
automatically. HOME is a temporary folder; the process runs under coreutils ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tests.interop.phones.baresip import stop_process

__all__ = ["LINPHONEC", "Linphone"]

LINPHONEC = shutil.which("linphonec")

CONFIG = """\
[sip]
sip_port={sip_port}
sip_tcp_port={sip_port}
sip_tls_port={tls_port}
verify_server_certs=0
verify_server_cn=0
guess_hostname=1
contact=sip:lp@127.0.0.1
inc_timeout=30
in_call_timeout=0
media_encryption=none
[rtp]
audio_rtp_port={rtp_port}
audio_jitt_comp=60
audio_adaptive_jitt_comp_enabled=0
nortp_timeout=30
[sound]
echocancellation=0
[video]
enabled=0
capture=0
display=0
"""

ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


@dataclass
class Linphone:
    """One linphonec process on a pseudo-terminal; ``lines`` is everything it printed."""

    home: Path
    source: Path
    sip_port: int
    tls_port: int
    rtp_port: int
    name: str = "linphonec"
    process: asyncio.subprocess.Process | None = None
    lines: list[str] = field(default_factory=list)
    _master: int = -1
    _buffer: bytes = b""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def recording(self) -> Path:
        return self.home / "heard.wav"

    async def start(self, seconds: int = 60) -> None:
        assert LINPHONEC is not None
        (self.home / ".local" / "share" / "linphone").mkdir(parents=True, exist_ok=True)
        config = self.home / "linphonerc"
        config.write_text(
            CONFIG.format(sip_port=self.sip_port, tls_port=self.tls_port, rtp_port=self.rtp_port)
        )
        master, slave = pty.openpty()
        self._master = master
        env = dict(os.environ, HOME=str(self.home), TERM="dumb")
        self.process = await asyncio.create_subprocess_exec(
            "timeout", "-s", "KILL", str(seconds), LINPHONEC, "-c", str(config), "-a",
            "-d", "6", "-l", str(self.home / "linphone.log"),
            stdin=slave, stdout=slave, stderr=slave, env=env,
        )  # fmt: skip
        os.close(slave)
        asyncio.get_running_loop().add_reader(master, self._readable)
        await self.wait_line("linphonec>", 15)
        for line in ("soundcard use files", f"play {self.source}", f"record {self.recording}"):
            await self.send(line)
        await self.wait_line("Using wav files", 10)
        await self._listening(10)

    async def _listening(self, seconds: float) -> None:
        """Wait until the SIP port accepts TCP connections (the core has started)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.sip_port)
                writer.close()
                return
            if loop.time() > deadline:
                raise AssertionError(f"linphonec does not listen on {self.sip_port}")
            await asyncio.sleep(0.1)

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._master)
            return
        self._buffer += ANSI.sub(b"", data).replace(b"\r", b"")
        *complete, self._buffer = self._buffer.split(b"\n")
        self.lines.extend(x.decode(errors="replace") for x in complete)
        if self._buffer.startswith(b"linphonec>"):
            self.lines.append("linphonec>")
            self._buffer = self._buffer[len(b"linphonec>") :]
        self._changed.set()

    async def send(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\n")
        await asyncio.sleep(0.05)

    async def wait_line(self, pattern: str, seconds: float = 20.0) -> str:
        """The first printed line matching ``pattern`` (a regex), waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        regex = re.compile(pattern)
        while True:
            for line in self.lines:
                if regex.search(line):
                    return line
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"linphonec never printed {pattern!r}:\n{self.log()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def log(self) -> str:
        return "\n".join(self.lines[-40:])

    # -- the Phone interface used by the scenarios ------------------------------------------

    def target_uri(self, number: str, host: str, port: int, transport: str) -> str:
        """linphonec's ``call`` rewrites ``sips:`` to ``sip:``; with ``transport=tls`` the call
        still goes over TLS (a bare ``sips:`` URI goes over UDP), as ``sip:…;transport=tls``."""
        if transport == "tls":
            return f"sips:{number}@{host}:{port};transport=tls"
        return f"sip:{number}@{host}:{port};transport={transport}"

    def contact_uri(self, transport: str) -> str:
        if transport == "tls":
            return f"sips:lp@127.0.0.1:{self.tls_port}"
        return f"sip:lp@127.0.0.1:{self.sip_port};transport={transport}"

    async def dial(self, uri: str) -> None:
        await self.send(f"call {uri}")

    async def wait_established(self, seconds: float = 20.0) -> None:
        await self.wait_line(r"Call \d+ with .* connected\.", seconds)

    async def wait_closed(self, seconds: float = 20.0) -> None:
        await self.wait_line(r"Call \d+ with .* (ended|error)", seconds)

    async def send_dtmf(self, digit: str) -> None:
        await self.send(digit)

    async def hangup(self) -> None:
        await self.send("terminate")

    def dtmf_received(self) -> str:
        found = (re.search(r"Receiving tone (.) from", line) for line in self.lines)
        return "".join(m.group(1) for m in found if m)

    def heard(self) -> Path | None:
        return self.recording if self.recording.exists() else None

    async def stop(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(OSError):
                await self.send("quit")
            await stop_process(process, 8)
        if self._master >= 0:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            self._master = -1
