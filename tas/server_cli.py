"""``tas serve``: run the telephony server (see :mod:`tas.server`)."""

from __future__ import annotations

from pathlib import Path

import click

from tas.logs import LogFormat, configure_logging

__all__ = ["serve"]


def _listen(values: tuple[str, ...]) -> list[str] | None:
    """CLI listen overrides: none given keeps the config; ``off`` disables the transport."""
    if not values:
        return None
    return [] if values == ("off",) else list(values)


@click.command("serve")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML settings.")
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING … (default: settings).")
@click.option("--log-format", type=click.Choice(["kv", "json"]), default="kv", show_default=True)
@click.option("--udp", multiple=True, help="UDP listen host:port (repeat; 'off' disables).")
@click.option("--tcp", multiple=True, help="TCP listen host:port (repeat; 'off' disables).")
@click.option("--tls", multiple=True, help="TLS listen host:port (repeat; 'off' disables).")
@click.option("--metrics", default=None, help="Prometheus /metrics on HOST:PORT; 'off' disables.")
@click.option(
    "--instance",
    type=click.IntRange(0, 150),
    default=None,
    help="Replica N on this host: every configured port + N * [server] port_step (100).",
)
@click.option(
    "--drain-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds calls may go on after SIGTERM (default [server] drain_timeout, 30; 0: BYE).",
)
def serve(
    config_file: Path | None,
    log_level: str | None,
    log_format: LogFormat,
    udp: tuple[str, ...],
    tcp: tuple[str, ...],
    tls: tuple[str, ...],
    metrics: str | None,
    instance: int | None,
    drain_timeout: float | None,
) -> None:
    """Run the telephony server until SIGINT/SIGTERM, then drain and stop."""
    from tas.config_cli import settings_for_cli
    from tas.instance import apply_instance
    from tas.server import serve as run_server
    from tas.transport.loop import run

    settings = settings_for_cli(config_file)
    try:
        apply_instance(settings, instance)  # before the CLI's own addresses, taken as given
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--instance") from None
    if drain_timeout is not None:
        settings.server.drain_timeout = drain_timeout
    for name, values in (("udp", udp), ("tcp", tcp), ("tls", tls)):
        override = _listen(values)
        if override is not None:
            setattr(settings.sip, name, override)
    if metrics == "off":
        settings.metrics.enabled = False
    elif metrics is not None:
        settings.metrics.enabled, settings.metrics.listen = True, metrics
    configure_logging(log_level or settings.log_level, log_format)
    try:
        run(run_server(settings), server=True)
    except OSError as exc:
        raise click.ClickException(f"cannot start: {exc}") from exc
