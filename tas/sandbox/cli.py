"""``tas sandbox``: the built-in operator control plane, standalone on loopback until Ctrl-C.

Serves SipBreakoutService v1 and EventsService v0 (see :mod:`tas.sandbox.grpc_server`).
Exit codes: 0 stopped by Ctrl-C / SIGTERM, 2 bad input, 3 cannot listen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import NoReturn

import click

from tas.config import SandboxSettings
from tas.config_cli import settings_for_cli
from tas.hostport import HostPort
from tas.logs import configure_logging
from tas.sandbox.grpc_server import ControlPlane
from tas.transport.loop import stop_signals

__all__ = ["sandbox"]

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3


@click.command("sandbox", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML settings file (default: $TAS_CONFIG, else built-in defaults).",
)
@click.option(
    "--grpc",
    "address",
    metavar="HOST:PORT",
    default=None,
    help="Listen address (default: [sandbox] grpc, 127.0.0.1:50051; port 0 picks a free one).",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Accept only this bearer token (repeatable). Without any, auth is off.",
)
@click.option(
    "--registration-ttl",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Registration lifetime in seconds (default 3600).",
)
def sandbox(
    config: Path | None,
    address: str | None,
    tokens: tuple[str, ...],
    registration_ttl: float | None,
) -> None:
    """Run the sandbox operator APIs (SipBreakout v1, Events v0) on loopback until Ctrl-C."""
    settings = settings_for_cli(config)
    updates: dict[str, object] = {}
    if address is not None:
        updates["grpc"] = address
    if tokens:
        updates["tokens"] = list(tokens)
    if registration_ttl is not None:
        updates["registration_ttl"] = registration_ttl
    sandbox_settings = settings.sandbox.model_copy(update=updates)
    if not _is_loopback(sandbox_settings.grpc):
        _fail(f"{sandbox_settings.grpc} is not a loopback HOST:PORT address", EXIT_BAD_INPUT)
    configure_logging(settings.log_level)
    try:
        asyncio.run(_serve(sandbox_settings, settings.data_dir))
    except OSError as exc:
        _fail(str(exc), EXIT_UNAVAILABLE)


async def _serve(settings: SandboxSettings, data_dir: Path) -> None:
    plane = ControlPlane(settings, data_dir=data_dir)  # registrations survive a restart
    bound = await plane.start()
    auth = (
        f"{len(settings.tokens)} bearer token(s); clients: tas register --token TOKEN"
        if settings.tokens
        else "auth off"
    )
    click.echo(
        f"tas sandbox: SipBreakoutService v1 + EventsService v0 on {bound} ({auth}); Ctrl-C stops",
        nl=True,
    )
    with stop_signals() as stop:
        try:
            await stop.wait()
        finally:
            await plane.stop()
    click.echo("tas sandbox: stopped")


def _is_loopback(address: str) -> bool:
    try:
        hostport = HostPort.parse(address)
    except ValueError:
        return False
    return hostport.port is not None and hostport.is_loopback


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
