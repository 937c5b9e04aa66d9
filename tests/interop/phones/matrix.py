"""The interop matrix: one row per phone x transport x direction, printed after the run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROWS", "Row", "render"]


@dataclass
class Row:
    """What one call showed. ``tas_heard``: correlation of what the TAS recorded with what the
    phone sent; ``phone_heard``: of what the phone decoded with what the TAS sent. Each is a
    pair: one lag for the whole signal, and slip-tolerant (0.05 s pieces, each within 40 ms of
    that lag; see :func:`~tests.interop.phones.signals.slip_tolerant`)."""

    phone: str
    transport: str
    direction: str  # "phone->tas" or "tas->phone"
    tas_heard: tuple[float, float] | None = None
    phone_heard: tuple[float, float] | None = None
    dtmf: str = "-"
    hangup: str = "-"
    note: str = ""


ROWS: list[Row] = []


def _figure(value: tuple[float, float] | None) -> str:
    return "-" if value is None else f"{value[0]:.4f} / {value[1]:.4f}"


def render(rows: list[Row]) -> str:
    """A fixed-width table of the rows."""
    head = (
        "phone", "transport", "direction", "tas heard (1 lag / slip-tol.)",
        "phone heard (1 lag / slip-tol.)", "dtmf", "hang-up",
    )  # fmt: skip
    lines = [
        (r.phone, r.transport, r.direction, _figure(r.tas_heard), _figure(r.phone_heard),
         r.dtmf, r.hangup + (f" ({r.note})" if r.note else ""))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*x) for x in [head, *lines])
