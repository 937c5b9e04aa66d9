"""RFC 3261 timer values (§17, appendix A) and the timer heap."""

from __future__ import annotations

from dataclasses import dataclass, field

from tas.sip.timers import TimerConfig, TimerHeap


def test_default_values_follow_appendix_a() -> None:
    t = TimerConfig()
    assert (t.a(), t.b(), t.e(), t.f(), t.g(), t.h()) == (0.5, 32.0, 0.5, 32.0, 0.5, 32.0)
    assert (t.d(False), t.i(False), t.j(False), t.k(False)) == (32.0, 5.0, 32.0, 5.0)
    assert (t.d(True), t.i(True), t.j(True), t.k(True)) == (0.0, 0.0, 0.0, 0.0)
    assert (t.l(), t.m()) == (32.0, 32.0)  # RFC 6026


def test_values_derive_from_t1_t2_t4() -> None:
    t = TimerConfig(t1=0.1, t2=0.8, t4=1.0)
    assert (t.b(), t.f(), t.h(), t.j(False), t.l(), t.m()) == (6.4,) * 6
    assert t.d(False) == 32.0  # D is never below 32 s on unreliable transports
    assert (t.i(False), t.k(False)) == (1.0, 1.0)
    assert [t.next_interval(x) for x in (0.1, 0.4, 0.8)] == [0.2, 0.8, 0.8]
    assert t.next_interval(0.8, cap=False) == 1.6


@dataclass
class Owner:
    deadlines: dict[str, float] = field(default_factory=dict)
    fired: list[tuple[str, float]] = field(default_factory=list)

    def on_timer(self, name: str, now: float) -> None:
        self.fired.append((name, now))


def test_heap_fires_in_order_and_skips_cancelled_or_rearmed() -> None:
    heap = TimerHeap()
    a, b = Owner(), Owner()
    heap.arm(a, "x", 3.0)
    heap.arm(b, "y", 1.0)
    heap.arm(a, "z", 2.0)
    heap.cancel(a, "z")
    heap.arm(b, "y", 4.0)  # re-armed: the 1.0 entry is stale
    assert heap.next_deadline() == 3.0
    assert heap.fire_due(3.5) == 1
    assert a.fired == [("x", 3.5)] and b.fired == []
    assert heap.next_deadline() == 4.0
    heap.fire_due(4.0)
    assert b.fired == [("y", 4.0)]
    assert heap.next_deadline() is None


def test_discarded_owners_are_compacted_out_of_the_heap() -> None:
    from tas.sip.timers import TimerHeap

    class Owner:
        def __init__(self) -> None:
            self.deadlines: dict[str, float] = {}

        def on_timer(self, name: str, now: float) -> None:
            raise AssertionError("a discarded timer fired")

    heap = TimerHeap()
    keep = Owner()
    heap.arm(keep, "t", 10.0)
    for _ in range(TimerHeap.COMPACT_AFTER):
        owner = Owner()
        heap.arm(owner, "session", 1800.0)
        heap.discard(owner)
    assert len(heap) == 1  # only the live timer is left: ended calls are not kept alive
    assert heap.next_deadline() == 10.0
