"""The stack's overload guard: one log line per reason per interval, the lag monitor on a
real loop, and the ``[limits]`` settings reaching the stack."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict

import pytest

from tas.config import LimitsSettings, Settings
from tas.transport.guard import LagMonitor, OverloadGuard
from tas.transport.overload import OverloadLimits


def test_a_flood_of_drops_is_one_line_per_reason(caplog: pytest.LogCaptureFixture) -> None:
    guard = OverloadGuard(OverloadLimits(log_interval=10.0))
    with caplog.at_level(logging.WARNING, "tas.transport.overload"):
        for i in range(10_000):
            guard.dropped("rate", "127.0.0.2", i / 1000)
            guard.dropped("vias", "127.0.0.2", i / 1000)
        guard.rejected("invite_lag", "127.0.0.1", 0.0)
        assert guard.error("receive", 0.0)
        assert not guard.error("receive", 1.0)  # no second traceback in the interval
        guard.flush_log(10.0)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 6, lines
    assert "event=overload_drop reason=rate count=1 " in lines[0]
    assert "event=overload_drop reason=rate count=9999" in " ".join(lines)
    assert "event=overload_error reason=receive count=1" in " ".join(lines)
    assert guard.drops.totals == {"rate": 10_000, "vias": 10_000}


async def test_lag_monitor_sees_a_blocked_loop() -> None:
    guard = OverloadGuard(OverloadLimits(lag_threshold=0.1, lag_interval=0.01, lag_hold=0.2))
    monitor = LagMonitor(guard, asyncio.get_running_loop())
    monitor.start()
    try:
        await asyncio.sleep(0.05)
        assert not guard.overloaded
        time.sleep(0.15)  # noqa: ASYNC251 - one stall below threshold / alpha: no overload
        await asyncio.sleep(0.03)
        assert not guard.overloaded
        await asyncio.sleep(0.1)
        time.sleep(0.3)  # noqa: ASYNC251 - block the loop on purpose
        await asyncio.sleep(0.03)
        assert guard.overloaded and guard.lag.peak >= 0.25
        await asyncio.sleep(0.4)
        assert not guard.overloaded  # calm for longer than lag_hold
    finally:
        monitor.stop()


def test_limits_settings_map_onto_overload_limits() -> None:
    from tas.server import stack_options

    settings = Settings(
        limits=LimitsSettings(rate=7.0, max_calls=3, retry_after=9),
        sip={"tls": []},  # type: ignore[arg-type]
    )
    limits = stack_options(settings).limits
    assert (limits.rate, limits.max_calls, limits.retry_after) == (7.0, 3, 9)
    assert LimitsSettings().model_dump() == asdict(OverloadLimits())  # one set of defaults


def test_draining_refuses_new_invites_and_options_only() -> None:
    from tas.sip.endpoint import Endpoint, EndpointConfig
    from tas.sip.parser import parse_message
    from tas.sip.transaction_base import Peer

    def request(method: str, to_tag: str = "") -> bytes:
        tag = f";tag={to_tag}" if to_tag else ""
        return (
            f"{method} sip:s@127.0.0.1:5060 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-" + method + to_tag + "\r\n"
            "From: <sip:a@127.0.0.1>;tag=f1\r\n"
            f"To: <sip:s@127.0.0.1>{tag}\r\n"
            f"Call-ID: c-{method}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()

    guard = OverloadGuard(OverloadLimits(retry_after=7))
    endpoint = Endpoint(EndpointConfig(local={"UDP": ("127.0.0.1", 5060)}))
    peer = Peer("UDP", "127.0.0.1", 5070)
    invite = parse_message(request("INVITE"))
    assert guard.admit(invite, peer, True, endpoint, 0.0)  # type: ignore[arg-type]
    guard.draining = True
    for method in ("INVITE", "OPTIONS"):
        message = parse_message(request(method))
        assert not guard.admit(message, peer, True, endpoint, 0.0)  # type: ignore[arg-type]
        ((data, to),) = endpoint.take_outbox()
        assert data.startswith(b"SIP/2.0 503 ") and b"Retry-After: 7\r\n" in data, data
        assert not guard.admit(message, peer, False, endpoint, 0.0)  # type: ignore[arg-type]
        assert endpoint.take_outbox() == []  # untrusted: dropped, as under overload
    for method in ("REGISTER", "MESSAGE"):  # other out-of-dialog requests still pass
        assert guard.admit(parse_message(request(method)), peer, True, endpoint, 0.0)  # type: ignore[arg-type]
    assert guard.rejects.totals == {"invite_draining": 1, "options_draining": 1}
