"""A bad config ends every command with one ``tas: …`` line and exit 2; ``tas config``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from tas.cli import cli

DEPLOY_TOML = Path(__file__).resolve().parents[2] / "deploy" / "tas.toml"

#: (arguments before --config, after): each loads the settings before any I/O.
COMMANDS = [
    (["serve"], []),
    (["calls", "list"], []),
    (["policy", "list"], []),
    (["voicemail"], ["list"]),
    (["register"], ["list"]),
    (["demo", "--once"], []),
    (["config", "check"], []),
    (["config", "show"], []),
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("TAS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path / "data"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("before", "after"), COMMANDS, ids=lambda c: " ".join(c) or "-")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sip\nudp = []\n", "invalid TOML: Expected ']' at the end of a table declaration"),
        ('[sip]\nudpp = ["0.0.0.0:5060"]\n', "sip.udpp: unknown setting; did you mean udp?"),
        ('[media]\nport_min = "abc"\n', "media.port_min: Input should be a valid integer"),
    ],
    ids=["bad-toml", "unknown-key", "bad-type"],
)
def test_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, before: list[str], after: list[str], text: str, expected: str
) -> None:
    config = tmp_path / "tas.toml"
    config.write_text(text)
    code, stdout, stderr = run(*before, "--config", str(config), *after)
    assert code == 2
    assert stderr.startswith("tas: ") and expected in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert "Traceback" not in stdout + stderr


@pytest.mark.parametrize(("before", "after"), COMMANDS[:4], ids=lambda c: " ".join(c) or "-")
def test_missing_config_file(tmp_path: Path, before: list[str], after: list[str]) -> None:
    code, _, stderr = run(*before, "--config", str(tmp_path / "absent.toml"), *after)
    assert (code, stderr) == (2, f"tas: {tmp_path / 'absent.toml'}: config file not found\n")


def test_unknown_environment_variable_stops_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAS_SIP__UDPP", "0.0.0.0:5060")
    code, _, stderr = run("serve")
    assert (code, stderr) == (
        2,
        "tas: sip.udpp: unknown setting; did you mean udp? (TAS_SIP__UDPP)\n",
    )


def test_check_reports_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "tas.toml"
    config.write_text('[sip]\nudpp = 1\n[media]\nport_min = "abc"\n')
    code, _, stderr = run("config", "check", "--config", str(config))
    assert code == 2
    assert [line.split(":")[1].strip() for line in stderr.splitlines()] == [
        "sip.udpp",
        "media.port_min",
    ]


def test_check_ok_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("config", "check", "--config", str(DEPLOY_TOML)) == (0, f"ok {DEPLOY_TOML}\n", "")
    assert run("config", "check") == (0, "ok (no config file: defaults and environment)\n", "")
    monkeypatch.setenv("TAS_CONFIG", str(DEPLOY_TOML))
    assert run("config", "check")[1] == f"ok {DEPLOY_TOML} (from TAS_CONFIG)\n"


def test_show_gives_each_value_and_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tas.toml"
    config.write_text('[media]\nport_min = 30000\n[operator]\nclient_id = "me"\n')
    monkeypatch.setenv("TAS_DATABASE__URL", "postgresql+asyncpg://tas:hunter2@db/tas")
    monkeypatch.setenv("TAS_OPERATOR__CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("TAS_SANDBOX__SUBSCRIBERS__4790000001", "busy")
    code, stdout, _ = run("config", "show", "--config", str(config), "--json")
    assert code == 0
    shown = json.loads(stdout)
    assert shown["config_file"] == str(config)
    values = shown["settings"]
    assert values["media.port_min"] == {"value": 30000, "source": str(config)}
    assert values["media.port_max"] == {"value": 29999, "source": "default"}
    assert values["operator.client_id"]["source"] == str(config)
    assert values["operator.client_secret"] == {
        "value": "***",
        "source": "TAS_OPERATOR__CLIENT_SECRET",
    }
    assert values["database.url"] == {
        "value": "postgresql+asyncpg://tas:***@db/tas",
        "source": "TAS_DATABASE__URL",
    }
    assert values["sandbox.subscribers"]["source"] == "TAS_SANDBOX__SUBSCRIBERS__4790000001"
    assert values["data_dir"]["source"] == "TAS_DATA_DIR"
    assert "hunter2" not in stdout and "s3cret" not in stdout


def test_show_table(tmp_path: Path) -> None:
    code, stdout, _ = run("config", "show", "--config", str(DEPLOY_TOML))
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == f"# config file: {DEPLOY_TOML}"
    row = next(line for line in lines if line.startswith("sip.public_host "))
    assert row.split() == ["sip.public_host", '"tas.example.com"', str(DEPLOY_TOML)]
    assert next(line for line in lines if line.startswith("sip.t1 ")).split()[-1] == "default"
