"""``tas register`` end to end: the real CLI, a SQLite store, gRPC on loopback, a virtual clock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import registrations.cli
from registrations.validation import NOT_SIPS
from tas.cli import cli

from .conftest import CLIENT_ID, CLIENT_SECRET, RunningBreakout, TokenEndpoint

N1, N2, N3 = "+4799990001", "+4799990002", "+4799990003"
URI = "sips:tas.example.com:5061"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    virtual = Clock()
    monkeypatch.setattr(registrations.cli, "_clock", virtual)
    return virtual


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment: data (SQLite store) under tmp_path, no config file, one attempt."""
    for name in ("TAS_CONFIG", "TAS_DATABASE__URL", "TAS_OPERATOR__TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TAS_OPERATOR__ATTEMPTS", "1")
    monkeypatch.setenv("TAS_OPERATOR__DEADLINE", "3")
    return tmp_path


@pytest.fixture
def sandbox(
    env: Path, breakout: RunningBreakout, monkeypatch: pytest.MonkeyPatch
) -> RunningBreakout:
    monkeypatch.setenv("TAS_SANDBOX__GRPC", breakout.address)
    return breakout


def tas(*args: str) -> Result:
    return CliRunner().invoke(cli, ["register", *args], catch_exceptions=False)


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_upsert_list_status_refresh_delete(sandbox: RunningBreakout, clock: Clock) -> None:
    sandbox.servicer.ttl = 600
    result = tas("upsert", N1, "--route", "loop-mo", "--uri", URI, "--mo-prefix", "11", "--json")
    assert result.exit_code == 0, result.output
    out = as_json(result)
    assert out["ok"] is True
    assert out["steps"] == [
        {"number": N1, "action": "upsert", "ok": True, "ttl": 600.0, "error": None, "kind": None}
    ]
    [reg] = out["registrations"]
    assert reg["state"] == "registered"
    assert reg["registered"] == {
        "number": N1,
        "route": "loop-mo",
        "uri": URI,
        "mo_prefix": "11",
        "mt_prefix": "",
    }
    assert reg["expires_at"] == "2023-11-14T22:23:20Z"  # T0 + 600
    assert [
        (n, r.route_type, r.mobile_originating_prefix) for n, r, _ in sandbox.servicer.calls
    ] == [("upsert", 4, "11")]

    listed = tas("list")
    assert listed.exit_code == 0
    assert N1 in listed.stdout and "loop-mo" in listed.stdout and "registered" in listed.stdout
    assert "0h10m00s" in listed.stdout

    # Not due yet, but "registered" is only our cache (no List RPC): run --once re-upserts.
    clock.now = T0 + 120
    assert tas("run", "--once").exit_code == 0
    assert [c[0] for c in sandbox.servicer.calls] == ["upsert", "upsert"]
    [status] = as_json(tas("status", N1, "--json"))
    assert status["expires_at"] == "2023-11-14T22:25:20Z"  # T0 + 120 + 600
    assert status["refresh_at"] == "2023-11-14T22:20:20Z"  # T0 + 120 + 300

    deleted = tas("delete", N1)
    assert deleted.exit_code == 0, deleted.output
    assert "delete" in deleted.stdout
    assert deleted.stdout.endswith(f"{N1}: removed\n")
    assert sandbox.servicer.registered == {}
    assert as_json(tas("list", "--json")) == []


def test_sync_upserts_new_and_changed_deletes_removed(
    sandbox: RunningBreakout, clock: Clock, tmp_path: Path
) -> None:
    file = tmp_path / "registrations.toml"
    file.write_text(
        f'[defaults]\nuri = "{URI}"\n\n'
        f'[[registration]]\nnumber = "{N1}"\nroute = "loop"\n\n'
        f'[[registration]]\nnumber = "{N2}"\nroute = "fallback"\nmt_prefix = "22"\n'
    )
    first = tas("sync", "--file", str(file), "--json")
    assert first.exit_code == 0, first.output
    assert [(s["number"], s["action"]) for s in as_json(first)["steps"]] == [
        (N1, "upsert"),
        (N2, "upsert"),
    ]
    again = tas("sync", "--file", str(file), "--json")  # nothing changed: re-asserted anyway
    assert [(s["number"], s["action"]) for s in as_json(again)["steps"]] == [
        (N1, "refresh"),
        (N2, "refresh"),
    ]

    clock.now += 60
    file.write_text(
        f'[[registration]]\nnumber = "{N2}"\nroute = "fork"\nuri = "{URI}"\n\n'
        f'[[registration]]\nnumber = "{N3}"\nroute = "ingress"\nuri = "sips:other.example.com"\n'
    )
    second = tas("sync", "--file", str(file), "--json")
    assert second.exit_code == 0, second.output
    assert [(s["number"], s["action"]) for s in as_json(second)["steps"]] == [
        (N1, "delete"),
        (N2, "upsert"),
        (N3, "upsert"),
    ]
    assert sorted(sandbox.servicer.registered) == [(N2, URI), (N3, "sips:other.example.com")]
    assert [r["number"] for r in as_json(second)["registrations"]] == [N2, N3]


@pytest.mark.parametrize("spelling", ["loop_mo", "LOOP_MO", "loop-mo", "Loop-Mo"])
def test_route_in_the_operators_spellings(sandbox: RunningBreakout, spelling: str) -> None:
    result = tas("upsert", N1, "--route", spelling, "--uri", URI)
    assert result.exit_code == 0, result.output
    assert [(n, r.route_type) for n, r, _ in sandbox.servicer.calls] == [("upsert", 4)]


