"""A forward policy to ``sip:+47…@voice.test`` placed through RFC 3263 names (dnsmasq on
loopback): NAPTR -> SRV (priority order) -> A, failing over (§4.3) from a target whose TCP port
is closed (connection refused) and from one that answers 503 to SIPp's ``uas``, which answers.
A follow-me step (``ring`` call rule) to the same name fails over the same way."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.journal import CallJournal
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.calls.rules import parse_rule
from tas.calls.rules_store import RuleStore
from tas.dns.resolver import SipResolver
from tas.server import TasServer
from tests.dnsmasq import dnsmasq
from tests.integration.calls.calls_helpers import (
    SUBSCRIBER,
    call_subscriber,
    eventually,
    register,
    server_settings,
    settled,
)
from tests.interop.conftest import free_port
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas
from tests.naive_sip import header_map

pytestmark = pytest.mark.timeout(90)

TARGET = "sip:+4790000001@voice.test"


class Busy503:
    """A TCP SIP peer that answers every INVITE with 503 Service Unavailable."""

    def __init__(self) -> None:
        self.invites = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                h = header_map(head.decode())
                if body := int(h.get("content-length", "0")):
                    await reader.readexactly(body)
                if not head.startswith(b"INVITE "):
                    continue
                self.invites += 1
                to = h["to"] if ";tag=" in h["to"] else f"{h['to']};tag=busy"
                lines = [
                    "SIP/2.0 503 Service Unavailable",
                    f"Via: {h['via']}",
                    f"From: {h['from']}",
                    f"To: {to}",
                    f"Call-ID: {h['call-id']}",
                    f"CSeq: {h['cseq']}",
                    "Content-Length: 0",
                ]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def _sipp() -> str:
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("sipp is not installed (apt-get install sip-tester)")
    return sipp


async def _forwarded_call(
    tmp_path: Path, target: str, nameservers: list[str], *, follow_me: bool = False
) -> tuple[int, list[CallJournal], SipResolver]:
    """A LOOP leg forwarded to ``target`` by policy (or by a one-step follow-me rule);
    (caller's status, journals, resolver)."""
    settings = server_settings(tmp_path / "data")
    settings.dns.nameservers = nameservers
    server = TasServer(settings)
    await server.start()
    try:
        assert server.core is not None
        await register(server, SUBSCRIBER, Route.LOOP)
        if follow_me:
            steps = [{"targets": [target], "timeout": 20}]
            rule = parse_rule({"number": SUBSCRIBER, "action": "ring", "steps": steps})
            await RuleStore(server.db).set(SUBSCRIBER, [rule])
            await eventually(lambda: bool(server.directory.rules_for(SUBSCRIBER)))
        else:
            await server.app.policies.put(Policy(SUBSCRIBER, Action.FORWARD, target=target))
        result = await call_subscriber(server, hangup_after=1.0)
        await settled(server)
        return result.status, list(server.app.journals), server.app.resolver
    finally:
        await server.stop(grace=2.0)


@pytest.mark.parametrize("follow_me", [False, True], ids=["policy", "follow-me"])
async def test_forward_by_name_fails_over_to_the_answering_target(
    tmp_path: Path, follow_me: bool
) -> None:
    closed, uas_port = free_port(), free_port()  # nothing listens on ``closed``
    busy = Busy503()
    busy_port = await busy.start()
    records = [
        "--naptr-record=voice.test,10,50,S,SIP+D2T,,_sip._tcp.voice.test",
        f"--srv-host=_sip._tcp.voice.test,dead.voice.test,{closed},10,0",
        f"--srv-host=_sip._tcp.voice.test,busy.voice.test,{busy_port},20,0",
        f"--srv-host=_sip._tcp.voice.test,uas.voice.test,{uas_port},30,0",
        "--host-record=dead.voice.test,127.0.0.1",
        "--host-record=busy.voice.test,127.0.0.1",
        "--host-record=uas.voice.test,127.0.0.1",
    ]
    uas = await start_sipp_uas(_sipp(), tmp_path, uas_port, "TCP")
    try:
        with dnsmasq(tmp_path, records) as dns:
            status, journals, _ = await _forwarded_call(
                tmp_path, TARGET, [dns.nameserver], follow_me=follow_me
            )
            queries = dns.queries()
    finally:
        await sipp_finished(uas, tmp_path)
        await busy.stop()
    assert status == 200
    assert queries[:2] == ["NAPTR voice.test", "SRV _sip._tcp.voice.test"]
    leg2, dead, busy_leg, answered = journals
    assert (dead.record.status, dead.record.outcome) == (503, Outcome.FAILED.value)  # refused
    if follow_me:
        assert [k for k, _ in leg2.notes].count("follow-me") == 1  # one step, three attempts
    assert (busy_leg.record.status, busy_leg.record.outcome) == (503, Outcome.FAILED.value)
    assert busy.invites == 1
    assert leg2.record.outcome == answered.record.outcome == Outcome.FORWARDED.value
    assert answered.record.callee == TARGET


async def test_a_numeric_forward_target_needs_no_resolver(tmp_path: Path) -> None:
    """No ``[dns]`` configured: a numeric target is called with no DNS query at all."""
    uas_port = free_port()
    uas = await start_sipp_uas(_sipp(), tmp_path, uas_port, "UDP")
    try:
        target = f"sip:+4790000001@127.0.0.1:{uas_port}"
        status, journals, resolver = await _forwarded_call(tmp_path, target, [])
    finally:
        await sipp_finished(uas, tmp_path)
    assert status == 200 and len(journals) == 2
    assert resolver.queries_sent == 0 and len(resolver.cache) == 0
