"""Rich rendering of a test call (ladder, status, RTP, tones, DTMF) and of a load run."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tas.harness.listen import is_beep
from tas.harness.result import CallResult
from tas.harness.summary import LoadSummary

__all__ = ["render_call", "render_load"]


def render_call(
    console: Console, result: CallResult, verdicts: list[tuple[str, str | None]]
) -> None:
    """The SIP ladder, then the outcome, media figures and each expectation's verdict."""
    ladder = Table(title=f"SIP ladder  Call-ID {result.call_id}", title_justify="left")
    ladder.add_column("+ms", justify="right", style="dim")
    ladder.add_column("harness", justify="center")
    ladder.add_column("message")
    ladder.add_column("far end", justify="center")
    for entry in result.ladder:
        out = entry.direction == "out"
        style = "" if entry.status is None else "green" if entry.status < 300 else "red"
        if entry.status is not None and entry.status < 200:
            style = "yellow"
        ladder.add_row(
            f"{1000 * entry.at:.1f}",
            "──▶" if out else "◀──",
            f"[{style}]{entry.label}[/]" if style else entry.label,
            entry.peer if out else "",
        )
    if result.ladder:
        console.print(ladder)

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    # Unreachable: any status is the stack's own (503/408, RFC 3261 §8.1.3.1), not the peer's.
    status = (
        "none (unreachable)"
        if result.unreachable
        else f"{result.status} {result.reason}"
        if result.status is not None
        else "no final response"
    )
    facts.add_row("target", f"{result.target} ({result.transport})")
    facts.add_row("final status", status + (" (cancelled by us)" if result.cancelled else ""))
    if result.error:
        facts.add_row("problem", f"[red]{result.error}[/]")
    if result.setup_latency is not None:
        facts.add_row("setup", f"{1000 * result.setup_latency:.1f} ms (INVITE → 200)")
    if result.ringing_after is not None:
        facts.add_row("ringing", f"after {1000 * result.ringing_after:.1f} ms")
    if result.answered:
        who = {"remote": "the far end", "local": "us"}.get(result.ended_by or "", "nobody")
        facts.add_row("talk", f"{result.talk_time:.2f} s, hung up by {who}")
    if result.rtp is not None:
        rtp = result.rtp
        facts.add_row(
            "RTP",
            f"sent {rtp.packets_sent}, received {rtp.packets_received}, lost {rtp.lost} "
            f"({100 * rtp.loss_fraction:.2f} %), jitter {1000 * rtp.jitter:.2f} ms",
        )
    if result.answered:
        tones = ", ".join(
            f"{t.frequency:.0f} Hz {1000 * t.duration:.0f} ms at +{t.start:.2f} s"
            + (" (beep)" if is_beep(t) else "")
            for t in result.tones
        )
        facts.add_row("tones heard", tones or "none")
        heard = ", ".join(f"{d.digit} at +{d.at:.2f} s" for d in result.digits)
        facts.add_row("DTMF heard", heard or "none")
        if result.digits_sent:
            facts.add_row("DTMF sent", result.digits_sent)
    if result.hold is not None:
        facts.add_row("hold / resume", f"{result.hold.hold_status} / {result.hold.resume_status}")
    if result.voicemail is not None:
        vm = result.voicemail
        text = (
            f"stored {vm.voicemail_id} ({vm.duration:.1f} s) in {vm.mailbox}"
            if vm.stored
            else f"[red]not stored[/] in {vm.mailbox}: {vm.detail}"
        )
        facts.add_row("voicemail", text)
    if result.recording:
        facts.add_row("recording", result.recording)
    for name, failure in verdicts:
        mark = "[green]✔[/]" if failure is None else "[red]✘[/]"
        facts.add_row("expect", f"{mark} {name}" + (f": {failure}" if failure else ""))
    console.print(facts)


def render_load(console: Console, summary: LoadSummary) -> None:
    table = Table(title="Load run", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    media = "on" if summary.media else "off"
    table.add_row("target", f"{summary.target} ({summary.transport}, media {media})")
    table.add_row("plan", f"{summary.rate:g} cps, concurrency {summary.concurrency}")
    table.add_row("attempted", str(summary.attempted))
    table.add_row("answered", f"[green]{summary.answered}[/]")
    failed = f"[red]{summary.failed}[/]" if summary.failed else "0"
    table.add_row("failed", failed)
    for status, count in summary.failures.items():
        table.add_row("", f"{status}: {count}")
    table.add_row("achieved", f"{summary.achieved_cps:.1f} cps over {summary.elapsed:.2f} s")
    table.add_row(
        "setup (INVITE → 200)",
        f"p50 {_ms(summary.setup_p50)}  p95 {_ms(summary.setup_p95)}  "
        f"p99 {_ms(summary.setup_p99)}  max {_ms(summary.setup_max)}",
    )
    if summary.media:
        loss = (
            "n/a (no RTP received)"
            if summary.loss_fraction is None
            else f"{100 * summary.loss_fraction:.3f} %"
        )
        table.add_row(
            "RTP",
            f"sent {summary.packets_sent}, received {summary.packets_received}, "
            f"lost {summary.lost}, loss {loss}",
        )
        table.add_row("jitter", f"mean {_ms(summary.jitter_mean)}  max {_ms(summary.jitter_max)}")
    if summary.wire is not None:
        wire = summary.wire
        table.add_row(
            "SIP messages",
            f"sent {sum(wire.sent.values())}, received {sum(wire.received.values())}",
        )
        table.add_row(
            "retransmissions",
            f"sent {sum(wire.retransmitted.values())}, "
            f"received {sum(wire.retransmissions_received.values())}",
        )
        table.add_row("unexpected", str(sum(wire.unexpected.values())))
        for label, count in wire.repartition_rows():
            if count:
                table.add_row("response time", f"{label}: {count}")
    if summary.stopped_early:
        table.add_row("stopped", f"[red]{summary.stopped_early}[/]")
    console.print(table)
    if summary.wire is not None and (summary.wire.sent or summary.wire.received):
        console.print(summary.wire.screen())


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{1000 * seconds:.2f} ms"
