"""``tas calls``: call timelines joined with the core's events (list, show)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import click
from rich import box
from rich.console import Console
from rich.table import Table

from tas.config_cli import settings_for_cli
from tas.events.history import find_timeline, load_timelines
from tas.events.legs import operator_leg
from tas.events.timeline import Timeline
from tas.store import Database

__all__ = ["calls", "parse_since"]

T = TypeVar("T")

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_OUTCOME_STYLE = {
    "answered-by-handset": "green",
    "answered-by-tas": "green",
    "forwarded": "cyan",
    "voicemail-left": "magenta",
    "rejected": "yellow",
    "abandoned": "yellow",
    "failed": "red",
    "in-progress": "blue",
}


def parse_since(text: str, now: datetime) -> datetime:
    """``90m``, ``24h``, ``7d``, ``30s`` before ``now``, or an ISO 8601 time (UTC if naive)."""
    if match := _SPAN.match(text.strip().lower()):
        amount, unit = float(match.group(1)), _UNITS[match.group(2)]
        return now - timedelta(**{unit: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a span like 90m / 24h / 7d nor an ISO 8601 time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _run(config: Path | None, work: Callable[[Database, float], Awaitable[T]]) -> T:
    settings = settings_for_cli(config)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            return await work(db, settings.events.correlation_window)
        finally:
            await db.close()

    return asyncio.run(main())


config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None, help="TOML settings file."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("calls")
def calls() -> None:
    """Call timelines: the TAS's SIP legs joined with the core's voice/voicemail events;
    live calls of a running server (live, hangup: through its admin API)."""


@calls.command("list")
@config_option
@json_option
@click.option("--since", default="24h", show_default=True, help="Span (90m, 24h, 7d) or time.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
def list_(config: Path | None, as_json: bool, since: str, limit: int) -> None:
    """The most recent calls, newest first."""
    start = parse_since(since, datetime.now(UTC))

    async def work(db: Database, window: float) -> list[Timeline]:
        found = await load_timelines(db, since=start, window=timedelta(seconds=window))
        return list(reversed(found))[:limit]

    timelines = _run(config, work)
    if as_json:
        click.echo(json.dumps([t.as_dict() for t in timelines], indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0)  # one space between columns
    # Ids, times and numbers are never cut or wrapped; the other columns give way.
    for name in ("id", "started (UTC)", "caller", "callee", "route"):
        table.add_column(name, no_wrap=True, overflow="fold")
    table.add_column("outcome", overflow="fold")
    for name in ("seen by", "lines"):
        table.add_column(name, no_wrap=True, overflow="fold")
    for t in timelines:
        style = _OUTCOME_STYLE.get(t.outcome.value, "")
        table.add_row(
            t.id,
            t.started.strftime("%Y-%m-%d %H:%M:%S"),
            t.caller or "-",
            t.callee or "-",
            t.route or "-",
            f"[{style}]{t.outcome.value}[/]" if style else t.outcome.value,
            t.seen_by,
            str(len(t.entries)),
        )
    console = Console()
    console.print(table)
    if not timelines:
        console.print(f"no calls since {start:%Y-%m-%d %H:%M:%S} UTC")


@calls.command("show")
@config_option
@json_option
@click.argument("key")
def show(config: Path | None, as_json: bool, key: str) -> None:
    """One call: KEY is a timeline id, the core's call_id, a SIP Call-ID / Session-ID or a
    voicemail id."""

    async def work(db: Database, window: float) -> Timeline | None:
        return await find_timeline(db, key, window=timedelta(seconds=window))

    timeline = _run(config, work)
    if timeline is None:
        click.echo(f"error: no call matches {key!r}", err=True)
        raise SystemExit(1)
    if as_json:
        click.echo(json.dumps(timeline.as_dict(), indent=2))
        return
    console = Console()
    style = _OUTCOME_STYLE.get(timeline.outcome.value, "bold")
    console.print(
        f"[bold]call {timeline.id}[/]  {timeline.caller or '?'} -> {timeline.callee or '?'}"
        f"  route {timeline.route or '-'}  outcome [{style}]{timeline.outcome.value}[/]"
    )
    facts = [
        f"started {timeline.started.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC",
        f"core call_id {timeline.call_id or '-'}",
        f"joined by {timeline.matched_by or '-'}",
        f"seen by {timeline.seen_by}",
    ]
    if timeline.voicemail_id:
        facts.append(f"voicemail {timeline.voicemail_id}")
    console.print("  ".join(facts))
    for leg in timeline.legs:
        number = operator_leg(leg.route or timeline.route, leg.direction)
        console.print(
            f"  record {leg.record_id} ({number or 'no operator leg number'}): {leg.direction} "
            f"{leg.sip_call_id} action {leg.action or '-'} status {leg.status or '-'} "
            f"outcome {leg.outcome}"
        )
    table = Table("+s", "source", "what", "detail", "record")
    for entry in timeline.entries:
        offset = (entry.at - timeline.started).total_seconds()
        table.add_row(
            f"{offset:.3f}",
            "[cyan]core[/]" if entry.source == "core" else "[green]tas[/]",
            entry.kind,
            entry.detail,
            str(entry.leg) if entry.leg is not None else "",
        )
    console.print(table)


def _admin_commands() -> None:
    """``tas calls live`` / ``hangup`` (tas.admin.cli: through the admin API)."""
    from tas.admin.cli import hangup, live

    calls.add_command(live)
    calls.add_command(hangup)


_admin_commands()
