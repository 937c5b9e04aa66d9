"""`tas rules` against a real SQLite file (set, list, delete, import, export, bad input), and
the call directory seeing rules written by another process within its poll interval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tas.calls.directory import Directory, DirectoryOptions
from tas.calls.directory_sync import DirectorySync
from tas.calls.rules import RuleAction, parse_rule
from tas.calls.rules_file import parse_rules
from tas.calls.rules_store import RuleStore
from tas.cli import cli
from tas.store import Database
from tests.integration.calls.calls_helpers import eventually

ALICE = "+4799990000"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    return CliRunner()


def exported(runner: CliRunner, *number: str) -> list:
    result = runner.invoke(cli, ["rules", "export", *number])
    assert result.exit_code == 0, result.output
    return parse_rules(result.output)


def test_set_list_replace_delete_agree_with_the_toml(runner: CliRunner) -> None:
    follow = ["rules", "set", ALICE, "--name", "fm", "--action", "ring", "--ring", "handset=15"]
    follow += ["--ring", "+4799990003,+4799990004=10", "--time-zone", "Europe/Oslo"]
    follow += ["--days", "mon,fri", "--from", "08:00", "--until", "17:00"]
    result = runner.invoke(cli, follow)
    assert result.exit_code == 0, result.output
    assert "rule 1 for +4799990000" in result.output
    hidden = ["rules", "set", ALICE, "--action", "reject", "--status", "433", "--hidden"]
    assert runner.invoke(cli, [*hidden, "--position", "1"]).exit_code == 0
    (first, second) = exported(runner, ALICE)
    assert (first.action, first.status, first.condition.hidden) == (RuleAction.REJECT, 433, True)
    assert second == parse_rule(
        {
            "number": ALICE, "name": "fm", "action": "ring", "time_zone": "Europe/Oslo",
            "days": ["mon", "fri"], "from": "08:00", "until": "17:00",
            "steps": [
                {"targets": ["handset"], "timeout": 15},
                {"targets": ["+4799990003", "+4799990004"], "timeout": 10},
            ],
        }
    )  # fmt: skip
    listing = runner.invoke(cli, ["rules", "list", ALICE])
    assert listing.exit_code == 0 and listing.output.splitlines()[1].startswith("2. 'fm'")
    as_json = runner.invoke(cli, ["rules", "list", ALICE, "--json"])
    assert [parse_rule(t) for t in json.loads(as_json.output)] == [first, second]
    # the same name replaces that rule in place
    assert (
        runner.invoke(cli, ["rules", "set", ALICE, "--name", "fm", "--action", "dnd"]).exit_code
        == 0
    )
    assert [r.action for r in exported(runner, ALICE)] == [RuleAction.REJECT, RuleAction.DND]
    assert runner.invoke(cli, ["rules", "delete", ALICE, "--name", "fm"]).exit_code == 0
    assert len(exported(runner, ALICE)) == 1
    assert runner.invoke(cli, ["rules", "delete", ALICE]).exit_code == 0
    missing = runner.invoke(cli, ["rules", "delete", ALICE])
    assert missing.exit_code == 1 and "no rules for" in missing.output
    assert "no rules for" in runner.invoke(cli, ["rules", "list", ALICE]).output


def test_import_replaces_the_numbers_in_the_file_only(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(cli, ["rules", "set", "+4711111111", "--action", "dnd"])
    runner.invoke(cli, ["rules", "set", ALICE, "--action", "dnd"])
    file = tmp_path / "r.toml"
    file.write_text(f'[[rule]]\nnumber = "{ALICE}"\naction = "reject"\nstatus = 603\n')
    result = runner.invoke(cli, ["rules", "import", str(file)])
    assert result.exit_code == 0 and "imported 1 rule(s) for 1 number(s)" in result.output
    assert [(r.number, r.action) for r in exported(runner)] == [
        ("+4711111111", RuleAction.DND),
        (ALICE, RuleAction.REJECT),
    ]
    out = tmp_path / "out.toml"
    assert runner.invoke(cli, ["rules", "export", ALICE, "--out", str(out)]).exit_code == 0
    assert parse_rules(out.read_text()) == exported(runner, ALICE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "12345", "--action", "dnd"], "E.164"),
        (["set", ALICE, "--action", "ring"], "needs at least one"),
        (["set", ALICE, "--action", "ring", "--ring", "bob=5"], "target must be"),
        (["set", ALICE, "--action", "dnd", "--time-zone", "Mars/Base"], "IANA"),
        (["set", ALICE, "--action", "announce", "--announcement", "/nope.wav"], "/nope.wav"),
        (["import", "/nope.toml"], "no such file: /nope.toml"),
        (["export", "nope"], "E.164"),
    ],
)
def test_bad_input_is_refused_in_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["rules", *args])
    assert result.exit_code == 2 and message in result.output
    assert result.output.startswith("tas: ") and len(result.output.strip().splitlines()) == 1
    assert exported(runner) == []  # nothing stored


async def test_rules_written_elsewhere_reach_the_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tas.db'}"
    ours, theirs = Database(url), Database(url)
    await ours.migrate()
    directory = Directory(options=DirectoryOptions(poll_interval=0.2, max_stale=10.0))
    sync = DirectorySync(ours, directory)
    await sync.start()
    try:
        rule = parse_rule({"number": ALICE, "action": "dnd"})
        await RuleStore(theirs).set(ALICE, [rule])  # another process: seen by polling
        await eventually(lambda: bool(directory.rules_for(ALICE)), 3.0)
        assert list(directory.rules_for(ALICE)) == [rule]
        await RuleStore(ours).delete(ALICE)  # our own write: at once, no poll
        assert directory.rules_for(ALICE) == ()
    finally:
        await sync.stop()
        await ours.close()
        await theirs.close()
