"""``tas call``: place SIP test calls with real RTP, one at a time or as load.

Exit codes: 0 every expectation held (load: no call failed), 1 an expectation failed (one
line each on stderr; load: some calls failed), 2 bad input, 3 the target was unreachable.
"""

from __future__ import annotations

import json
import random
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from tas.harness.expectations import EXPECTATIONS, Expectation, check_all, parse_expectation
from tas.harness.locate import next_hop
from tas.harness.options import (
    DtmfAt,
    parse_dtmf_schedule,
    parse_duration,
    parse_header,
    parse_port_range,
)
from tas.harness.target import Target, is_loopback, number_of, resolve_target, sip_from
from tas.hostport import HostPort

__all__ = ["call"]

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 1, 2, 3
VOICEMAIL_AFTER_BEEP = 3.0  # seconds of message after the beep
VOICEMAIL_MAX = 30.0


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _expects(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> list[Expectation]:
    try:
        return [parse_expectation(v) for v in value]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _dtmf(ctx: click.Context, param: click.Parameter, value: str | None) -> list[DtmfAt]:
    try:
        return parse_dtmf_schedule(value) if value else []
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _headers(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> list[tuple[str, str]]:
    try:
        return [parse_header(v) for v in value]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_EXPECT_HELP = "Expectation (repeat): " + "; ".join(f"{k}: {v}" for k, v in EXPECTATIONS.items())


@click.command("call")
@click.argument("target")
@click.option("--transport", type=click.Choice(["udp", "tcp", "tls"], case_sensitive=False))
@click.option("--core", help="HOST:PORT numbers are sent to (default: the sandbox SIP core).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML settings.")
@click.option("--from", "from_", help="Caller: a number (+4799990002) or a sip: URI.")
@click.option("--header", "headers", multiple=True, callback=_headers, help="'Name: value'.")
@click.option("--user", help="Digest user name when challenged (401/407).")
@click.option("--password", help="Digest password.")
@click.option(
    "--play", default="speech", show_default=True, help="speech, tone:HZ, silence, FILE.wav"
)
@click.option("--dtmf", callback=_dtmf, help="RFC 4733 digits at times after answer: '1@2s,#@5s'.")
@click.option("--record", type=click.Path(path_type=Path), help="WAV file of what we hear.")
@click.option(
    "--duration",
    callback=_duration,
    help="Hang up after this (default 5s; voicemail: 3s after the beep); load: run time.",
)
@click.option("--cancel-after", callback=_duration, help="CANCEL if not answered by then.")
@click.option("--hold", is_flag=True, help="Re-INVITE sendonly at 1/3, resume at 2/3 of the call.")
@click.option("--expect", "expects", multiple=True, callback=_expects, help=_EXPECT_HELP)
@click.option(
    "--timeout",
    callback=_duration,
    default="60s",
    show_default=True,
    help="Give up (CANCEL) when no final response by then.",
)
@click.option("--mailbox", help="Voicemail check: mailbox number (default: the called number).")
@click.option("--voicemail-api", help="Voicemail API host:port (default: settings).")
@click.option("--token", envvar="TAS_HARNESS_TOKEN", help="Bearer token of the voicemail API.")
@click.option(
    "--ca",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="PEM roots to verify a TLS peer.",
)
@click.option("--insecure", is_flag=True, help="TLS without certificate checks (test peers).")
@click.option("--local", "local_host", help="Local address for SIP and RTP (default: auto).")
@click.option("--rtp-ports", default="30000-32767", show_default=True, help="Local RTP range.")
@click.option("--no-media", is_flag=True, help="Signalling only: no RTP.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--rate", type=float, help="Load: calls per second.")
@click.option("--concurrency", type=int, help="Load: most calls at once (default 100).")
@click.option("--calls", type=int, help="Load: number of calls.")
@click.option(
    "--talk",
    callback=_duration,
    default="1s",
    show_default=True,
    help="Load: how long each answered call lasts.",
)
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), help="Load: per-call CSV.")
@click.option("--allow-remote", is_flag=True, help="Load: allow a non-loopback target.")
@click.option(
    "--screen-every",
    callback=_duration,
    default="5s",
    show_default=True,
    help="Load: SIPp-like counters screen this often (0: only the final report).",
)
def call(**kwargs: Any) -> None:
    """Place a SIP test call to TARGET (a number via the sandbox core, or a sip:/sips: URI).

    \b
    tas call +4799990000 --expect answered --expect tone=440
    tas call sip:127.0.0.1:5060 --dtmf '1@1s,#@2s' --record heard.wav --json
    tas call +4799990001 --from +4799990002 --expect voicemail --token secret
    tas call sip:127.0.0.1:5060 --rate 50 --calls 500 --no-media

    \b
    Exit: 0 every expectation held (load: no call failed), 1 something failed (one FAIL
    line each on stderr), 2 bad input, 3 unreachable.
    """
    args = _Args(**kwargs)
    from tas.transport.loop import run

    code = run(_main(args))
    sys.exit(code)


