"""Hang-up of a real live call: the SIP test-call harness (`tas call`, its own process) calls
a running server; `tas calls live` lists the call through the admin API, a subscriber token
does not see it, `tas calls hangup ID` ends it, and the harness hears the BYE."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from tas.server import TasServer
from tests.integration.admin.conftest import ADMIN, SUBSCRIBER, auth

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


async def tas(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    env = dict(os.environ, TAS_DATA_DIR=str(tmp_path / "cli"), TAS_ADMIN_TOKEN=ADMIN)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tas", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    proc = await tas(tmp_path, *args)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_hang_up_a_live_call_placed_by_the_harness(server: TasServer, tmp_path: Path) -> None:
    assert server.metrics is not None
    url = server.metrics.url
    host, port = server.stack.local["UDP"]
    harness = await tas(
        tmp_path, "call", f"sip:hangup-me@{host}:{port}", "--duration", "60s",
        "--expect", "answered", "--expect", "remote-hangup", "--json",
    )  # fmt: skip
    try:
        live: list[dict[str, object]] = []
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            for _ in range(200):  # bounded: the harness process starts and places its call
                live = (await client.get("/api/calls/live", headers=auth(ADMIN))).json()
                if live and live[0]["state"] == "confirmed":
                    break
                await asyncio.sleep(0.05)
            assert len(live) == 1 and live[0]["state"] == "confirmed", live
            hidden = await client.get("/api/calls/live", headers=auth(SUBSCRIBER))
            assert hidden.json() == []  # not one of the subscriber's numbers
            call_id = str(live[0]["id"])
            shown = await client.get(f"/api/calls/live/{call_id}", headers=auth(SUBSCRIBER))
            assert shown.status_code == 403

        code, out, err = await run(tmp_path, "calls", "live", "--url", url, "--json")
        assert code == 0, err
        assert [c["id"] for c in json.loads(out)] == [call_id]
        code, out, err = await run(tmp_path, "calls", "hangup", call_id, "--url", url)
        assert code == 0 and out.strip() == f"hung up {call_id}", (out, err)

        out_b, err_b = await asyncio.wait_for(harness.communicate(), 30)
        assert harness.returncode == 0, (out_b.decode(), err_b.decode())
        result = json.loads(out_b)["result"]
        assert result["ended_by"] == "remote" and result["end_reason"] == "BYE"
        assert result["talk_time"] < 30  # our BYE, not the harness's --duration
    finally:
        if harness.returncode is None:
            harness.kill()
            await harness.wait()

    code, _, err = await run(tmp_path, "calls", "hangup", call_id, "--url", url)
    assert code == 1 and f"no live call {call_id}" in err
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        timeline = await client.get(f"/api/calls/timelines/{call_id}", headers=auth(ADMIN))
    assert timeline.status_code == 200
    kinds = [e["kind"] for e in timeline.json()["entries"]]
    assert "bye" in kinds, kinds


async def test_cli_names_an_unreachable_server(tmp_path: Path) -> None:
    code, _, err = await run(tmp_path, "calls", "live", "--url", "http://127.0.0.1:25999")
    assert code == 3
    assert "admin API at http://127.0.0.1:25999 is not reachable" in err
    assert err.count("\n") == 1  # one line, no traceback
