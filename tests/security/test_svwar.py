"""sipvicious ``svwar -m INVITE`` (PyPI) from 127.0.0.2 against ``tas serve``: it finds none
of the registered numbers (issue #10, Must show 1); the same scan from the trusted core's
address does find one, so the test can fail. ``--force`` makes it scan even though the
probe for a random extension already gets a 403. svwar treats an answer equal to that probe's
that is not a 404 as the end of the scan, so with the default 403 it stops at the first number;
with ``[untrusted] status = 404`` it compares every number's answer with the probe's and would
report any difference as an extension."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.server import TasServer
from tests.integration.calls.calls_helpers import register
from tests.security.peers import ATTACKER, TRUSTED

REGISTERED = {
    "+4799990201": Route.FALLBACK,
    "+4799990202": Route.FORK,
    "+4799990203": Route.LOOP,
    "+4799990204": Route.LOOP,  # with a forward policy
    "+4799990205": Route.LOOP_MO,
}
UNREGISTERED = ["+4799990290", "+4799990291", "100", "1000"]


async def scan(words: Path, source: str, host: str, port: int) -> str:
    """svwar -m INVITE over ``words`` from ``source`` (bounded: 60 s, then SIGKILL)."""
    assert importlib.util.find_spec("sipvicious"), "pip install -e '.[dev]' (sipvicious)"
    process = await asyncio.create_subprocess_exec(
        "timeout", "-s", "KILL", "60", sys.executable, "-m", "tests.security.svwar_bound",
        "-m", "INVITE", "--force", "-d", str(words), "-b", source, "-P", "0",
        "-p", str(port), host,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 90)
    text = output.decode(errors="replace")
    assert process.returncode != -9, text  # not killed by the timeout
    return text


@pytest.mark.parametrize(("status", "reason"), [(403, "Forbidden"), (404, "Not Found")])
async def test_svwar_invite_scan_finds_no_extension(
    server: TasServer, tmp_path: Path, status: int, reason: str
) -> None:
    assert (server.app.gate.status, server.app.gate.reason) == (403, "Forbidden")  # default
    server.app.gate.status, server.app.gate.reason = status, reason  # as [untrusted] sets it
    # MO legs carry an MO prefix (as operators configure it): svwar's INVITEs have From = To,
    # which without one is the subscriber calling their own number, i.e. the mailbox menu
    for number, route in REGISTERED.items():
        await register(server, number, route, mo="1")
    await server.app.policies.put(Policy("+4799990204", Action.FORWARD, target="+4790011111"))
    words = tmp_path / "numbers.txt"
    words.write_text("\n".join([*REGISTERED, *UNREGISTERED]) + "\n")
    host, port = server.stack.local["UDP"]
    refused_before = server.app.gate.refused
    text = await scan(words, ATTACKER, host, port)
    assert "found nothing" in text, text
    assert "exists" not in text and "| Extension" not in text, text
    if status == 404:  # a full scan: every probe (random extension + list) got the one answer
        assert "not found" in text.lower() or "found nothing" in text
        assert server.app.gate.refused - refused_before >= 1 + len(REGISTERED) + len(UNREGISTERED)
    assert server.app.journals == []
    # control: the same scan from the core's address tells registered numbers apart
    text = await scan(words, TRUSTED, host, port)
    assert any(number in text for number in REGISTERED), text
