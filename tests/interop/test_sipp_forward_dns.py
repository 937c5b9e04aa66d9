"""Issue 13 row 8 against real peers, over UDP and TCP: a forward policy to a ``sip:`` URI
with a host name (RFC 3263). SIPp plays the operator core and calls an in-process ``tas serve``;
the policy forwards the leg to ``sip:+4790000001@udp.voice.test`` (or ``tcp.``), which a real DNS server
(dnsmasq on loopback, :mod:`tests.dnsmasq`) resolves NAPTR -> SRV -> A to, in priority order:

* (TCP only) a port where nothing listens: the connection is refused;
* a SIPp answering 503 (``uas_503.xml``);
* SIPp's built-in ``uas``, which answers; the call goes on to the caller's BYE.

The failed attempts are recorded as failed legs; the caller's SIPp counts one successful call,
so the 503 never reached it (RFC 3263 §4.3).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.policy import Action, Policy
from tas.calls.records import Outcome
from tas.server import TasServer
from tests.dnsmasq import Dnsmasq, dnsmasq
from tests.integration.calls.calls_helpers import SUBSCRIBER, register, server_settings, settled
from tests.interop.conftest import free_port, run_sipp
from tests.interop.sipp_uas import sipp_finished, start_sipp_uas

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class Forwarding:
    """The running server, its DNS server and the SRV targets' ports."""

    server: TasServer
    dns: Dnsmasq
    busy_port: int
    uas_port: int


@pytest.fixture
async def forwarding(tmp_path: Path) -> AsyncIterator[Forwarding]:
    """``tas serve`` in-process, its RFC 3263 resolver pointed at dnsmasq serving
    ``udp.voice.test`` (NAPTR ``SIP+D2U`` only) and ``tcp.voice.test`` (``SIP+D2T`` only)."""
    busy_port, uas_port, dead_port = free_port(), free_port(), free_port()
    records = []
    for proto, service in (("udp", "SIP+D2U"), ("tcp", "SIP+D2T")):
        srv = f"_sip._{proto}.{proto}.voice.test"
        records.append(f"--naptr-record={proto}.voice.test,10,50,S,{service},,{srv}")
        if proto == "tcp":  # a refused connection is seen at once over TCP only
            records.append(f"--srv-host={srv},dead.voice.test,{dead_port},5,0")
        records += [
            f"--srv-host={srv},busy.voice.test,{busy_port},10,0",
            f"--srv-host={srv},uas.voice.test,{uas_port},20,0",
        ]
    records += [f"--host-record={name}.voice.test,127.0.0.1" for name in ("dead", "busy", "uas")]
    with dnsmasq(tmp_path, records) as dns:
        settings = server_settings(tmp_path / "data")
        settings.dns.nameservers = [dns.nameserver]
        server = TasServer(settings)
        await server.start()
        try:
            yield Forwarding(server, dns, busy_port, uas_port)
        finally:
            await server.stop(grace=2.0)


@pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])
async def test_forward_to_a_host_name_fails_over_to_the_answering_sipp(
    sipp: str, forwarding: Forwarding, tmp_path: Path, transport: str
) -> None:
    server = forwarding.server
    proto = "udp" if transport == "u1" else "tcp"
    target = f"sip:+4790000001@{proto}.voice.test"
    await register(server, SUBSCRIBER, Route.LOOP)
    await server.app.policies.put(Policy(SUBSCRIBER, Action.FORWARD, target=target))
    busy = await start_sipp_uas(
        sipp, tmp_path / "busy", forwarding.busy_port, transport, scenario=SCENARIOS / "uas_503.xml"
    )
    uas = await start_sipp_uas(sipp, tmp_path / "uas", forwarding.uas_port, transport)
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", "-sn", "uac", "-t", transport, "-m", "1", "-d", "500",
        "-i", "127.0.0.1", "-p", str(free_port()), "-s", SUBSCRIBER,
        "-timeout", "30", "-timeout_error",
    ]  # fmt: skip
    code, stats, errors = await asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40)
    assert code == 0, f"caller sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    await sipp_finished(busy, tmp_path / "busy")
    await sipp_finished(uas, tmp_path / "uas")
    await settled(server, 10.0)
    srv = f"_sip._{proto}.{proto}.voice.test"
    assert forwarding.dns.queries()[:2] == [f"NAPTR {proto}.voice.test", f"SRV {srv}"]
    caller_leg, *attempts, answered = server.app.journals
    failed = [(a.record.status, a.record.outcome) for a in attempts]
    assert failed == [(503, Outcome.FAILED.value)] * (2 if proto == "tcp" else 1)
    assert caller_leg.record.outcome == answered.record.outcome == Outcome.FORWARDED.value
    assert answered.record.callee == target
    assert "answered" in answered.kinds and "bye" in caller_leg.kinds
