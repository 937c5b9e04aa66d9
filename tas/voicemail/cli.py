"""``tas voicemail``: list, show, export, mark-played, delete, purge, greeting, notify,
reset-greeting, hash-token, pin (:mod:`tas.voicemail.pin_cli`).

Exit codes: 0 ok, 1 no such voicemail, 2 bad input (id, number, option, config file),
3 storage failure (database or files). Errors are one line on stderr.
"""

from __future__ import annotations

import asyncio
import json
import re
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
from tas.voicemail.greeting_audio import prepare_greeting
from tas.voicemail.greetings import DEFAULT_GREETING, GreetingKind
from tas.voicemail.ids import check_number
from tas.voicemail.models import Voicemail
from tas.voicemail.notify_models import Channel
from tas.voicemail.notify_store import MailboxOverride, OutboxStore, plan
from tas.voicemail.pin_cli import pin
from tas.voicemail.store import VoicemailStore
from tas.voicemail.tokens import digest_of
from tas.voicemail.transcript_models import Transcript, describe_transcript
from tas.voicemail.transcript_store import TranscriptStore
from tas.voicemail.wavfile import probe_wav

__all__ = ["voicemail"]

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_STORAGE = 3
_T = TypeVar("_T")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")


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
    """Show one message's details and its transcript."""

    async def work(store: VoicemailStore) -> tuple[Voicemail, Transcript | None]:
        message = await store.get(voicemail_id)
        return message, await TranscriptStore(store.db).get(message.voicemail_id)

    message, transcript = _run(ctx, work)
    if as_json:
        values = message.as_dict()
        values["transcript"] = transcript.as_dict() if transcript else None
        click.echo(json.dumps(values, indent=2))
        return
    _console().print(_details(message, transcript))


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
        return await store.greeting_catalog.reset_greeting(number)

    removed = _run(ctx, work)
    click.echo(f"reset greeting of {number} ({removed} custom greeting(s) removed)")


_KIND = click.Choice([kind.value for kind in GreetingKind])


@voicemail.group("greeting")
def greeting_group() -> None:
    """Set, show and delete a mailbox's own greetings (one per reason, and its name)."""


@greeting_group.command("set")
@click.argument("number")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--reason", "kind", type=_KIND, default="default", show_default=True)
@click.pass_context
def greeting_set_command(ctx: click.Context, number: str, file: Path, kind: str) -> None:
    """Use FILE (WAV, MP3, OGG, FLAC, M4A, ...) as NUMBER's greeting for --reason.

    It is converted to 8 kHz mono 16-bit WAV and must be 1-60 s long and not silent.
    """

    async def work(store: VoicemailStore) -> Path:
        data = await asyncio.to_thread(file.read_bytes)
        wav = await asyncio.to_thread(prepare_greeting, data, str(file))
        return await store.greeting_catalog.set_greeting(number, kind, wav)

    path = _run(ctx, work)
    seconds = probe_wav(path.read_bytes()).duration
    click.echo(f"greeting {kind} of {number} set from {file} ({seconds:.1f} s)")


@greeting_group.command("show")
@click.argument("number")
@click.pass_context
def greeting_show_command(ctx: click.Context, number: str) -> None:
    """Which greeting a caller hears for each reason, and which are the mailbox's own."""

    async def work(store: VoicemailStore) -> list[tuple[str, str, str]]:
        box = check_number(number)
        own = await store.greeting_catalog.custom_greetings(box)  # brings the cache in line
        rows = []
        for kind in GreetingKind:
            if kind is GreetingKind.NAME:
                played = own.get(kind)
            else:
                played = store.greetings.greeting_for(box, kind.value)
            seconds = probe_wav(played.read_bytes()).duration if played else 0.0
            if kind in own:
                source = "own"
            elif played is None:
                source = "-"
            else:
                source = "shipped default" if played == DEFAULT_GREETING else f"own {played.stem}"
            rows.append((kind.value, source, f"{seconds:.1f}" if played else "-"))
        return rows

    table = Table(title=f"Greetings of {number}", title_justify="left")
    for column in ("reason", "greeting", "seconds"):
        table.add_column(column)
    for row in _run(ctx, work):
        table.add_row(*row)
    _console().print(table)


