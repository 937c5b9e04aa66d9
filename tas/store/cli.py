"""``tas db``: the database schema (alembic revisions, :mod:`tas.store.migrate`).

``upgrade`` migrates to the head revision under the replicas' shared lock (what ``tas serve``
does at start); ``current`` prints the database's revision; ``history`` lists the revisions
this release knows. Exit 0 ok, 1 the schema is newer than this release, 2 bad input,
3 the database is unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from tas.config_cli import config_option, settings_for_cli
from tas.store.db import Database
from tas.store.migrate import SchemaTooNewError, current, head, history, upgrade

T = TypeVar("T")


def _database(config_file: Path | None) -> Database:
    return Database(settings_for_cli(config_file).database_url)


def _run_db(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except SchemaTooNewError as exc:
        click.echo(f"tas: {exc}", err=True)
        raise SystemExit(1) from None
    except (OSError, OperationalError, DBAPIError) as exc:
        click.echo(f"tas: database unreachable: {exc.__class__.__name__}: {exc}", err=True)
        raise SystemExit(3) from None


@click.group("db")
def db() -> None:
    """Database schema: upgrade, current revision, history."""


@db.command("upgrade")
@config_option
def upgrade_command(config_file: Path | None) -> None:
    """Migrate the database to this release's schema (safe with replicas starting)."""
    database = _database(config_file)

    async def work() -> tuple[str | None, str | None]:
        try:
            return await upgrade(database)
        finally:
            await database.close()

    before, after = _run_db(work())
    if before == after:
        click.echo(f"schema current at {after}")
    else:
        click.echo(f"schema upgraded {before or 'empty'} -> {after}")


@db.command("current")
@config_option
def current_command(config_file: Path | None) -> None:
    """Print the database's revision and this release's head."""
    database = _database(config_file)

    async def work() -> str | None:
        try:
            return await current(database)
        finally:
            await database.close()

    revision = _run_db(work())
    state = "current" if revision == head() else "needs `tas db upgrade`"
    click.echo(f"{revision or 'none'} (head {head()}: {state})")


@db.command("history")
def history_command() -> None:
    """List the schema revisions this release knows, oldest first."""
    for revision in history():
        click.echo(f"{revision.revision}  {revision.doc}")
