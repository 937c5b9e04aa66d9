"""Reconnect pacing for long-lived streams: exponential backoff with jitter (pure, no clock).

Each failed or ended stream doubles the ceiling, up to ``cap``; the pause is drawn from the
upper half of the ceiling ("equal jitter", AWS Architecture Blog, 2015), so a fleet of replicas
thrown off by the server's hourly forced close does not come back in lock-step, yet no pause is
ever near zero. A stream that proved healthy calls :meth:`Backoff.reset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass(slots=True)
class Backoff:
    initial: float = 0.5
    cap: float = 30.0
    multiplier: float = 2.0
    failures: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.cap:
            raise ValueError(f"backoff needs 0 < initial <= cap, got {self.initial}, {self.cap}")
        if self.multiplier < 1:
            raise ValueError(f"backoff multiplier must be >= 1, got {self.multiplier}")

    def next_delay(self, rand: float) -> float:
        """The pause before the next attempt; ``rand`` is uniform in [0, 1)."""
        ceiling = min(self.cap, self.initial * self.multiplier ** min(self.failures, 64))
        self.failures += 1
        return ceiling / 2 + rand * ceiling / 2

    def reset(self) -> None:
        self.failures = 0
