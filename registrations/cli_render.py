"""How ``tas register`` shows registrations and outcomes: rich tables for people, JSON for
scripts (:mod:`registrations.cli` decides what to show)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from registrations.model import Registration, Route
from registrations.refresher import Outcome
from registrations.schedule import Entry, state


def console() -> Console:
    return Console(file=sys.stdout, width=max(Console(file=sys.stdout).width, 120))


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2))


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def countdown(t: float | None, now: float) -> str:
    if t is None:
        return "-"
    seconds = int(round(t - now))
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


def reg_json(reg: Registration | None) -> dict[str, str] | None:
    return reg.as_dict() if reg is not None else None


def entry_json(entry: Entry, now: float) -> dict[str, Any]:
    return {
        "number": entry.phone_number,
        "state": state(entry, now).value,
        "desired": reg_json(entry.desired),
        "registered": reg_json(entry.registered),
        "registered_at": iso(entry.registered_at),
        "expires_at": iso(entry.expires_at),
        "refresh_at": iso(entry.refresh_at),
        "retry_at": iso(entry.retry_at),
        "failures": entry.failures,
        "last_error": entry.last_error,
    }


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "number": outcome.phone_number,
        "action": outcome.action,
        "ok": outcome.error is None,
        "ttl": outcome.ttl,
        "error": str(outcome.error) if outcome.error is not None else None,
        "kind": outcome.error.kind if outcome.error is not None else None,
    } | ({"note": outcome.note} if outcome.note else {})


def entries_table(entries: list[Entry], now: float) -> Table:
    table = Table("number", "route", "uri", "mo", "mt", "state", "expires in", "last error")
    for e in entries:
        reg = e.desired or e.registered
        assert reg is not None
        table.add_row(
            e.phone_number,
            reg.route.cli_name,
            reg.sip_uri,
            reg.mo_prefix or "-",
            reg.mt_prefix or "-",
            state(e, now).value,
            countdown(e.expires_at, now),
            e.last_error or "",
        )
    return table


def steps_table(outcomes: list[Outcome]) -> Table:
    table = Table("number", "action", "result", "ttl")
    for o in outcomes:
        result = f"{o.error.kind}: {o.error}" if o.error else (f"ok: {o.note}" if o.note else "ok")
        table.add_row(o.phone_number, o.action, result, "-" if o.ttl is None else f"{o.ttl:g} s")
    return table


def status_table(entry: Entry, now: float) -> Table:
    table = Table(entry.phone_number, "", show_header=True)
    rows: list[tuple[str, str]] = [("state", state(entry, now).value)]
    for label, reg in (("desired", entry.desired), ("registered", entry.registered)):
        rows.append((label, describe(reg)))
    for label, t in (
        ("registered at", entry.registered_at),
        ("expires at", entry.expires_at),
        ("next refresh", entry.refresh_at),
        ("next retry", entry.retry_at),
    ):
        if t is not None:
            rows.append((label, f"{iso(t)} (in {countdown(t, now)})"))
    rows.append(("failures", str(entry.failures)))
    rows.append(("last error", entry.last_error or "-"))
    for row in rows:
        table.add_row(*row)
    return table


def describe(reg: Registration | None) -> str:
    if reg is None:
        return "-"
    prefixes = f" mo={reg.mo_prefix or '-'} mt={reg.mt_prefix or '-'}"
    return f"{Route(reg.route).cli_name} {reg.sip_uri}{prefixes}"
