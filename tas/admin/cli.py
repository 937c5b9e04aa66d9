"""``tas calls live`` and ``tas calls hangup ID``: live calls through the admin API (httpx).

The API's address is ``--url``, else ``[admin] listen`` (or ``[metrics] listen``) of the
settings; the token is ``--token``, ``$TAS_ADMIN_TOKEN``, else the first plaintext admin token
of ``[admin] tokens``. Exit 0 ok, 1 refused by the server (unknown call, bad token), 2 bad
input, 3 the server is not reachable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import httpx
from rich import box
from rich.console import Console
from rich.table import Table

from tas.config import Settings
from tas.config_cli import settings_for_cli

__all__ = ["hangup", "live"]

TIMEOUT = 5.0


def _fail(message: str, code: int) -> None:
    click.echo(f"tas: {message}", err=True)
    raise SystemExit(code)


def base_url(settings: Settings, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    admin = settings.admin
    scheme = "https" if admin.tls_cert else "http"
    return f"{scheme}://{admin.address(settings.metrics.listen)}"


def default_token(settings: Settings) -> str | None:
    for entry in settings.admin.tokens:
        if entry.role == "admin" and entry.token is not None:
            return entry.token.get_secret_value()
    return None


def request(config: Path | None, url: str | None, token: str | None, method: str, path: str) -> Any:
    """One API call; the JSON answer, or a ``tas: …`` line and the exit code."""
    settings = settings_for_cli(config)
    base = base_url(settings, url)
    token = token or default_token(settings)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(timeout=TIMEOUT, verify=False) as client:  # our own cert on loopback
            response = client.request(method, f"{base}{path}", headers=headers)
    except httpx.HTTPError as exc:
        _fail(
            f"admin API at {base} is not reachable ({type(exc).__name__}: {exc}); is `tas serve` "
            "running there? (--url, or [admin] listen / [metrics] listen)",
            3,
        )
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text.strip()[:200]
        hint = (
            " (--token, $TAS_ADMIN_TOKEN or [admin] tokens)" if response.status_code == 401 else ""
        )
        _fail(
            f"{response.status_code}: {detail}{hint}",
            2 if response.status_code in (400, 422) else 1,
        )
    return response.json()


url_option = click.option("--url", default=None, help="Admin API base URL (http://host:port).")
token_option = click.option(
    "--token", envvar="TAS_ADMIN_TOKEN", default=None, help="Bearer token ($TAS_ADMIN_TOKEN)."
)
config_option = click.option(
    "--config", type=click.Path(path_type=Path), default=None, help="TOML settings file."
)


@click.command("live")
@config_option
@url_option
@token_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def live(config: Path | None, url: str | None, token: str | None, as_json: bool) -> None:
    """Calls in progress on a running `tas serve` (through its admin API)."""
    calls = request(config, url, token, "GET", "/api/calls/live")
    if as_json:
        click.echo(json.dumps(calls, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    for name in ("id", "state", "route", "caller", "callee", "action", "started (UTC)"):
        table.add_column(name, no_wrap=True, overflow="fold")
    for c in calls:
        table.add_row(
            c["id"], c["state"], c["route"] or "-", c["caller"] or "-", c["callee"] or "-",
            c["action"] or "-", c["started"][:19].replace("T", " "),
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(f"{len(calls)} live call{'s' if len(calls) != 1 else ''}")


@click.command("hangup")
@config_option
@url_option
@token_option
@click.argument("call_id")
def hangup(config: Path | None, url: str | None, token: str | None, call_id: str) -> None:
    """End live call CALL_ID (its SIP Call-ID, from `tas calls live`): BYE, or CANCEL /
    487 while it is still ringing."""
    from urllib.parse import quote

    answer = request(
        config, url, token, "POST", f"/api/calls/live/{quote(call_id, safe='')}/hangup"
    )
    if answer.get("hung_up"):
        click.echo(f"hung up {call_id}")
    else:
        _fail(f"call {call_id} was already ending", 1)
