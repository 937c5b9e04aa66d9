"""``tas config check|show`` and the one way every command reports a bad config.

:func:`settings_for_cli` is the loader of the click commands: it calls
:func:`tas.config.load_settings` and turns a :class:`~tas.config.ConfigError` into
:class:`BadConfig`, which click prints as ``tas: <problem>`` lines on stderr, exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import click

from tas.config import ConfigError, Settings, load_settings

__all__ = ["BadConfig", "EXIT_BAD_CONFIG", "config", "settings_for_cli"]

EXIT_BAD_CONFIG = 2


class BadConfig(click.ClickException):
    """A :class:`ConfigError` on its way out of a click command (exit 2, one line each)."""

    exit_code = EXIT_BAD_CONFIG

    def __init__(self, error: ConfigError) -> None:
        super().__init__(str(error))
        self.lines = error.lines

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.lines:
            click.echo(f"tas: {line}", err=file is None, file=file)


def settings_for_cli(config_file: Path | None = None, **overrides: Any) -> Settings:
    """:func:`load_settings` for click commands: a bad config ends the command with exit 2."""
    try:
        return load_settings(config_file, **overrides)
    except ConfigError as exc:
        raise BadConfig(exc) from None


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=True, path_type=Path),
    default=None,
    help="TOML settings file (default: $TAS_CONFIG, else built-in defaults).",
)


@click.group("config")
def config() -> None:
    """Validate the settings and show the effective values."""


@config.command("check")
@config_option
def check(config_file: Path | None) -> None:
    """Validate the settings (file + environment): ``ok`` and the file used, else exit 2."""
    from tas.config import config_path

    settings_for_cli(config_file)
    path, origin = config_path(config_file)
    if path is None:
        click.echo("ok (no config file: defaults and environment)")
    else:
        click.echo(f"ok {path}" + (f" (from {origin})" if origin else ""))


@config.command("show")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(config_file: Path | None, as_json: bool) -> None:
    """Every effective value and where it came from (default, the file, a TAS_… variable)."""
    from tas.config_show import describe

    try:
        report = describe(config_file)
    except ConfigError as exc:
        raise BadConfig(exc) from None
    if as_json:
        out = {
            "config_file": str(report.config_file) if report.config_file else None,
            "settings": {e.path: {"value": e.value, "source": e.source} for e in report.entries},
        }
        click.echo(json.dumps(out, indent=2))
        return
    rows = [(e.path, json.dumps(e.value), e.source) for e in report.entries]
    width = max(len(path) for path, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 48)
    used = str(report.config_file) if report.config_file else "none"
    click.echo(f"# config file: {used}")
    for path, value, source in rows:
        click.echo(f"{path:<{width}}  {value:<{value_width}}  {source}")
