"""SIPp plays the operator core against an in-process ``tas serve`` (issue 13, "Must show"):
each row over UDP and TCP.

* a FORK leg CANCELled with ``Reason: SIP;cause=200`` (RFC 3326) is recorded
  ``answered-elsewhere``, not ``abandoned``;
* a FALLBACK leg carrying only ``History-Info`` (RFC 7044, cause per RFC 4458), or only RFC 4458
  ``target``/``cause`` on the Request-URI, gets the right voicemail reason and greeting;
* a caller with ``P-Asserted-Identity`` + ``Privacy: id`` (RFC 3325/3323) is stored hidden;
* the Reason of the caller's BYE is kept in the leg's milestones, and our own BYE when the
  TAS stops mid-call says ``Reason: Q.850;cause=41``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registrations.model import Route
from tas.calls.records import Outcome
from tas.server import TasServer
from tas.voicemail import Reason
from tests.integration.calls.calls_helpers import (
    CALLER,
    SUBSCRIBER,
    register,
    running_server,
    settled,
    short_greetings,
)
from tests.interop.conftest import free_port, run_sipp

PCAP = Path("/usr/share/sip-tester/g711a.pcap")  # the caller's audio, played by SIPp

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]
NEEDS_PCAP = pytest.mark.skipif(not PCAP.is_file(), reason=f"{PCAP} is missing (sip-tester)")

SCENARIOS = Path(__file__).parent / "scenarios"
TRANSPORTS = pytest.mark.parametrize("transport", ["u1", "t1"], ids=["udp", "tcp"])


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    async for running in running_server(tmp_path / "data"):
        yield running


async def _sipp(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, scenario: str, **keys: str
) -> None:
    await _finish(server, _start(sipp, server, tmp_path, transport, scenario, **keys))


def _start(
    sipp: str, server: TasServer, tmp_path: Path, transport: str, scenario: str, **keys: str
) -> asyncio.Future[tuple[int, dict[str, str], str]]:
    host, port = server.stack.local["UDP" if transport == "u1" else "TCP"]
    args = [
        f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-t", transport, "-m", "1",
        "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-timeout", "30",
        "-timeout_error", "-key", "number", SUBSCRIBER,
    ]  # fmt: skip
    for name, value in keys.items():
        args += ["-key", name, value]
    return asyncio.ensure_future(asyncio.to_thread(run_sipp, sipp, tmp_path, args, seconds=40))


async def _finish(
    server: TasServer, running: asyncio.Future[tuple[int, dict[str, str], str]]
) -> None:
    code, stats, errors = await running
    assert code == 0, f"sipp exit {code}: {errors[-3000:]}"
    assert int(stats["SuccessfulCall(C)"]) == 1 and int(stats["FailedCall(C)"]) == 0
    await settled(server, 10.0)


def _greetings(server: TasServer) -> list[str]:
    (leg,) = server.app.journals
    return [detail.split(":")[0] for kind, detail in leg.notes if kind == "greeting"]


@TRANSPORTS
async def test_fork_leg_cancelled_with_reason_200_is_answered_elsewhere(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    await register(server, SUBSCRIBER, Route.FORK)  # default action: observe (ring)
    await _sipp(sipp, server, tmp_path, transport, "uac_cancel_reason.xml")
    (leg,) = server.app.journals
    assert leg.kinds == ["invite", "ringing", "cancel"]
    assert leg.record.outcome == Outcome.ANSWERED_ELSEWHERE.value
    assert "answered elsewhere" in leg.notes[-1][1] and "cause=200" in leg.notes[-1][1]
    stored = await server.app.records.get(leg.record.id)
    assert stored is not None and stored.outcome == "answered-elsewhere"


@NEEDS_PCAP
@TRANSPORTS
@pytest.mark.parametrize(
    ("uri_params", "header", "reason"),
    [
        (  # History-Info only: the voicemail entry carries cause=486, mp names the user
            ";user=phone",
            f"History-Info: <sip:{SUBSCRIBER}@core>;index=1,"
            f" <sip:{SUBSCRIBER}@tas;cause=486>;index=1.1;mp=1",
            Reason.BUSY,
        ),
        (  # RFC 4458 on the Request-URI only
            f";target=sip:%2B{SUBSCRIBER[1:]}%40core;cause=408",
            "Subject: rfc4458",
            Reason.NO_ANSWER,
        ),
    ],
    ids=["history-info", "rfc4458"],
)
async def test_fallback_leg_reason_without_diversion(
    sipp: str,
    server: TasServer,
    tmp_path: Path,
    transport: str,
    uri_params: str,
    header: str,
    reason: Reason,
) -> None:
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    await _sipp(
        sipp, server, tmp_path, transport, "uac_diverted_voicemail.xml",
        uri_params=uri_params, from_user=CALLER, header1=header, header2="Subject: -",
    )  # fmt: skip
    assert _greetings(server) == [reason.value]
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert (message.reason, message.caller) == (reason, CALLER)
    (leg,) = server.app.journals
    assert ("bye", 'caller hung up (Reason: Q.850;cause=16;text="Normal call clearing")') in (
        leg.notes
    )


@NEEDS_PCAP
@TRANSPORTS
async def test_caller_with_privacy_id_is_stored_hidden(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    await register(server, SUBSCRIBER, Route.FALLBACK)
    short_greetings(server, SUBSCRIBER)
    await _sipp(
        sipp, server, tmp_path, transport, "uac_diverted_voicemail.xml",
        uri_params=";user=phone", from_user="anonymous",
        header1=f"P-Asserted-Identity: <sip:{CALLER}@127.0.0.1>", header2="Privacy: id",
    )  # fmt: skip
    (leg,) = server.app.journals
    assert leg.record.caller == "anonymous"
    (message,) = await server.voicemail.list_messages(SUBSCRIBER)
    assert message.caller == "anonymous" and message.caller_number == ""
    stored = await server.app.records.get(leg.record.id)
    assert stored is not None and stored.caller == "anonymous"


@TRANSPORTS
async def test_our_bye_on_a_stop_says_why(
    sipp: str, server: TasServer, tmp_path: Path, transport: str
) -> None:
    running = _start(sipp, server, tmp_path, transport, "uac_wait_bye_reason.xml")
    deadline = asyncio.get_running_loop().time() + 15
    while not any("answered" in j.kinds for j in server.app.journals):
        assert asyncio.get_running_loop().time() < deadline and not running.done()
        await asyncio.sleep(0.05)
    await server.app.shutdown(grace=5.0)  # what tas serve does when it stops: 503 -> BYE
    await _finish(server, running)  # SIPp checked Reason: Q.850;cause=41 (check_it)
    (leg,) = server.app.journals
    assert leg.record.route == "direct" and "bye" in leg.kinds