@dataclass
class _Args:
    target: str
    transport: str | None
    core: str | None
    config_file: Path | None
    from_: str | None
    headers: list[tuple[str, str]]
    user: str | None
    password: str | None
    play: str
    dtmf: list[DtmfAt]
    record: Path | None
    duration: float | None
    cancel_after: float | None
    hold: bool
    expects: list[Expectation]
    timeout: float
    mailbox: str | None
    voicemail_api: str | None
    token: str | None
    ca: Path | None
    insecure: bool
    local_host: str | None
    rtp_ports: str
    no_media: bool
    as_json: bool
    rate: float | None
    concurrency: int | None
    calls: int | None
    talk: float
    csv_file: Path | None
    allow_remote: bool
    screen_every: float

    @property
    def load(self) -> bool:
        return any(v is not None for v in (self.rate, self.calls, self.concurrency))


def _bad(message: str) -> int:
    click.echo(f"Error: {message}", err=True)
    return EXIT_BAD_INPUT


async def _main(args: _Args) -> int:
    from tas.config_cli import settings_for_cli

    settings = settings_for_cli(args.config_file)  # a bad config: `tas: …` lines, exit 2
    core = (settings.sandbox.sip_host, settings.sandbox.sip_port)
    if args.core:
        try:
            core = HostPort.parse(args.core).address()
        except ValueError:
            return _bad(f"--core must be HOST:PORT, not {args.core!r}")
        if not core[0]:
            return _bad(f"--core must be HOST:PORT, not {args.core!r}")
    try:
        target = resolve_target(args.target, core, args.transport)
        rtp_range = parse_port_range(args.rtp_ports)
    except ValueError as exc:
        return _bad(str(exc))
    if (args.user is None) != (args.password is None):
        return _bad("--user and --password go together")
    try:
        peer = await next_hop(target, settings.dns, args.transport)  # RFC 3263
    except OSError as exc:
        click.echo(f"Error: cannot resolve {target.peer.host}: {exc}", err=True)
        return EXIT_UNREACHABLE
    target = Target(target.uri, peer, target.number)
    if args.load:
        return await _load(args, target, settings, rtp_range)
    return await _single(args, target, settings, rtp_range)


