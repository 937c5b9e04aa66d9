"""``tas policy``: view and edit per-number call policies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from tas.calls.announce import read_announcement
from tas.calls.policy import Action, Policy, PolicyError, load_policy_file, parse_policy
from tas.calls.policy_store import PolicyStore
from tas.config_cli import settings_for_cli
from tas.store import Database

T = TypeVar("T")


def _run(config: Path | None, work: Callable[[PolicyStore], Awaitable[T]]) -> T:
    settings = settings_for_cli(config)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            return await work(PolicyStore(db))
        finally:
            await db.close()

    return asyncio.run(main())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def _as_dict(policy: Policy) -> dict[str, Any]:
    return {
        "number": policy.number,
        "route": policy.route.cli_name if policy.route else None,
        "action": policy.action.value,
        "status": policy.status,
        "target": policy.target,
        "announcement": policy.announcement,
        "menu": {d: a.value for d, a in policy.menu.items()},
        "early_media": policy.early_media,
    }


def _check_announcements(policies: list[Policy]) -> None:
    """Refuse a policy whose announcement WAV is missing or unplayable (names the file)."""
    for policy in policies:
        if policy.announcement:
            try:
                read_announcement(policy.announcement)
            except ValueError as exc:
                _fail(f"policy for {policy.number}: {exc}")


config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None, help="TOML settings file."
)


@click.group("policy")
def policy() -> None:
    """Per-number call policies (what the TAS does with each leg)."""


@policy.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(config: Path | None, as_json: bool) -> None:
    """Show every stored policy."""
    policies = _run(config, lambda store: store.all())
    if as_json:
        click.echo(json.dumps([_as_dict(p) for p in policies], indent=2))
        return
    table = Table("number", "route", "action", "detail")
    for p in policies:
        d = _as_dict(p)
        detail = {
            Action.REJECT: f"status {p.status}",
            Action.FORWARD: f"to {p.target}",
            Action.ANSWER: f"menu {d['menu']}" if p.menu else (p.announcement or "default"),
        }.get(p.action, "")
        table.add_row(p.number, d["route"] or "any", p.action.value, detail)
    Console().print(table)


@policy.command("set")
@click.argument("number")
@click.option("--action", required=True, type=click.Choice([a.value for a in Action]))
@click.option("--route", default=None, help="Only legs of this route type (fork, loop, …).")
@click.option("--status", type=int, default=486, show_default=True, help="For reject.")
@click.option("--target", default="core", show_default=True, help="For forward.")
@click.option("--announcement", default=None, help="WAV to play, for answer.")
@click.option("--menu", default=None, help="For answer: DTMF menu like '1=voicemail,2=reject'.")
@click.option(
    "--early-media",
    is_flag=True,
    help="answer: play in 183 Session Progress, then --status; voicemail: refusals in 183.",
)
@config_option
def set_(
    number: str,
    action: str,
    route: str | None,
    status: int,
    target: str,
    announcement: str | None,
    menu: str | None,
    early_media: bool,
    config: Path | None,
) -> None:
    """Create or replace the policy for NUMBER (and ROUTE)."""
    raw: dict[str, Any] = {"number": number, "action": action, "status": status}
    raw["early_media"] = early_media
    raw["target"] = target
    if route:
        raw["route"] = route
    if announcement:
        raw["announcement"] = announcement
    if menu:
        pairs = [item.partition("=") for item in menu.split(",")]
        raw["menu"] = {k.strip(): v.strip() for k, _, v in pairs}
    try:
        parsed = parse_policy(raw)
    except PolicyError as exc:
        _fail(str(exc))
        return
    _check_announcements([parsed])
    _run(config, lambda store: store.put(parsed))
    click.echo(f"policy for {parsed.number}: {parsed.action.value}")


@policy.command("delete")
@click.argument("number")
@click.option("--route", default=None)
@config_option
def delete(number: str, route: str | None, config: Path | None) -> None:
    """Remove the policy for NUMBER (and ROUTE); the route type's default applies again."""
    removed = _run(config, lambda store: store.delete(number, route))
    if not removed:
        click.echo(f"error: no policy for {number}{f' ({route})' if route else ''}", err=True)
        raise SystemExit(1)
    click.echo(f"removed {removed} policy")


@policy.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@config_option
def load(file: Path, config: Path | None) -> None:
    """Replace every stored policy with the [[policy]] tables of FILE (TOML)."""
    try:
        policies = load_policy_file(file)
    except PolicyError as exc:
        _fail(str(exc))
        return
    _check_announcements(policies)
    _run(config, lambda store: store.replace_all(policies))
    click.echo(f"loaded {len(policies)} policies from {file}")
