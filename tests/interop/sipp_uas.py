"""SIPp as the called side, shared by the tests that put our UAC (or the TAS forwarding) against
it: start a SIPp UAS (built-in ``uas`` or a scenario file) under ``timeout``, wait until it
listens, and check it ended well. The caller stops what it started (:func:`sipp_finished`)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tas.transport.stack_options import StackOptions

__all__ = ["sipp_finished", "start_sipp_uas", "uac_towards", "wait_listening"]


async def wait_listening(port: int, transport: str) -> None:
    """Wait until SIPp accepts connections (TCP, bounded: 100 tries); UDP INVITEs are
    retransmitted anyway, so a short pause is enough."""
    if transport.upper() in ("UDP", "U1"):
        await asyncio.sleep(0.3)
        return
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise AssertionError("sipp did not start listening")


async def start_sipp_uas(
    sipp: str,
    tmp_path: Path,
    port: int,
    transport: str,
    *,
    scenario: Path | None = None,
    calls: int = 1,
    kill_after: int = 60,
    stats: Path | None = None,
    extra: Sequence[str] = (),
) -> asyncio.subprocess.Process:
    """SIPp's UAS on 127.0.0.1:``port`` (``transport`` UDP/TCP, or SIPp's ``u1``/``t1``) for
    ``calls`` calls: the built-in ``uas`` or ``scenario``; errors in ``tmp_path/err.log`` (the
    folder is made), statistics in ``stats``. Returns once it listens; killed after
    ``kill_after`` s whatever happens."""
    mode = "u1" if transport.upper() in ("UDP", "U1") else "t1"
    await asyncio.to_thread(tmp_path.mkdir, parents=True, exist_ok=True)
    what = ["-sf", str(scenario)] if scenario is not None else ["-sn", "uas"]
    args = [
        "-s", "KILL", str(kill_after), sipp, *what, "-t", mode, "-i", "127.0.0.1",
        "-p", str(port), "-m", str(calls), "-nostdin", "-trace_err",
        "-error_file", str(tmp_path / "err.log"),
    ]  # fmt: skip
    if stats is not None:
        args += ["-trace_stat", "-stf", str(stats)]
    process = await asyncio.create_subprocess_exec(
        "timeout",
        *args,
        *extra,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await wait_listening(port, transport)
    return process


async def sipp_finished(
    process: asyncio.subprocess.Process, tmp_path: Path, seconds: float = 30.0
) -> None:
    """Wait for SIPp to exit (killed after ``seconds``) and assert it exited 0."""
    try:
        code = await asyncio.wait_for(process.wait(), seconds)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    errors = tmp_path / "err.log"
    assert code == 0, errors.read_text()[-2000:] if errors.exists() else f"sipp exit {code}"


def uac_towards(port: int, transport: str) -> tuple[StackOptions, str]:
    """Options for our UAC on one ``transport`` (UDP or TCP, any port) and the request URI of
    the SIPp UAS on ``port``."""
    listen = ("127.0.0.1:0",)
    udp = transport.upper() == "UDP"
    opts = StackOptions(udp=listen, tcp=()) if udp else StackOptions(udp=(), tcp=listen)
    return opts, f"sip:service@127.0.0.1:{port};transport={transport.lower()}"
