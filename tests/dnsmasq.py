"""A real DNS server for the RFC 3263 tests: Debian's ``dnsmasq`` on 127.0.0.1, authoritative
for ``.test`` only (``--local=/test/``, no upstream, no /etc/hosts), with the NAPTR, SRV and A
records a test gives, on a port of the dns range (26000-26999). Every query is logged to a file
so a test can count what reached the server. Started and stopped by PID."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if os.path.exists("/usr/sbin/dnsmasq") else None
)
PORTS = range(26000, 27000)


class Dnsmasq:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def queries(self) -> list[str]:
        """``"<type> <name>"`` of every query received so far, in order (not the start-up
        probes, ``SOA test``)."""
        found = []
        for line in self.log.read_text().splitlines() if self.log.exists() else []:
            _, _, rest = line.partition(": query[")
            if rest:
                rdtype, _, tail = rest.partition("] ")
                found.append(f"{rdtype} {tail.split(' from ')[0]}")
        return [q for q in found if q != "SOA test"]


def _free_udp_port(start: int) -> int:
    for offset in range(len(PORTS)):
        port = PORTS[(start + offset) % len(PORTS)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 26000-26999")


def _answers(port: int) -> bool:
    """Whether something answers a DNS query on the port (a raw SOA query for ``test``)."""
    query = bytes.fromhex("abcd01000001000000000000") + b"\x04test\x00" + b"\x00\x06\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.2)
        udp.sendto(query, ("127.0.0.1", port))
        try:
            return udp.recv(512)[:2] == b"\xab\xcd"
        except OSError:
            return False


@contextmanager
def dnsmasq(tmp_path: Path, records: Sequence[str], *, ttl: int = 60) -> Iterator[Dnsmasq]:
    """dnsmasq serving ``records`` (``--naptr-record=…``, ``--srv-host=…``, ``--host-record=…``
    options) with TTL ``ttl`` for all of them."""
    if DNSMASQ is None:
        pytest.skip("dnsmasq is not installed (apt-get install dnsmasq-base)")
    log = tmp_path / "dnsmasq.log"
    for _ in range(5):
        port = _free_udp_port(os.getpid() + int(time.monotonic() * 1000))
        args = [
            DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-daemon",
            f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--pid-file=", "--local=/test/", f"--local-ttl={ttl}", "--log-queries",
            f"--log-facility={log}", *records,
        ]  # fmt: skip
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5.0
        while process.poll() is None and time.monotonic() < deadline and not _answers(port):
            time.sleep(0.05)
        if process.poll() is None and _answers(port):
            break
        process.kill()
        process.wait()
    else:
        raise RuntimeError("dnsmasq did not start")
    server = Dnsmasq(process, port, log)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
