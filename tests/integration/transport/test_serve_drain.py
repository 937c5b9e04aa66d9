"""``tas serve`` drains on SIGTERM (tas.drain): the call in progress goes on, a new INVITE and
OPTIONS get 503 + Retry-After, /readyz and the gRPC health service say not serving while
/healthz stays 200, and the process exits 0 once the last call has ended."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tas.transport.stack import StackOptions
from tas.transport.ua import CallFailedError, UserAgent
from tests.interop.conftest import free_port, start_tas

pytestmark = pytest.mark.timeout(90)

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def _http(url: str) -> tuple[int, dict[str, object]]:
    return await asyncio.to_thread(_get, url)


async def _grpc_status(target: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)  # type: ignore[no-untyped-call]
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(reply.status)


async def _until_ready(base: str) -> None:
    for _ in range(100):  # the directory's first load and the first database ping
        status, _body = await _http(f"{base}/readyz")
        if status == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(await _http(f"{base}/readyz"))


async def test_sigterm_drains_then_exits_after_the_last_call(tmp_path: Path) -> None:
    metrics, api, grpc_port = free_port(), free_port(), free_port()
    config = tmp_path / "tas.toml"
    config.write_text(
        f'[voicemail]\napi = "127.0.0.1:{api}"\n'
        f'[sandbox]\ngrpc = "127.0.0.1:{grpc_port}"\nsip_port = {free_port()}\n'
        "sip_tls_port = 0\n"
    )
    server = start_tas(
        tmp_path, "--config", str(config), "--metrics", f"127.0.0.1:{metrics}",
        "--drain-timeout", "20",
    )  # fmt: skip
    base = f"http://127.0.0.1:{metrics}"
    serving = health_pb2.HealthCheckResponse.SERVING
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    try:
        await _until_ready(base)
        assert (await _http(f"{base}/healthz"))[0] == 200
        assert await _grpc_status(f"127.0.0.1:{api}") == serving
        assert await _grpc_status(f"127.0.0.1:{grpc_port}") == serving
        service = "wgtwo.voicemail.v0.VoicemailMediaService"
        assert await _grpc_status(f"127.0.0.1:{api}", service) == serving
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            uri = f"sip:service@127.0.0.1:{server.port}"
            call = await ua.call(uri, sdp=SDP)
            server.process.send_signal(signal.SIGTERM)
            for _ in range(50):
                if "event=drain_start" in server.log.read_text():
                    break
                await asyncio.sleep(0.1)
            options = await ua.request("OPTIONS", uri)
            assert options.status == 503, options
            assert options.headers.get("Retry-After")
            with pytest.raises(CallFailedError) as refused:
                await ua.call(uri, sdp=SDP)
            assert refused.value.response.status == 503
            assert refused.value.response.headers.get("Retry-After")
            status, body = await _http(f"{base}/readyz")
            assert status == 503 and body["checks"]["draining"] == "draining", body  # type: ignore[index]
            assert (await _http(f"{base}/healthz"))[0] == 200
            assert await _grpc_status(f"127.0.0.1:{api}") == not_serving
            assert await _grpc_status(f"127.0.0.1:{grpc_port}") == not_serving
            await asyncio.sleep(1.0)
            assert server.process.poll() is None  # still draining: the call is up
            assert not call.ended.done()
            assert await call.hangup() == "BYE"  # the call ends naturally, by the caller
            code = await asyncio.to_thread(server.process.wait, 15)
    finally:
        if server.process.poll() is None:
            await asyncio.to_thread(server.stop)
    log = server.log.read_text()
    assert code == 0, log[-3000:]
    assert "event=drain_start active_calls=1" in log
    assert "event=drain_end outcome=done calls_remaining=0" in log, log[-3000:]


async def test_drain_timeout_ends_the_calls_left_with_bye(tmp_path: Path) -> None:
    server = start_tas(tmp_path, "--metrics", "off", "--drain-timeout", "1")
    try:
        async with await UserAgent.open(StackOptions(udp=("127.0.0.1:0",), tcp=())) as ua:
            call = await ua.call(f"sip:service@127.0.0.1:{server.port}", sdp=SDP)
            server.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(call.wait_ended(), 10) == "BYE"
        code = await asyncio.to_thread(server.process.wait, 15)
    finally:
        if server.process.poll() is None:
            await asyncio.to_thread(server.stop)
    assert code == 0
    assert "event=drain_end outcome=forced calls_remaining=1" in server.log.read_text()
