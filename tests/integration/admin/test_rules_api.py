"""``/api/rules`` on a running server: TOML, CLI and API agree (the same rule set imported from
a file, set with ``tas rules set`` and PUT through the API is stored identically and exports
identically), errors are problem documents naming the bad field, subscriber tokens are scoped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tas.calls.rules import Rule
from tas.calls.rules_file import parse_rules
from tas.calls.rules_store import RuleStore
from tas.cli import cli
from tas.server import TasServer
from tests.integration.admin.conftest import ADMIN, OTHER, OWN, SUBSCRIBER, auth

pytestmark = pytest.mark.timeout(60)

#: One rule set, written three ways below: as the TOML file ...
TOML = f"""\
[[rule]]
number = "{OWN}"
name = "hidden"
action = "reject"
hidden = true
status = 433

[[rule]]
number = "{OWN}"
name = "office"
action = "ring"
time_zone = "Europe/Oslo"
days = ["mon", "tue", "wed", "thu", "fri"]
from = "08:00"
until = "17:00"
then = "reject"
status = 480
[[rule.steps]]
targets = ["handset"]
timeout = 15
[[rule.steps]]
targets = ["+4799990003", "+4799990004"]
timeout = 10

[[rule]]
number = "{OWN}"
name = "family"
action = "dnd"
callers = ["+4722", "+4799990005"]
"""

#: ... as `tas rules set` options ...
CLI_SETS = [
    ["--name", "hidden", "--action", "reject", "--hidden", "--status", "433"],
    ["--name", "office", "--action", "ring", "--time-zone", "Europe/Oslo",
     "--days", "mon,tue,wed,thu,fri", "--from", "08:00", "--until", "17:00",
     "--ring", "handset=15", "--ring", "+4799990003,+4799990004=10",
     "--then", "reject", "--status", "480"],
    ["--name", "family", "--action", "dnd", "--caller", "+4722", "--caller", "+4799990005"],
]  # fmt: skip

#: ... and as the API's JSON (``number`` may be left to the path).
API_BODY = [
    {"name": "hidden", "action": "reject", "hidden": True, "status": 433},
    {"name": "office", "action": "ring", "time_zone": "Europe/Oslo",
     "days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "until": "17:00",
     "steps": [{"targets": ["handset"], "timeout": 15},
               {"targets": ["+4799990003", "+4799990004"], "timeout": 10}],
     "then": "reject", "status": 480},
    {"name": "family", "action": "dnd", "callers": ["+4722", "+4799990005"]},
]  # fmt: skip


def _cli(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


async def _stored_and_exported(server: TasServer, runner: CliRunner) -> tuple[list[Rule], str]:
    assert server.db is not None
    stored = await RuleStore(server.db).for_number(OWN)
    return stored, await asyncio.to_thread(_cli, runner, "rules", "export", OWN)


async def test_toml_cli_and_api_agree(
    server: TasServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAS_DATA_DIR", str(server.settings.data_dir))  # the server's database
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    runner = CliRunner()
    assert server.metrics is not None
    url = f"{server.metrics.url}/api/rules/{OWN}"

    file = tmp_path / "rules.toml"
    file.write_text(TOML)
    await asyncio.to_thread(_cli, runner, "rules", "import", str(file))
    by_toml = await _stored_and_exported(server, runner)

    await asyncio.to_thread(_cli, runner, "rules", "delete", OWN)
    for options in CLI_SETS:
        await asyncio.to_thread(_cli, runner, "rules", "set", OWN, *options)
    by_cli = await _stored_and_exported(server, runner)

    await asyncio.to_thread(_cli, runner, "rules", "delete", OWN)
    async with httpx.AsyncClient(headers=auth(SUBSCRIBER), timeout=10) as http:
        put = await http.put(url, json=API_BODY)
        assert put.status_code == 200, put.text
        by_api = await _stored_and_exported(server, runner)
        listed = (await http.get(url)).json()
        second = (await http.get(f"{url}/2")).json()

    assert len(by_toml[0]) == 3
    assert by_toml == by_cli == by_api  # the stored rules and the `tas rules export` text
    assert put.json() == listed and listed[1] == second and second["name"] == "office"
    assert parse_rules(by_api[1]) == by_api[0] == parse_rules(TOML)


async def test_bad_rules_are_problems_naming_the_field(server: TasServer) -> None:
    assert server.metrics is not None
    base = f"{server.metrics.url}/api/rules"
    async with httpx.AsyncClient(headers=auth(ADMIN), timeout=10) as http:
        zone = await http.put(f"{base}/{OWN}", json=[{"action": "dnd"}, {
            "action": "dnd", "time_zone": "Mars/Olympus", "from": "08:00", "until": "09:00"}])  # fmt: skip
        step = await http.put(
            f"{base}/{OWN}", json=[{"action": "ring", "steps": [{"targets": ["nobody"]}]}]
        )
        shape = await http.put(f"{base}/{OWN}", json=[{"action": "dnd", "colour": "red"}])
        action = await http.put(f"{base}/{OWN}", json=[{"action": "sing"}])
        elsewhere = await http.put(f"{base}/{OWN}", json=[{"number": OTHER, "action": "dnd"}])
        none = await http.get(f"{base}/{OWN}/1")
        assert (await http.get(f"{base}/{OWN}")).json() == []  # nothing was stored
    for response, field in [
        (zone, "rules[1].time_zone"),
        (step, "rules[0].steps[0].targets"),
        (elsewhere, "rules[0].number"),
    ]:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field, response.json()
    assert "Mars/Olympus" in zone.json()["detail"] and "rule #2" in zone.json()["detail"]
    assert shape.status_code == 422 and shape.json()["field"] == "body.0.colour"
    assert action.status_code == 422 and shape.json()["field"].startswith("body.0")
    assert none.status_code == 404


async def test_subscriber_tokens_edit_their_own_numbers_only(server: TasServer) -> None:
    assert server.metrics is not None
    base = f"{server.metrics.url}/api/rules"
    ring_uri = [{"action": "ring", "steps": [{"targets": ["sip:pbx@example.net"]}]}]
    async with httpx.AsyncClient(headers=auth(SUBSCRIBER), timeout=10) as http:
        other = await http.put(f"{base}/{OTHER}", json=[{"action": "dnd"}])
        uri = await http.put(f"{base}/{OWN}", json=ring_uri)
        gone = await http.delete(f"{base}/{OWN}")
    async with httpx.AsyncClient(headers=auth(ADMIN), timeout=10) as http:
        admin_uri = await http.put(f"{base}/{OWN}", json=ring_uri)
        removed = await http.delete(f"{base}/{OWN}")
    assert other.status_code == 403 and uri.status_code == 403
    assert uri.json()["field"] == "rules[0].steps[0].targets"
    assert gone.status_code == 404
    assert admin_uri.status_code == 200 and removed.json() == {"removed": 1}