def _window(rtp_range: tuple[int, int], size: int = 64) -> tuple[int, int]:
    """A random window of the range for one call, so back-to-back runs do not take the same
    port (late RTP of the previous call would land in the new one)."""
    low, high = rtp_range
    if high - low < 2 * size:
        return rtp_range
    start = low + 2 * random.randrange((high - low - size) // 2)
    return start, start + size - 1


def _local_for(args: _Args, peer_host: str) -> str:
    if args.local_host:
        return args.local_host
    if is_loopback(peer_host):
        return "::1" if ":" in peer_host else "127.0.0.1"
    family = socket.AF_INET6 if ":" in peer_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((peer_host, 9))  # no packet is sent: picks the outgoing interface
        return str(probe.getsockname()[0])


async def _prepare(args: _Args, target: Target, rtp_range: tuple[int, int]) -> Any:
    """(stack, engine or None, base CallSpec) or an exit code."""
    from media.session import MediaEngine
    from tas.harness.audio import audio_source
    from tas.harness.call import CallSpec
    from tas.harness.stack import open_stack
    from tas.transport.tls import client_context

    try:
        audio = None if args.no_media else audio_source(args.play)
    except ValueError as exc:
        return _bad(str(exc))
    local = _local_for(args, target.peer.host)
    try:
        from_uri = sip_from(args.from_, local) if args.from_ else None
    except ValueError as exc:
        return _bad(str(exc))
    ssl_ctx = None
    if target.peer.transport == "TLS":
        ssl_ctx = client_context(args.ca, verify=not args.insecure)
    try:
        stack = await open_stack(target.peer.transport, local, client_ssl=ssl_ctx)
    except OSError as exc:
        return _bad(f"cannot listen on {local}: {exc}")
    engine = None
    if not args.no_media:
        low, high = rtp_range if args.load else _window(rtp_range)
        engine = MediaEngine(local, low, high)
    credentials = (args.user, args.password) if args.user and args.password else None
    spec = CallSpec(
        target=target.uri,
        peer=target.peer,
        from_uri=from_uri,
        headers=tuple(args.headers),
        credentials=credentials,
        audio=audio,
        answer_timeout=args.timeout,
    )
    return stack, engine, spec


async def _single(args: _Args, target: Target, settings: Any, rtp_range: tuple[int, int]) -> int:
    from dataclasses import replace

    from rich.console import Console

    from tas.harness.call import place_call
    from tas.harness.ladder import Ladder
    from tas.harness.mailbox import MailboxError, MailboxProbe
    from tas.harness.report import render_call

    expects = list(args.expects)
    if args.hold and not any(e.name == "hold" for e in expects):
        expects.append(Expectation("hold"))
    if not expects:
        expects = [Expectation("status", "487") if args.cancel_after else Expectation("answered")]
    wants_voicemail = any(e.name == "voicemail" for e in expects)
    if args.no_media and wants_voicemail:
        return _bad("--expect voicemail needs media (drop --no-media)")
    probe = None
    if wants_voicemail:
        mailbox = args.mailbox or target.number
        if mailbox is None:
            return _bad("--expect voicemail needs a number to call, or --mailbox")
        api = args.voicemail_api or settings.voicemail.api
        probe = MailboxProbe(api, mailbox, args.token, number_of(args.from_))
        try:
            await probe.before()
        except MailboxError as exc:
            click.echo(f"Error: {exc}", err=True)
            return EXIT_UNREACHABLE
    prepared = await _prepare(args, target, rtp_range)
    if isinstance(prepared, int):
        return prepared
    stack, engine, spec = prepared
    duration = args.duration
    if duration is None:
        duration = VOICEMAIL_MAX if wants_voicemail else 5.0
    spec = replace(
        spec,
        dtmf=tuple(args.dtmf),
        record=args.record,
        duration=duration,
        after_beep=VOICEMAIL_AFTER_BEEP if wants_voicemail and args.duration is None else None,
        cancel_after=args.cancel_after,
        hold=args.hold,
    )
    ladder = Ladder()
    stack.tap = ladder.record
    try:
        result = await place_call(stack, engine, spec, ladder=ladder)
    finally:
        await stack.close()
    if probe is not None and result.answered:
        result.voicemail = await probe.after()
    failures = check_all(expects, result)
    verdicts = [(str(e), e.check(result)) for e in expects]
    if args.as_json:
        out = {
            "result": result.to_dict(),
            "expectations": [{"expect": n, "ok": f is None, "message": f} for n, f in verdicts],
            "passed": not failures,
        }
        click.echo(json.dumps(out, indent=2))
    else:
        render_call(Console(), result, verdicts)
    if result.unreachable:
        click.echo(f"UNREACHABLE: {result.error}", err=True)
        return EXIT_UNREACHABLE
    for failure in failures:
        click.echo(f"FAIL: {failure}", err=True)
    return EXIT_FAILED if failures else 0


async def _load(args: _Args, target: Target, settings: Any, rtp_range: tuple[int, int]) -> int:
    from rich.console import Console

    from tas.harness.load import LoadPlan, run_load
    from tas.harness.load_screen import LoadScreen
    from tas.harness.report import render_load

    if args.expects or args.dtmf or args.hold or args.record or args.cancel_after:
        return _bad("--expect, --dtmf, --hold, --record and --cancel-after are for single calls")
    if not is_loopback(target.peer.host) and not args.allow_remote:
        return _bad(
            f"refusing a load run against {target.peer.host}: not loopback (--allow-remote)"
        )
    if args.rate is None:
        return _bad("a load run needs --rate")
    try:
        plan = LoadPlan(
            rate=args.rate,
            concurrency=args.concurrency or 100,
            calls=args.calls,
            duration=args.duration,
            talk=args.talk,
        )
    except ValueError as exc:
        return _bad(str(exc))
    prepared = await _prepare(args, target, rtp_range)
    if isinstance(prepared, int):
        return prepared
    stack, engine, spec = prepared
    console = Console(stderr=args.as_json)
    screen = LoadScreen(console, plan.planned_calls, args.screen_every, transient=args.as_json)
    try:
        with screen:
            summary = await run_load(stack, engine, spec, plan, on_progress=screen.update)
    finally:
        await stack.close()
    if args.csv_file is not None:
        try:
            args.csv_file.write_text(summary.csv())
        except OSError as exc:
            click.echo(f"Error: cannot write {args.csv_file}: {exc}", err=True)
    if args.as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        render_load(console, summary)
    if summary.answered == 0 and all(k in ("503", "408") for k in summary.failures):
        click.echo(f"UNREACHABLE: no call to {target.uri} got an answer", err=True)
        return EXIT_UNREACHABLE
    if summary.failed:
        click.echo(f"FAIL: {summary.failed} of {summary.attempted} calls failed", err=True)
        return EXIT_FAILED
    return 0