@greeting_group.command("delete")
@click.argument("number")
@click.option("--reason", "kind", type=_KIND, default="default", show_default=True)
@click.pass_context
def greeting_delete_command(ctx: click.Context, number: str, kind: str) -> None:
    """Drop NUMBER's own greeting for --reason (it falls back to the next one)."""

    async def work(store: VoicemailStore) -> bool:
        return await store.greeting_catalog.delete_greeting(number, kind)

    if not _run(ctx, work):
        _fail(f"{number} has no own {kind} greeting", EXIT_NOT_FOUND)
    click.echo(f"deleted greeting {kind} of {number}")


@voicemail.group("notify")
def notify_group() -> None:
    """A mailbox's own new-message notifications (else ``[voicemail.notify]``'s)."""


@notify_group.command("set")
@click.argument("number")
@click.option(
    "--channels",
    metavar="LIST",
    help="Comma-separated sms,email,webhook; '' for none; unset keeps the global list.",
)
@click.option("--email", "email_to", metavar="ADDRESS", help="E-mail recipient.")
@click.option("--webhook", "webhook_url", metavar="URL", help="Webhook URL (http or https).")
@click.pass_context
def notify_set_command(
    ctx: click.Context,
    number: str,
    channels: str | None,
    email_to: str | None,
    webhook_url: str | None,
) -> None:
    """Give NUMBER its own notification channels and addresses."""
    override = MailboxOverride(
        channels=_channels(channels),
        email_to=_address(email_to),
        webhook_url=_url(webhook_url),
    )

    async def work(store: VoicemailStore) -> None:
        await OutboxStore(store.db).set_mailbox(check_number(number), override)

    _run(ctx, work)
    click.echo(f"notifications of {number}: {_describe(override)}")


@notify_group.command("show")
@click.argument("number")
@click.pass_context
def notify_show_command(ctx: click.Context, number: str) -> None:
    """Where a new message in NUMBER is announced (its own settings over the global ones)."""

    async def work(store: VoicemailStore) -> list[tuple[Channel, str]]:
        box = check_number(number)
        return plan(box, store.settings.notify, await OutboxStore(store.db).mailbox(box))

    planned = _run(ctx, work)
    for channel, target in planned:
        click.echo(f"{channel.value:8} {target}")
    if not planned:
        click.echo("no notifications")


@notify_group.command("clear")
@click.argument("number")
@click.pass_context
def notify_clear_command(ctx: click.Context, number: str) -> None:
    """Drop NUMBER's own settings (the global ones apply again)."""

    async def work(store: VoicemailStore) -> None:
        await OutboxStore(store.db).set_mailbox(check_number(number), None)

    _run(ctx, work)
    click.echo(f"notifications of {number}: global settings")


def _channels(text: str | None) -> tuple[Channel, ...] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in {c.value for c in Channel}]
    if unknown:
        _fail(f"unknown channel(s) {', '.join(unknown)}: use sms, email, webhook", EXIT_BAD_INPUT)
    return tuple(dict.fromkeys(Channel(name) for name in names))


def _address(text: str | None) -> str | None:
    if text is not None and (len(text) > 254 or not _EMAIL.fullmatch(text)):
        _fail(f"{text!r} is not an e-mail address", EXIT_BAD_INPUT)
    return text


def _url(text: str | None) -> str | None:
    if text is not None and (len(text) > 512 or not _URL.fullmatch(text)):
        _fail(f"{text!r} is not an http(s) URL", EXIT_BAD_INPUT)
    return text


def _describe(override: MailboxOverride) -> str:
    channels = (
        "global channels"
        if override.channels is None
        else ",".join(c.value for c in override.channels) or "none"
    )
    return f"{channels}; e-mail {override.email_to or 'global'}; webhook {override.webhook_url or 'global'}"


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


def _details(message: Voicemail, transcript: Transcript | None) -> Table:
    table = Table(show_header=False, title=f"Voicemail {message.voicemail_id}")
    table.add_column(style="bold")
    table.add_column()
    values: dict[str, Any] = message.as_dict()
    values["duration"] = f"{message.duration:.2f} s"
    for key, value in values.items():
        table.add_row(key, "-" if value is None else str(value))
    table.add_row("transcript", describe_transcript(transcript))
    return table


def _console() -> Console:
    console = Console()
    # Piped or captured output: no terminal width to fit, so never cut ids and numbers.
    return console if console.is_terminal else Console(width=200)


voicemail.add_command(pin)
