"""The ``tas`` command line: one group, subcommands loaded lazily from the module that owns them.

Each subcommand lives next to the code it drives (``registrations.cli`` for ``tas register``,
``tas.harness.cli`` for ``tas call`` …); this module only maps names to ``module:attribute`` so a
``tas --help`` never imports gRPC, aiortc or SQLAlchemy.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

#: subcommand name -> "module:attribute" of a click command or group.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("tas.server_cli:serve", "Run the telephony server (SIP, media, voicemail, events)."),
    "register": (
        "registrations.cli:register",
        "Make, list, refresh and remove SIP breakout registrations.",
    ),
    "sandbox": ("tas.sandbox.cli:sandbox", "Run the built-in sandbox operator core on loopback."),
    "policy": ("tas.calls.cli:policy", "Per-number call policies (answer, forward, voicemail …)."),
    "rules": ("tas.calls.rules_cli:rules", "Call rules per number: follow-me, time windows, DND."),
    "call": ("tas.harness.cli:call", "Place SIP test calls: single calls and load runs."),
    "originate": ("tas.calls.originate_cli:originate", "Place one INGRESS call through the core."),
    "voicemail": ("tas.voicemail.cli:voicemail", "List, export, mark and delete voicemail."),
    "calls": ("tas.events.cli:calls", "Show call timelines joined with the core's events."),
    "demo": ("tas.demo:demo", "Run the full story on the embedded default (what `make run` does)."),
    "config": ("tas.config_cli:config", "Check the settings; show each value and its source."),
    "db": ("tas.store.cli:db", "Database schema: upgrade, current revision, history."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in SUBCOMMANDS if _available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS or not _available(cmd_name):
            return None
        target, _ = SUBCOMMANDS[cmd_name]
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        # The safety net: a ConfigError that a subcommand did not turn into BadConfig still
        # ends as `tas: <problem>` lines and exit 2, never a traceback.
        from tas.config_check import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            from tas.config_cli import BadConfig

            raise BadConfig(exc) from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # An unknown subcommand prints the help (and exits 2) instead of a bare error line.
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            click.echo(ctx.get_help(), err=True)
            ctx.fail(f"unknown command {args[0]!r}")
        return super().resolve_command(ctx, args)


def _available(name: str) -> bool:
    module_name = SUBCOMMANDS[name][0].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group("tas", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tas-companion", prog_name="tas")
def cli() -> None:
    """TAS companion: SIP Telephony Application Server for an operator core with SIP breakout."""


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="tas")
