"""`tas policy` against a real SQLite file: set, list, load, delete and bad input."""

import json
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from tas.cli import cli

ALICE = "+4799990000"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    return CliRunner()


def listed(runner: CliRunner) -> list[dict]:
    result = runner.invoke(cli, ["policy", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_set_list_replace_delete(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["policy", "set", ALICE, "--action", "reject", "--status", "603"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli,
        ["policy", "set", ALICE, "--action", "answer", "--route", "loop", "--menu", "1=voicemail"],
    )
    assert result.exit_code == 0, result.output
    rows = listed(runner)
    assert {(r["route"], r["action"]) for r in rows} == {(None, "reject"), ("loop", "answer")}
    # Setting the same (number, route) replaces, never duplicates.
    runner.invoke(cli, ["policy", "set", ALICE, "--action", "voicemail"])
    assert {(r["route"], r["action"]) for r in listed(runner)} == {
        (None, "voicemail"),
        ("loop", "answer"),
    }
    assert runner.invoke(cli, ["policy", "delete", ALICE]).exit_code == 0
    assert [r["route"] for r in listed(runner)] == ["loop"]
    missing = runner.invoke(cli, ["policy", "delete", ALICE])
    assert missing.exit_code == 1 and "no policy for" in missing.output


def test_load_replaces_everything(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(cli, ["policy", "set", "+4711111111", "--action", "reject"])
    file = tmp_path / "p.toml"
    file.write_text(f'[[policy]]\nnumber = "{ALICE}"\naction = "observe"\n')
    result = runner.invoke(cli, ["policy", "load", str(file)])
    assert result.exit_code == 0 and "loaded 1 policies" in result.output
    assert [(r["number"], r["action"]) for r in listed(runner)] == [(ALICE, "observe")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["policy", "set", "12345", "--action", "reject"], "number must be E.164"),
        (["policy", "set", ALICE, "--action", "reject", "--status", "200"], "status must be"),
        (["policy", "set", ALICE, "--action", "forward", "--target", "ftp:x"], "target must be"),
        (["policy", "load", "/nonexistent.toml"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1


def test_missing_or_unplayable_announcement_is_refused_naming_the_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    missing = runner.invoke(
        cli, ["policy", "set", ALICE, "--action", "answer", "--announcement", "/nope.wav"]
    )
    assert missing.exit_code == 2
    assert "error: policy for +4799990000: announcement /nope.wav: no such file" in missing.output
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(bytes(3200))
    wrong = runner.invoke(
        cli, ["policy", "set", ALICE, "--action", "answer", "--announcement", str(stereo)]
    )
    assert wrong.exit_code == 2
    assert f"announcement {stereo}: 16000 Hz, 2 channel(s); want 8 kHz mono" in wrong.output
    file = tmp_path / "p.toml"
    file.write_text(
        f'[[policy]]\nnumber = "{ALICE}"\naction = "answer"\nannouncement = "/nope.wav"\n'
    )
    loaded = runner.invoke(cli, ["policy", "load", str(file)])
    assert loaded.exit_code == 2 and "announcement /nope.wav: no such file" in loaded.output
    assert listed(runner) == []
    good = tmp_path / "hello.wav"
    with wave.open(str(good), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(bytes(1600))
    ok = runner.invoke(
        cli, ["policy", "set", ALICE, "--action", "answer", "--announcement", str(good)]
    )
    assert ok.exit_code == 0, ok.output
    assert [r["announcement"] for r in listed(runner)] == [str(good)]
