"""``tas voicemail``: list, show, export, mark-played, delete, purge, reset-greeting, hash-token.

Exit codes: 0 ok, 1 no such voicemail, 2 bad input (id, number, option, config file),
3 storage failure (database or files). Errors are one line on stderr.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table

from tas.config_cli import settings_for_cli
from tas.voicemail.errors import (
    InvalidAudio,
    InvalidNumber,
    InvalidVoicemailId,
    VoicemailError,
    VoicemailNotFound,
)
from tas.voicemail.export import EXPORT_FORMATS, ExportFormat, export_audio, export_format
from tas.voicemail.ids import check_number
from tas.voicemail.models import Voicemail
from tas.voicemail.store import VoicemailStore
from tas.voicemail.tokens import digest_of

__all__ = ["voicemail"]

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_STORAGE = 3
_T = TypeVar("_T")


@click.group("voicemail", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML settings file (default: $TAS_CONFIG, else built-in defaults).",
)
@click.pass_context
def voicemail(ctx: click.Context, config: Path | None) -> None:
    """List, show, export, mark and delete voicemail messages."""
    ctx.obj = config


@voicemail.command("list")
@click.option("--mailbox", metavar="NUMBER", help="Only this mailbox (E.164, e.g. +4712345678).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_command(ctx: click.Context, mailbox: str | None, as_json: bool) -> None:
    """List messages, newest first."""
    messages = _run(ctx, lambda store: store.list_messages(mailbox))
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in messages], indent=2))
        return
    table = Table(title=f"Voicemail ({len(messages)})", title_justify="left")
    for column in ("id", "mailbox", "from", "seconds", "created (UTC)", "expires", "played"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for m in messages:
        table.add_row(
            m.voicemail_id,
            m.mailbox,
            m.caller or "-",
            f"{m.duration:.1f}",
            f"{m.created:%Y-%m-%d %H:%M:%S}",
            f"{m.expires:%Y-%m-%d}",
            "yes" if m.played else "[bold]new[/bold]",
        )
    _console().print(table)


@voicemail.command("show")
@click.argument("voicemail_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def show_command(ctx: click.Context, voicemail_id: str, as_json: bool) -> None:
    """Show one message's details."""
    message = _run(ctx, lambda store: store.get(voicemail_id))
    if as_json:
        click.echo(json.dumps(message.as_dict(), indent=2))
        return
    _console().print(_details(message))


@voicemail.command("export")
@click.argument("voicemail_id")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Output file.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    help="wav (as stored), ogg (Opus) or mp3; default from --out's extension, else wav.",
)
@click.pass_context
def export_command(
    ctx: click.Context, voicemail_id: str, out: Path | None, fmt: ExportFormat | None
) -> None:
    """Write a message's audio to a file."""
    try:
        fmt = export_format(out, fmt)
    except InvalidAudio as exc:
        _fail(str(exc), EXIT_BAD_INPUT)

    async def work(store: VoicemailStore) -> Path:
        message, wav = await store.read_audio(voicemail_id)  # from whichever backend has it
        target = out or Path(f"{message.voicemail_id}.{fmt}")
        name = f"{message.voicemail_id}.wav"
        return await asyncio.to_thread(partial(export_audio, wav, target, fmt, name=name))

    click.echo(str(_run(ctx, work)))


@voicemail.command("mark-played")
@click.argument("voicemail_id")
@click.pass_context
def mark_played_command(ctx: click.Context, voicemail_id: str) -> None:
    """Mark a message as played."""
    message = _run(ctx, lambda store: store.mark_played(voicemail_id))
    click.echo(f"marked {message.voicemail_id} as played")


@voicemail.command("delete")
@click.argument("voicemail_id")
@click.pass_context
def delete_command(ctx: click.Context, voicemail_id: str) -> None:
    """Delete a message (row and audio file)."""
    message = _run(ctx, lambda store: store.delete(voicemail_id))
    click.echo(f"deleted {message.voicemail_id}")


@voicemail.command("purge")
@click.pass_context
def purge_command(ctx: click.Context) -> None:
    """Delete every expired message."""
    purged = _run(ctx, lambda store: store.purge_expired())
    click.echo(f"purged {len(purged)} expired message(s)")


@voicemail.command("reset-greeting")
@click.argument("number")
@click.pass_context
def reset_greeting_command(ctx: click.Context, number: str) -> None:
    """Drop a mailbox's own greetings; callers hear the default again."""

    async def work(store: VoicemailStore) -> int:
        return await asyncio.to_thread(store.greetings.reset_greeting, check_number(number))

    removed = _run(ctx, work)
    click.echo(f"reset greeting of {number} ({removed} custom greeting(s) removed)")


@voicemail.command("hash-token")
@click.option("--new", "generate", is_flag=True, help="Make a random token and print it too.")
def hash_token_command(generate: bool) -> None:
    """Print the ``token_sha256`` of a token read from stdin, for ``voicemail.api_tokens``."""
    if generate:
        token = secrets.token_urlsafe(32)
        click.echo(f"token        {token}")
    else:
        token = sys.stdin.readline().strip()
        if not token:
            _fail("no token on stdin", EXIT_BAD_INPUT)
    click.echo(f"token_sha256 {digest_of(token).hex()}")


def _run(ctx: click.Context, work: Callable[[VoicemailStore], Awaitable[_T]]) -> _T:
    """Open the store from the settings, run ``work``, map errors to one line + exit code."""
    settings = settings_for_cli(ctx.obj)

    async def main() -> _T:
        store = VoicemailStore.from_settings(settings)
        try:
            await store.open()
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except VoicemailNotFound as exc:
        _fail(str(exc), EXIT_NOT_FOUND)
    except (InvalidVoicemailId, InvalidNumber, InvalidAudio) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except (VoicemailError, OSError) as exc:
        _fail(_first_line(exc), EXIT_STORAGE)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _details(message: Voicemail) -> Table:
    table = Table(show_header=False, title=f"Voicemail {message.voicemail_id}")
    table.add_column(style="bold")
    table.add_column()
    values: dict[str, Any] = message.as_dict()
    values["duration"] = f"{message.duration:.2f} s"
    for key, value in values.items():
        table.add_row(key, "-" if value is None else str(value))
    return table


def _console() -> Console:
    console = Console()
    # Piped or captured output: no terminal width to fit, so never cut ids and numbers.
    return console if console.is_terminal else Console(width=200)
