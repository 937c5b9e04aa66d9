"""What a load run shows while it runs: a progress bar and, every ``every`` seconds, a screen
of SIP message counters like SIPp's (``-fd``), above the bar (:mod:`tas.harness.wire_stats`)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tas.harness.load import LoadProgress

__all__ = ["LoadScreen"]


class LoadScreen:
    """A context manager; :meth:`update` is the ``on_progress`` callback of a load run."""

    def __init__(self, console: Console, planned: int, every: float, *, transient: bool) -> None:
        self.every = every
        self._last = 0.0
        self.screens = 0
        self.progress = Progress(
            TextColumn("[bold]calls"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "answered [green]{task.fields[answered]}[/] failed [red]{task.fields[failed]}"
            ),
            TextColumn("active {task.fields[active]}"),
            TimeElapsedColumn(),
            console=console,
            transient=transient,
        )
        self._task = self.progress.add_task("load", total=planned, answered=0, failed=0, active=0)

    def update(self, p: LoadProgress) -> None:
        if self.every > 0 and p.elapsed - self._last >= self.every:
            self._last = p.elapsed
            self.screens += 1
            self.progress.console.print(
                f"--- {p.elapsed:.1f} s: {p.finished} calls done, {p.active} active, "
                f"{p.answered} answered, {p.failed} failed\n{p.wire.screen()}"
            )
        self.progress.update(
            self._task,
            completed=p.finished,
            total=p.planned,
            answered=p.answered,
            failed=p.failed,
            active=p.active,
        )

    def __enter__(self) -> LoadScreen:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.__exit__(exc_type, exc, tb)
