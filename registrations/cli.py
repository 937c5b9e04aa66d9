"""``tas register``: make, list, refresh and remove SIP breakout registrations.

Input is validated before any call (exit 2); the operator saying no exits 1 with its
``error_message``; an unreachable operator or token endpoint exits 3. Errors are one line on
stderr (and a JSON object on stdout with ``--json``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from registrations import cli_render as render
from registrations.errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_UNREACHABLE,
    BadInput,
    OperatorError,
)
from registrations.forget import forget_local
from registrations.model import ROUTE_NAMES, Registration, Route
from registrations.refresher import Outcome, Refresher
from registrations.schedule import Entry
from registrations.store import RegistrationStore
from registrations.syncfile import SyncFileError, load_sync_file
from registrations.validation import InvalidRegistration, validate_e164, validate_registration
from tas.config import Settings
from tas.config_cli import settings_for_cli
from tas.logs import configure_logging
from tas.store import Database

__all__ = ["register"]

#: Wall clock of every command (tests replace it with a virtual one).
_clock: Callable[[], float] = time.time


class RouteChoice(click.ParamType[Route, Any]):
    """``--route``: a route type by any operator spelling (``loop-mo``, ``loop_mo``, ``LOOP_MO``)."""

    name = "route"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "[" + "|".join(ROUTE_NAMES) + "]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Route:
        if isinstance(value, Route):
            return value
        try:
            return Route.from_cli_name(str(value))
        except KeyError:
            self.fail(f"{value!r} is not a route type: one of {', '.join(ROUTE_NAMES)}", param, ctx)


@dataclass
class Options:
    config: Path | None
    target: str | None
    database: str | None
    sandbox_token: str | None = None

    def settings(self) -> Settings:
        settings = settings_for_cli(self.config)
        if self.target:
            settings.operator.target = self.target
        if self.sandbox_token:
            settings.sandbox.tokens = [self.sandbox_token]
        if self.database:
            settings.database.url = self.database
        return settings


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@click.group("register", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", type=click.Path(dir_okay=False, path_type=Path), help="TOML settings file."
)
@click.option("--target", help="sandbox (default), shamrock, oak, sakura or host:port.")
@click.option("--database", help="SQLAlchemy URL of the registration store.")
@click.option(
    "--token",
    metavar="TOKEN",
    help="Bearer token of a sandbox started with `tas sandbox --token` "
    "(default: the first of [sandbox] tokens).",
)
@click.pass_context
def register(
    ctx: click.Context,
    config: Path | None,
    target: str | None,
    database: str | None,
    token: str | None,
) -> None:
    """Make, list, refresh and remove SIP breakout registrations."""
    ctx.obj = Options(config, target, database, token)


@register.command()
@click.argument("number")
@click.option("--route", required=True, type=RouteChoice())
@click.option("--uri", required=True, help="sips:host or sips:host:port of this TAS.")
@click.option("--mo-prefix", default="", help="Digits the core puts after '+' for MO calls.")
@click.option("--mt-prefix", default="", help="Digits the core puts after '+' for MT calls.")
@json_option
@click.pass_obj
def upsert(
    opts: Options,
    number: str,
    route: Route,
    uri: str,
    mo_prefix: str,
    mt_prefix: str,
    as_json: bool,
) -> None:
    """Register NUMBER (E.164) to this TAS, or update its registration."""

    async def body() -> int:
        reg = validate_registration(number, route, uri, mo_prefix, mt_prefix)
        async with _session(opts) as (refresher, now):
            await refresher.store.set_desired(reg.phone_number, reg, now)
            outcomes = await refresher.reconcile(now=now, only=[reg.phone_number], force=True)
            entry = await refresher.store.get(reg.phone_number)
        return _report_entries(outcomes, [entry] if entry else [], now, as_json)

    _run(body, as_json)


@register.command()
@click.argument("number")
@click.option("--uri", help="sips: URI registered elsewhere (when the store does not know it).")
@click.option(
    "--route",
    type=RouteChoice(),
    default="loop",
    help="Route type of a registration made elsewhere (with --uri).",
)
@click.option("--local", is_flag=True, help="Forget it here only, no operator call.")
@json_option
@click.pass_obj
def delete(
    opts: Options, number: str, uri: str | None, route: Route, local: bool, as_json: bool
) -> None:
    """Remove the registration of NUMBER (--local: one the operator no longer has)."""

    async def body() -> int:
        validate_e164(number)
        if local:
            async with _session(opts, client=False) as (refresher, now):
                return await forget_local(refresher.store, number, uri, now, as_json=as_json)
        direct = validate_registration(number, route, uri) if uri else None
        async with _session(opts) as (refresher, now):
            known = await refresher.store.get(number)
            if known is None and direct is None:
                raise BadInput(
                    f"no registration for {number} in the store; "
                    "give --uri to delete one made elsewhere"
                )
            if known is None and direct is not None:  # made elsewhere: nothing to store
                outcome = Outcome(number, "delete", Entry(number, desired=None, updated_at=now))
                try:
                    await refresher.api.delete(direct)
                except OperatorError as exc:
                    outcome = Outcome(number, "delete", outcome.entry, exc)
                return _report_entries([outcome], [], now, as_json, removed=number)
            await refresher.store.set_desired(number, None, now)
            outcomes = await refresher.reconcile(now=now, only=[number], force=True)
            entry = await refresher.store.get(number)
        return _report_entries(outcomes, [entry] if entry else [], now, as_json, removed=number)

    _run(body, as_json)


@register.command("list")
@json_option
@click.pass_obj
def list_(opts: Options, as_json: bool) -> None:
    """List the registrations in the store and their state (no operator call)."""

    async def body() -> int:
        async with _session(opts, client=False) as (refresher, now):
            entries = await refresher.store.entries()
        if as_json:
            render.print_json([render.entry_json(e, now) for e in entries])
        else:
            render.console().print(render.entries_table(entries, now))
        return EXIT_OK

    _run(body, as_json)


@register.command()
@click.argument("numbers", nargs=-1)
@json_option
@click.pass_obj
def status(opts: Options, numbers: tuple[str, ...], as_json: bool) -> None:
    """Show state, times and last error per registration (all, or NUMBERS)."""

    async def body() -> int:
        for number in numbers:
            validate_e164(number)
        async with _session(opts, client=False) as (refresher, now):
            entries = await refresher.store.entries()
        if numbers:
            missing = sorted(set(numbers) - {e.phone_number for e in entries})
            if missing:
                raise BadInput(f"no registration for {', '.join(missing)} in the store")
            entries = [e for e in entries if e.phone_number in numbers]
        if as_json:
            render.print_json([render.entry_json(e, now) for e in entries])
            return EXIT_OK
        console = render.console()
        for entry in entries:
            console.print(render.status_table(entry, now))
        if not entries:
            console.print("no registrations")
        return EXIT_OK

    _run(body, as_json)


@register.command()
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file listing every wanted registration.",
)
@json_option
@click.pass_obj
def sync(opts: Options, path: Path, as_json: bool) -> None:
    """Make the operator's registrations match FILE: upsert every wanted one (the operator
    cannot be asked what it holds, so "registered" here is not trusted), delete removed."""

    async def body() -> int:
        wanted = load_sync_file(path)
        async with _session(opts) as (refresher, now):
            await refresher.store.replace_desired(wanted, now)
            outcomes = await refresher.reconcile_all(now=now, reason="sync")
            entries = await refresher.store.entries()
        return _report_entries(outcomes, entries, now, as_json)

    _run(body, as_json)


@register.command()
@click.option("--once", is_flag=True, help="Re-upsert every registration once, then exit.")
@click.pass_obj
def run(opts: Options, once: bool) -> None:
    """Keep registrations alive: re-upsert each before its time_to_live runs out."""

    async def body() -> int:
        configure_logging("INFO")
        async with _session(opts) as (refresher, now):
            if once:
                outcomes = await refresher.reconcile_all(now=now, reason="run --once")
                return _exit_code(outcomes)
            await refresher.run()
        return EXIT_OK

    _run(body, False)


# --- plumbing ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _session(opts: Options, *, client: bool = True) -> AsyncIterator[tuple[Refresher, float]]:
    """Settings, database and (optionally) operator client for one command."""
    settings = opts.settings()
    db = Database(settings.database_url)
    try:
        if client:
            try:
                refresher = Refresher.from_settings(settings, db, clock=_clock)
            except ValueError as exc:  # bad target, missing credentials
                raise BadInput(str(exc)) from exc
        else:
            refresher = Refresher(RegistrationStore(db), _NoApi(), clock=_clock)
        await refresher.store.create_schema()
        try:
            yield refresher, refresher.clock()
        finally:
            await refresher.api.close()
    finally:
        await db.close()


class _NoApi:
    async def upsert(self, reg: Registration) -> float:
        raise AssertionError("read-only command")

    async def delete(self, reg: Registration) -> None:
        raise AssertionError("read-only command")

    async def close(self) -> None:
        return None


def _run(body: Callable[[], Coroutine[Any, Any, int]], as_json: bool) -> None:
    try:
        code = asyncio.run(body())
    except (InvalidRegistration, SyncFileError, BadInput) as exc:
        code = _fail(str(exc), "bad_input", EXIT_BAD_INPUT, as_json)
    except OperatorError as exc:
        code = _fail(str(exc), exc.kind, exc.exit_code, as_json)
    except KeyboardInterrupt:
        code = EXIT_OK
    sys.exit(code)


def _fail(message: str, kind: str, code: int, as_json: bool) -> int:
    line = " ".join(message.split())
    if as_json:
        render.print_json({"ok": False, "error": line, "kind": kind, "exit_code": code})
    click.echo(f"error: {line}", err=True)
    return code


def _exit_code(outcomes: list[Outcome]) -> int:
    codes = {o.error.exit_code for o in outcomes if o.error is not None}
    if EXIT_UNREACHABLE in codes:
        return EXIT_UNREACHABLE
    return EXIT_REJECTED if codes else EXIT_OK


def _report_entries(
    outcomes: list[Outcome],
    entries: list[Entry],
    now: float,
    as_json: bool,
    *,
    removed: str | None = None,
) -> int:
    code = _exit_code(outcomes)
    errors = [o for o in outcomes if o.error is not None]
    if as_json:
        render.print_json(
            {
                "ok": code == EXIT_OK,
                "exit_code": code,
                "steps": [render.outcome_json(o) for o in outcomes],
                "registrations": [render.entry_json(e, now) for e in entries],
            }
        )
    else:
        console = render.console()
        if outcomes:
            console.print(render.steps_table(outcomes))
        if entries:
            console.print(render.entries_table(entries, now))
        elif removed is not None and code == EXIT_OK:
            console.print(f"{removed}: removed")
    for outcome in errors:
        click.echo(f"error: {outcome.phone_number}: {outcome.error}", err=True)
    return code
