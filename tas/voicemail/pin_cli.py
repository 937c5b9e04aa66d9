"""``tas voicemail pin set|unlock NUMBER``: a mailbox's phone-menu PIN (:mod:`tas.voicemail.pin_store`).

The PIN is read from a hidden prompt (asked twice) on a terminal, else one line of stdin, never
from the command line (argv is visible to every user of the host in ``ps``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from tas.config_cli import settings_for_cli
from tas.store.db import Database
from tas.voicemail.errors import InvalidNumber
from tas.voicemail.ids import check_number
from tas.voicemail.pin_store import PinStore
from tas.voicemail.pins import check_pin

__all__ = ["pin"]

_T = TypeVar("_T")


@click.group("pin")
def pin() -> None:
    """Set or unlock a mailbox's PIN for listening by phone."""


@pin.command("set")
@click.argument("number")
@click.pass_context
def set_command(ctx: click.Context, number: str) -> None:
    """Set the PIN of NUMBER (4-8 digits, from a prompt or stdin)."""
    _check_number(number)
    if sys.stdin.isatty():
        value = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.readline().strip()
    try:
        check_pin(value)
    except ValueError as exc:
        _fail(str(exc))
    _run(ctx, lambda store: store.set_pin(number, value))
    click.echo(f"PIN set for {number}")


@pin.command("unlock")
@click.argument("number")
@click.pass_context
def unlock_command(ctx: click.Context, number: str) -> None:
    """Lift a lock after wrong PINs, and clear the count."""
    _check_number(number)
    if not _run(ctx, lambda store: store.unlock(number)):
        _fail(f"{number} has no PIN", code=1)
    click.echo(f"unlocked {number}")


def _check_number(number: str) -> None:
    try:
        check_number(number)
    except InvalidNumber as exc:
        _fail(str(exc))


def _run(ctx: click.Context, work: Callable[[PinStore], Awaitable[_T]]) -> _T:
    config: Path | None = ctx.obj  # the voicemail group's --config
    settings = settings_for_cli(config)

    async def main() -> _T:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            store = PinStore(
                db,
                attempts=settings.voicemail.pin_attempts,
                lock_seconds=settings.voicemail.pin_lock_seconds,
            )
            return await work(store)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except OSError as exc:
        _fail(str(exc), code=3)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
