"""``tas originate NUMBER --core URI``: place one INGRESS call through the operator core
(:meth:`tas.calls.app.CallApp.originate`), play a WAV (or the default chime) when answered,
hang up, and print the call's record. With ``--bridge URI`` (click-to-call,
:mod:`tas.calls.click_to_call`): when NUMBER answers, call URI and connect the two until
either hangs up; both records are printed.

The command runs its own short-lived SIP stack and media engine (so it works next to a running
``tas serve``): a UDP socket on an ephemeral loopback port and TLS client connections that
trust the TAS certificate under ``data_dir`` (the one the embedded sandbox core presents) or
the system roots. The number must be registered with INGRESS, or the core refuses (403).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tas.config import Settings
from tas.config_cli import config_option, settings_for_cli

if TYPE_CHECKING:
    from tas.calls.click_to_call import ClickToCall
    from tas.calls.records import CallRow

__all__ = ["originate"]


class _NoRegistrations:
    """The one-shot app answers no incoming leg (a registration source that holds none)."""

    def find(self, request_user: str | None, caller_user: str | None) -> None:
        return None

    def policies_for(self, number: str) -> Sequence[object]:
        return ()


def _bad(message: str) -> None:
    click.echo(f"tas: {message}", err=True)
    sys.exit(2)


async def place(
    settings: Settings,
    number: str,
    core: str,
    *,
    from_number: str | None,
    play: Path | None,
    ring_timeout: float,
    bridge_to: ClickToCall | None = None,
) -> dict[str, object]:
    """Open a stack, originate, close; the call record as a dict (with ``--bridge``: both
    records, under ``number`` and ``bridge``)."""
    from media.session import MediaEngine
    from tas.calls.app import CallApp
    from tas.calls.click_to_call import click_to_call
    from tas.calls.journal import CallJournal
    from tas.certificates import own_certificate
    from tas.server import stack_options
    from tas.transport.stack import SipStack
    from tas.transport.tls import client_context

    cafile = own_certificate(settings)[0] if settings.sip.tls else None
    options = replace(
        stack_options(settings), udp=("127.0.0.1:0",), tcp=(), tls=(), server_ssl=None,
        client_ssl=client_context(cafile),
    )  # fmt: skip
    stack = await SipStack.open(options)
    engine = MediaEngine.from_settings(settings.media)
    app = CallApp(stack, engine, _NoRegistrations())  # type: ignore[arg-type]
    stack.on_event = app.on_event
    try:
        if bridge_to is not None:
            new_journal = partial(CallJournal, None)
            first, second = await click_to_call(
                stack, engine, bridge_to, new_journal, ring_timeout=ring_timeout
            )
            await app.shutdown(grace=2.0)
            return {"number": _fields(first), "bridge": _fields(second) if second else None}
        record = await app.originate(
            number,
            core,
            from_number=from_number,
            announcement=str(play) if play else None,
            ring_timeout=ring_timeout,
        )
        await app.shutdown(grace=2.0)
    finally:
        await stack.close()
    return _fields(record)


def _fields(record: CallRow) -> dict[str, object]:
    fields = record.values()
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items()}


@click.command("originate")
@click.argument("number")
@click.option("--core", required=True, help="The core's sip:/sips: URI, e.g. sips:127.0.0.1:5061.")
@click.option("--from", "from_number", default=None, help="Caller number shown (E.164).")
@click.option(
    "--play",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="8 kHz mono WAV played when answered (default: a chime).",
)
@click.option(
    "--bridge",
    "bridge_to",
    default=None,
    help="Click-to-call: when NUMBER answers, call this sip:/sips: URI (IP host) and connect them.",
)
@click.option("--ring-timeout", type=float, default=30.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the call record as JSON.")
@config_option
def originate(
    number: str,
    core: str,
    from_number: str | None,
    play: Path | None,
    bridge_to: str | None,
    ring_timeout: float,
    as_json: bool,
    config_file: Path | None,
) -> None:
    """Call NUMBER (registered with INGRESS) through the core and play a WAV when answered,
    or (--bridge) connect it to a SIP URI."""
    from tas.calls.announce import read_announcement
    from tas.calls.click_to_call import plan_click_to_call

    settings = settings_for_cli(config_file)
    plan = None
    if bridge_to is not None:
        if play is not None:
            _bad("--play and --bridge exclude each other")
        try:
            plan = plan_click_to_call(number, core, bridge_to)
        except ValueError as exc:
            _bad(str(exc))
    if not ring_timeout > 0:
        _bad(f"--ring-timeout must be more than 0 s: {ring_timeout:g}")
    if play is not None:
        try:
            read_announcement(str(play))
        except ValueError as exc:
            _bad(str(exc))
    try:
        record = asyncio.run(
            place(
                settings,
                number,
                core,
                from_number=from_number,
                play=play,
                ring_timeout=ring_timeout,
                bridge_to=plan,
            )  # fmt: skip
        )
    except ValueError as exc:
        _bad(str(exc))
        return
    if as_json:
        click.echo(json.dumps(record, default=str))
    legs = [record] if plan is None else [record["number"], record["bridge"]]
    failed = False
    for leg in legs:
        if not isinstance(leg, dict):  # the bridge leg was never placed
            failed = True
            continue
        if not as_json:
            click.echo(f"{leg.get('callee')}: {leg.get('outcome')} (status {leg.get('status')})")
        failed = failed or leg.get("status") != 200
    if failed:
        sys.exit(1)
