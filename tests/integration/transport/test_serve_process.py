"""``tas serve`` as a process: OPTIONS, the INVITE policies and the immediate stop (BYE on
SIGTERM with ``--drain-timeout 0``; the drain itself is in test_serve_drain.py)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tas.transport.stack import StackOptions
from tas.transport.tls import client_context
from tas.transport.ua import CallFailedError, UserAgent
from tests.interop.conftest import free_port, start_tas

pytestmark = pytest.mark.timeout(60)

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"


async def test_serve_answers_and_sends_bye_on_sigterm(tmp_path: Path) -> None:
    server = start_tas(tmp_path, "--drain-timeout", "0")
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            uri = f"sip:service@127.0.0.1:{server.port}"
            options = await ua.request("OPTIONS", uri)
            assert options.status == 200 and "INVITE" in (options.headers.get("Allow") or "")
            call = await ua.call(uri, sdp=SDP)
            assert b"m=audio " in call.remote_sdp and b"RTP/AVP 0 101" in call.remote_sdp
            server.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(call.wait_ended(), 10) == "BYE"
    finally:
        code = await asyncio.to_thread(server.stop)
    assert code == 0
    assert "event=stopped" in server.log.read_text()


async def test_serve_reject_policy_and_hangup_after(tmp_path: Path) -> None:
    config = tmp_path / "tas.toml"
    config.write_text('[invite]\naction = "reject"\nreject_status = 603\n')
    rejecting = start_tas(tmp_path / "r", "--config", str(config))
    config2 = tmp_path / "tas2.toml"
    config2.write_text("[invite]\nhangup_after = 0.3\n")
    hanging = start_tas(tmp_path / "h", "--config", str(config2))
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            with pytest.raises(CallFailedError) as failed:
                await ua.call(f"sip:s@127.0.0.1:{rejecting.port}", sdp=SDP)
            assert failed.value.response.status == 603
            call = await ua.call(f"sip:s@127.0.0.1:{hanging.port}", sdp=SDP)
            assert await asyncio.wait_for(call.wait_ended(), 5) == "BYE"
            pcma_only = SDP.replace(b"RTP/AVP 0 101", b"RTP/AVP 8")  # RFC 3264 §6.1: accepted
            call = await ua.call(f"sip:s@127.0.0.1:{hanging.port}", sdp=pcma_only)
            assert (
                b"RTP/AVP 8\r\n" in call.remote_sdp and b"a=rtpmap:8 PCMA/8000" in call.remote_sdp
            )
            assert await asyncio.wait_for(call.wait_ended(), 5) == "BYE"
            no_g711 = SDP.replace(b"RTP/AVP 0 101", b"RTP/AVP 18")  # G.729 only
            with pytest.raises(CallFailedError) as refused:
                await ua.call(f"sip:s@127.0.0.1:{hanging.port}", sdp=no_g711)
            assert refused.value.response.status == 488
    finally:
        codes = [await asyncio.to_thread(s.stop) for s in (rejecting, hanging)]
    assert codes == [0, 0]


async def test_serve_generates_a_certificate_and_answers_over_tls(tmp_path: Path) -> None:
    tls_port = free_port()
    server = start_tas(tmp_path, tls_port=tls_port)
    try:
        cert = tmp_path / "data" / "tls" / "sip-tls-cert.pem"
        assert cert.is_file()
        # a TLS client; Via/Contact name its TCP listener, responses use the TLS connection
        options = StackOptions(udp=(), tcp=("127.0.0.1:0",), client_ssl=client_context(cert))
        async with await UserAgent.open(options) as ua:
            uri = f"sip:service@127.0.0.1:{tls_port};transport=tls"
            assert (await ua.request("OPTIONS", uri)).status == 200
            call = await ua.call(uri, sdp=SDP)
            assert await call.hangup() == "BYE"
    finally:
        code = await asyncio.to_thread(server.stop)
    assert code == 0
