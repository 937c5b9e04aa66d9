"""The interop matrix: one row per phone x transport x direction, printed after the run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROWS", "Row", "render"]


@dataclass
class Row:
    """What one call showed. ``tas_heard``: correlation of what the TAS recorded with what the
    phone sent; ``phone_heard``: of what the phone decoded with what the TAS sent."""

    phone: str
    transport: str
    direction: str  # "phone->tas" or "tas->phone"
    tas_heard: float | None = None
    phone_heard: float | None = None
    dtmf: str = "-"
    hangup: str = "-"
    note: str = ""


ROWS: list[Row] = []


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def render(rows: list[Row]) -> str:
    """A fixed-width table of the rows."""
    head = ("phone", "transport", "direction", "tas heard", "phone heard", "dtmf", "hang-up")
    lines = [
        (r.phone, r.transport, r.direction, _figure(r.tas_heard), _figure(r.phone_heard),
         r.dtmf, r.hangup + (f" ({r.note})" if r.note else ""))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*x) for x in [head, *lines])