def test_unknown_route_is_refused_naming_the_choices(sandbox: RunningBreakout) -> None:
    result = tas("upsert", N1, "--route", "loop_xx", "--uri", URI)
    assert result.exit_code == 2
    assert "'loop_xx' is not a route type: one of loop, fork, fallback, loop-mo" in result.stderr
    assert sandbox.servicer.calls == []


def test_sip_uri_is_refused_in_the_operators_words(sandbox: RunningBreakout) -> None:
    result = tas("upsert", N1, "--route", "fork", "--uri", "sip:tas.example.com")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Secure SIP domain name required")
    assert sandbox.servicer.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((N1, "--route", "fork", "--uri", "sip:tas.example.com"), NOT_SIPS),
        (
            ("4799990001", "--route", "fork", "--uri", URI),
            "phone_number '4799990001' is not E.164 ('+', country code, number; 7-15 digits)",
        ),
        (
            (N1, "--route", "fork", "--uri", URI, "--mo-prefix", "1a"),
            "mobile_originating_prefix '1a' must be digits only",
        ),
    ],
)
def test_bad_input_is_refused_before_any_call(
    sandbox: RunningBreakout, args: tuple[str, ...], message: str
) -> None:
    result = tas("upsert", *args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert sandbox.servicer.calls == []
    with_json = tas("upsert", *args, "--json")
    assert as_json(with_json) == {
        "ok": False,
        "error": message,
        "kind": "bad_input",
        "exit_code": 2,
    }


def test_operator_rejection_exits_1_with_its_message(sandbox: RunningBreakout) -> None:
    sandbox.servicer.reject_with = "number +4799990001 is not provisioned for SIP breakout"
    result = tas("upsert", N1, "--route", "fork", "--uri", URI)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {N1}: number +4799990001 is not provisioned for SIP breakout\n"
    )
    [status] = as_json(tas("status", "--json"))
    assert status["state"] == "rejected"
    assert status["last_error"] == "number +4799990001 is not provisioned for SIP breakout"


def test_unreachable_operator_exits_3(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAS_SANDBOX__GRPC", "127.0.0.1:1")
    result = tas("upsert", N1, "--route", "fork", "--uri", URI)
    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"error: {N1}: operator unreachable at 127.0.0.1:1 after 1 attempt(s): UNAVAILABLE: "
    )
    assert result.stderr.count("\n") == 1
    [status] = as_json(tas("status", "--json"))
    assert status["state"] == "retrying"


def _operator_env(monkeypatch: pytest.MonkeyPatch, server: RunningBreakout, token_url: str) -> None:
    monkeypatch.setenv("TAS_OPERATOR__TARGET", server.address)
    monkeypatch.setenv("TAS_OPERATOR__TLS", "false")
    monkeypatch.setenv("TAS_OPERATOR__CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TAS_OPERATOR__CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("TAS_OPERATOR__TOKEN_URL", token_url)


def test_expired_token_is_refreshed(
    env: Path,
    breakout: RunningBreakout,
    token_endpoint: TokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _operator_env(monkeypatch, breakout, token_endpoint.url)
    breakout.servicer.valid_tokens = {"tok-2"}  # the first token we get is already expired
    result = tas("upsert", N1, "--route", "loop", "--uri", URI)
    assert result.exit_code == 0, result.output
    assert [auth for _, _, auth in breakout.servicer.calls] == ["Bearer tok-1", "Bearer tok-2"]
    assert token_endpoint.issued == ["tok-1", "tok-2"]


def test_wrong_client_secret_exits_1(
    env: Path,
    breakout: RunningBreakout,
    token_endpoint: TokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _operator_env(monkeypatch, breakout, token_endpoint.url)
    monkeypatch.setenv("TAS_OPERATOR__CLIENT_SECRET", "wrong")
    result = tas("upsert", N1, "--route", "loop", "--uri", URI)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {N1}: token endpoint {token_endpoint.url} refused client 'tas-client': "
        "invalid_client: bad client\n"
    )
    assert breakout.servicer.calls == []


def test_missing_credentials_for_an_operator_target_is_bad_input(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAS_OPERATOR__TARGET", "shamrock")
    result = tas("upsert", N1, "--route", "loop", "--uri", URI)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: operator target 'shamrock' needs operator.client_id and operator.client_secret "
        "(TAS_OPERATOR__CLIENT_ID / __CLIENT_SECRET)\n"
    )


def test_delete_unknown_number(sandbox: RunningBreakout) -> None:
    result = tas("delete", N1)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no registration for {N1} in the store; give --uri to delete one made elsewhere\n"
    )
    gone = tas("delete", N1, "--uri", URI)  # not registered at the operator either
    assert gone.exit_code == 1
    assert gone.stderr == f"error: {N1}: no such registration\n"


def test_sync_file_errors_are_bad_input(sandbox: RunningBreakout, tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    file.write_text(f'[[registration]]\nnumber = "{N1}"\nroute = "loop"\nuri = "sip:x.example"\n')
    result = tas("sync", "--file", str(file))
    assert result.exit_code == 2
    assert result.stderr == f"error: {file}: registration #1 ({N1}): {NOT_SIPS}\n"
    missing = tas("sync", "--file", str(tmp_path / "absent.toml"))
    assert missing.exit_code == 2
    assert (
        missing.stderr
        == f"error: {tmp_path / 'absent.toml'}: cannot read: No such file or directory\n"
    )
    assert sandbox.servicer.calls == []
