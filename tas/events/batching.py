"""Group commit for the event consumer: when received events go to SQL together (pure, no clock).

A batch opens with its first event and is due for one transaction once it holds ``max_size``
events or its oldest event has waited ``max_wait`` seconds, whichever comes first (the size
bound keeps a transaction and the acks behind it small, the time bound caps the lag a quiet
stream adds). Events that arrive while a commit runs simply wait in the next batch, so under a
backlog every transaction is full and the commit cost is shared by ``max_size`` events.

Acks go out only after the commit (wgtwo-api.md §4.1 manual ack): a crash between the two
leaves the events unacked, the server redelivers them and the store's unique ``event_key``
turns the second copy into a duplicate, so each event is stored exactly once.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Batcher"]

T = TypeVar("T")


class Batcher(Generic[T]):
    """Collects items with :meth:`add`; :meth:`take` returns the next batch once :meth:`due`."""

    __slots__ = ("_items", "_opened", "max_size", "max_wait")

    def __init__(self, max_size: int, max_wait: float) -> None:
        if max_size < 1:
            raise ValueError(f"batch size must be at least 1, got {max_size}")
        if max_wait < 0:
            raise ValueError(f"batch wait must not be negative, got {max_wait}")
        self.max_size = max_size
        self.max_wait = max_wait
        self._items: list[T] = []
        self._opened = 0.0  # when the oldest item waiting arrived

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.max_size

    def add(self, item: T, now: float) -> None:
        if not self._items:
            self._opened = now
        self._items.append(item)

    def deadline(self) -> float | None:
        """When the waiting items are due by age (None when there are none)."""
        return self._opened + self.max_wait if self._items else None

    def due(self, now: float) -> bool:
        deadline = self.deadline()
        return deadline is not None and (self.full or now >= deadline)

    def take(self) -> list[T]:
        """The oldest ``max_size`` items (everything if fewer). The rest keep the opening time
        of the batch taken, so they are due no later than their own age makes them."""
        batch = self._items[: self.max_size]
        del self._items[: self.max_size]
        return batch
