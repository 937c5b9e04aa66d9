"""The ``tas`` entry point: help, version, unknown subcommands."""

from click.testing import CliRunner

from tas.cli import cli


def test_help_lists_available_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Usage: tas" in result.output


def test_unknown_subcommand_prints_help_and_fails() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "unknown command 'no-such-command'" in result.output
    assert "Usage: tas" in result.output
