"""``tas serve``'s ``/metrics`` over real HTTP: the tas_ families before, during and after a
call; a taken port leaves SIP serving."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from media.session import MediaSession
from tas.config import Settings
from tas.demo import ephemeral
from tas.server import TasServer
from tas.sip.events import CallAnswered, CallEnded, Event
from tas.transport.stack import SipStack, StackOptions

OFFER = (
    b"v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


def settings(data_dir: Path, listen: str = "127.0.0.1:0") -> Settings:
    s = ephemeral(Settings(data_dir=data_dir))
    s.events.enabled = True  # the consumer reads the embedded sandbox's stream
    s.metrics.listen = listen
    return s


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TasServer]:
    running = TasServer(settings(tmp_path / "data"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop(grace=1.0)


async def scrape(server: TasServer) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Family name -> {sorted label pairs: value}, samples under their family's name."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://{server.metrics.address}/metrics")
    response.raise_for_status()
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        samples = out.setdefault(family.name, {})
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            samples[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(metrics: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str) -> float:
    return metrics[name][()]


async def test_metrics_before_during_and_after_a_call(server: TasServer) -> None:
    before = await scrape(server)
    for family in (
        "tas_sip_calls",
        "tas_sip_transactions",
        "tas_calls_active",
        "tas_calls_recent",
        "tas_policy_calls_active",
        "tas_policy_calls_answered",
        "tas_media_rtp_ports_in_use",
        "tas_media_rtp_ports_capacity",
        "tas_events_streams",
        "process_resident_memory_bytes",
    ):
        assert family in before, family
    assert before["tas_sip_calls"] == {}
    assert value(before, "tas_calls_active") == 0
    assert before["tas_calls_recent"][(("outcome", "answered-by-tas"),)] == 0
    assert value(before, "tas_policy_calls_answered") == 0
    assert value(before, "tas_media_rtp_ports_in_use") == 0
    assert value(before, "tas_media_rtp_ports_capacity") == server.engine.pool.capacity > 0
    assert value(before, "process_resident_memory_bytes") > 0

    # a plain SIP call (no number: a direct leg, the [invite] policy answers it) with RTP
    caller = await SipStack.open(StackOptions(udp=("127.0.0.1:0",), tcp=()))
    events: asyncio.Queue[Event] = asyncio.Queue()
    caller.on_event = events.put_nowait
    session, _ = await MediaSession.create_offer(server.engine)
    try:
        host, port = server.stack.local["UDP"]
        call = caller.endpoint.invite(f"sip:metrics@{host}:{port}", caller.now(), body=OFFER)
        caller.flush()
        assert isinstance(await asyncio.wait_for(events.get(), 10), CallAnswered)
        during = await scrape(server)
        assert sum(during["tas_sip_calls"].values()) == 1
        assert value(during, "tas_policy_calls_active") == 1
        assert value(during, "tas_policy_calls_answered") == 1
        # the caller's session (it shares the server's engine) and the leg's own session:
        # a direct leg now has real media (issue 11)
        assert value(during, "tas_media_rtp_ports_in_use") == 2
        assert value(during, "tas_calls_active") == 1
        caller.endpoint.bye(call, caller.now())
        caller.flush()
        while not isinstance(await asyncio.wait_for(events.get(), 10), CallEnded):
            pass
    finally:
        await session.close()
        await caller.close()

    after = await scrape(server)
    for _ in range(50):  # the server's side ends when our BYE's 200 is out: poll briefly
        if not after["tas_sip_calls"]:
            break
        await asyncio.sleep(0.05)
        after = await scrape(server)
    assert after["tas_sip_calls"] == {}
    assert value(after, "tas_policy_calls_active") == 0
    assert value(after, "tas_policy_calls_answered") == 1
    assert value(after, "tas_media_rtp_ports_in_use") == 0

    address = server.metrics.address
    await server.stop(grace=1.0)
    with pytest.raises(httpx.ConnectError):  # the exposition socket is closed on stop
        async with httpx.AsyncClient() as client:
            await client.get(f"http://{address}/metrics")


async def test_taken_metrics_port_is_logged_and_sip_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        server = TasServer(settings(tmp_path / "data", listen))
        with caplog.at_level(logging.ERROR, logger="tas.server"):
            await server.start()
        try:
            assert server.metrics is None
            assert "event=service_unavailable service='HTTP (metrics, admin API)'" in caplog.text
            assert "UDP" in server.stack.local
        finally:
            await server.stop(grace=1.0)
