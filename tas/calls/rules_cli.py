"""``tas rules``: view and edit a number's call rules (:mod:`tas.calls.rules`).

Every way in goes through :func:`~tas.calls.rules.parse_rule`: ``set``'s options are the
``[[rule]]`` fields, ``import`` reads the TOML file format, ``export`` writes it back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from tas.calls.announce import read_announcement
from tas.calls.routing import e164_of
from tas.calls.rules import Rule, RuleError, parse_rule, rule_to_toml
from tas.calls.rules_file import dump_rules, load_rule_file
from tas.calls.rules_store import RuleStore
from tas.config_cli import settings_for_cli
from tas.store import Database

__all__ = ["rules"]

T = TypeVar("T")

config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None, help="TOML settings file."
)


def _run(config: Path | None, work: Callable[[RuleStore], Awaitable[T]]) -> T:
    settings = settings_for_cli(config)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            return await work(RuleStore(db))
        finally:
            await db.close()

    return asyncio.run(main())


def _fail(message: str) -> None:
    click.echo(f"tas: {message}", err=True)
    raise SystemExit(2)


def _number(text: str) -> str:
    number = e164_of(text)
    if number is None:
        _fail(f"number must be E.164 like +4799990000, got {text!r}")
    assert number is not None
    return number


def _check_announcements(found: list[Rule]) -> None:
    for rule in found:
        if rule.announcement:
            try:
                read_announcement(rule.announcement)
            except ValueError as exc:
                _fail(f"rule for {rule.number}: {exc}")


def _summary(rule: Rule) -> str:
    table = rule_to_toml(rule)
    table.pop("number")
    name = table.pop("name", "")
    parts = [f"{k}={v}" for k, v in table.items()]
    return (f"{name!r}: " if name else "") + " ".join(parts)


@click.group("rules")
def rules() -> None:
    """Call rules: ordered conditions -> actions (follow-me, do-not-disturb …) per number."""


@rules.command("list")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="The [[rule]] tables as a JSON list.")
@config_option
def list_(number: str, as_json: bool, config: Path | None) -> None:
    """Show NUMBER's rules in order (the first matching one wins)."""
    found = _run(config, lambda store: store.for_number(_number(number)))
    if as_json:
        click.echo(json.dumps([rule_to_toml(rule) for rule in found], indent=2))
        return
    if not found:
        click.echo(f"no rules for {number}: its policy (or the route type's default) applies")
    for position, rule in enumerate(found, 1):
        click.echo(f"{position}. {_summary(rule)}")


def _ring(spec: str) -> dict[str, Any]:
    """``TARGET[,TARGET…][=SECONDS]`` -> a steps table (the timeout defaults to 20 s)."""
    targets, eq, seconds = spec.rpartition("=")
    try:
        timeout = float(seconds) if eq else 20.0
    except ValueError:
        targets, timeout = spec, 20.0
    return {"targets": (targets or spec).split(","), "timeout": timeout}


@rules.command("set")
@click.argument("number")
@click.option("--name", default="", help="Name; replaces the rule of that name if there is one.")
@click.option(
    "--action", required=True, help="ring, voicemail, dnd, reject or announce (see `tas rules`)."
)
@click.option("--caller", "callers", multiple=True, help="Caller number or prefix (repeatable).")
@click.option("--hidden/--shown", default=None, help="Only hidden / only shown callers.")
@click.option("--time-zone", default=None, help="IANA zone of the time window (Europe/Oslo).")
@click.option("--days", default=None, help="Comma-separated: mon,tue,wed,thu,fri,sat,sun.")
@click.option("--from", "start", default=None, help="Window start HH:MM (local).")
@click.option("--until", default=None, help="Window end HH:MM (≤ start: past midnight).")
@click.option("--ring", "steps", multiple=True, help="TARGETS[=SECONDS], one per step, in turn.")
@click.option("--then", default=None, help="After the last ring step: voicemail or reject.")
@click.option("--status", type=int, default=None, help="reject: the SIP status.")
@click.option("--announcement", default=None, help="announce: a WAV file.")
@click.option(
    "--position", type=int, default=None, help="1-based place in the list (default: last)."
)
@config_option
def set_(number: str, config: Path | None, position: int | None, **options: Any) -> None:
    """Add a rule to NUMBER (or replace the one with the same --name)."""
    raw: dict[str, Any] = {"number": _number(number), "action": options["action"]}
    fields = {"name": "name", "time_zone": "time_zone", "start": "from", "until": "until"}
    fields.update({"then": "then", "status": "status", "announcement": "announcement"})
    for option, field in fields.items():
        if options[option] not in (None, ""):
            raw[field] = options[option]
    if options["callers"]:
        raw["callers"] = list(options["callers"])
    if options["hidden"] is not None:
        raw["hidden"] = options["hidden"]
    if options["days"]:
        raw["days"] = [d.strip() for d in options["days"].split(",") if d.strip()]
    if options["steps"]:
        raw["steps"] = [_ring(s) for s in options["steps"]]
    try:
        rule = parse_rule(raw)
    except RuleError as exc:
        _fail(str(exc))
        return
    _check_announcements([rule])

    async def work(store: RuleStore) -> int:
        current = await store.for_number(rule.number)
        same = [i for i, r in enumerate(current) if rule.name and r.name == rule.name]
        if same:
            current[same[0]] = rule
            where = same[0]
        else:
            where = len(current) if position is None else max(0, min(position - 1, len(current)))
            current.insert(where, rule)
        await store.set(rule.number, current)
        return where + 1

    placed = _run(config, work)
    click.echo(f"rule {placed} for {rule.number}: {_summary(rule)}")


@rules.command("delete")
@click.argument("number")
@click.option("--name", default=None, help="Only the rule of this name.")
@config_option
def delete(number: str, name: str | None, config: Path | None) -> None:
    """Remove NUMBER's rules (or the one named --name)."""
    wanted = _number(number)

    async def work(store: RuleStore) -> int:
        current = await store.for_number(wanted)
        kept = [r for r in current if name is not None and r.name != name]
        await store.set(wanted, kept)
        return len(current) - len(kept)

    removed = _run(config, work)
    if not removed:
        click.echo(f"tas: no rule{f' named {name!r}' if name else 's'} for {wanted}", err=True)
        raise SystemExit(1)
    click.echo(f"removed {removed} rule(s) of {wanted}")


@rules.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@config_option
def import_(file: Path, config: Path | None) -> None:
    """Each number in FILE ([[rule]] tables, TOML) gets exactly the file's rules, in order."""
    try:
        found = load_rule_file(file)
    except RuleError as exc:
        _fail(str(exc))
        return
    _check_announcements(found)
    by_number: dict[str, list[Rule]] = {}
    for rule in found:
        by_number.setdefault(rule.number, []).append(rule)

    async def work(store: RuleStore) -> None:
        for number, numbered in by_number.items():
            await store.set(number, numbered)

    _run(config, work)
    click.echo(f"imported {len(found)} rule(s) for {len(by_number)} number(s) from {file}")


@rules.command("export")
@click.argument("number", required=False)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="File (default: stdout)."
)
@config_option
def export(number: str | None, out: Path | None, config: Path | None) -> None:
    """NUMBER's rules (every number's without it) as [[rule]] TOML that `import` reads."""
    wanted = _number(number) if number is not None else None
    found = _run(
        config, lambda store: store.for_number(wanted) if wanted is not None else store.all()
    )
    text = dump_rules(found)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror}")
    click.echo(f"exported {len(found)} rule(s) to {out}")
