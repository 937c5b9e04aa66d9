"""Call admission, the lag signal and the rate-limited log on a virtual clock."""

from __future__ import annotations

from tas.transport.admission import Admission, LagSignal, RateLimitedLog, Verdict
from tas.transport.overload import OverloadLimits


def _invite(
    admission: Admission,
    source: str = "10.0.0.9",
    subscriber: str = "+47900",
    trusted: bool = False,
    live: set[tuple[str, str, int]] | None = None,
    n_calls: int = 0,
    n_txns: int = 0,
    overloaded: bool = False,
) -> tuple[Verdict, str]:
    return admission.invite(source, subscriber, trusted, live, n_calls, n_txns, overloaded)


def test_global_call_bound_rejects_trusted_and_drops_untrusted() -> None:
    admission = Admission(OverloadLimits(max_calls=10))
    assert _invite(admission, n_calls=9) == (Verdict.ADMIT, "")
    assert _invite(admission, n_calls=10, trusted=True) == (Verdict.REJECT, "calls")
    assert _invite(admission, n_calls=10) == (Verdict.DROP, "calls")


def test_transaction_bound() -> None:
    admission = Admission(OverloadLimits(max_transactions=100))
    assert _invite(admission, n_txns=100, trusted=True) == (Verdict.REJECT, "transactions")
    assert admission.request(True, 100, False) is Verdict.REJECT
    assert admission.request(False, 100, False) is Verdict.DROP
    assert admission.request(True, 99, True) is Verdict.ADMIT  # OPTIONS from the core flows
    assert admission.request(False, 99, True) is Verdict.DROP


def test_lag_overload_answers_trusted_with_503() -> None:
    admission = Admission(OverloadLimits())
    assert _invite(admission, trusted=True, overloaded=True) == (Verdict.REJECT, "lag")
    assert _invite(admission, overloaded=True) == (Verdict.DROP, "lag")


def test_per_source_bound_applies_to_untrusted_and_prunes_ended_calls() -> None:
    admission = Admission(OverloadLimits(max_calls_per_source=2, max_calls_per_subscriber=0))
    live: set[tuple[str, str, int]] = set()
    for i in range(2):
        assert _invite(admission, live=live)[0] is Verdict.ADMIT
        key = (f"c{i}", "t", 1)
        admission.admitted("10.0.0.9", "+47900", False, key)
        live.add(key)
    assert _invite(admission, live=live) == (Verdict.DROP, "source_calls")
    assert _invite(admission, source="10.0.0.8", live=live)[0] is Verdict.ADMIT
    assert _invite(admission, source="10.0.0.1", trusted=True, live=live)[0] is Verdict.ADMIT
    live.discard(("c0", "t", 1))  # one call ended
    assert _invite(admission, live=live)[0] is Verdict.ADMIT
    live.clear()
    admission.prune(live)
    assert admission.tracked() == 0


def test_per_subscriber_bound_answers_trusted_with_503() -> None:
    admission = Admission(OverloadLimits(max_calls_per_subscriber=1))
    live = {("c", "t", 1)}
    admission.admitted("10.0.0.1", "+47900", True, ("c", "t", 1))
    assert _invite(admission, trusted=True, live=live) == (Verdict.REJECT, "subscriber_calls")
    assert _invite(admission, subscriber="+47901", trusted=True, live=live)[0] is Verdict.ADMIT


def test_tables_stay_bounded_without_reaching_a_bound() -> None:
    admission = Admission(OverloadLimits(max_calls=10, max_calls_per_subscriber=5))
    live: set[tuple[str, str, int]] = set()
    for i in range(5000):  # each call to another number, each ended at once
        _invite(admission, subscriber=str(i), live=live)
        admission.admitted("10.0.0.9", str(i), False, (str(i), "t", 1))
    assert admission.tracked() <= 2 * (2 * 10 + 1000) + 2


def test_lag_signal_hysteresis() -> None:
    signal = LagSignal(threshold=0.2, hold=1.0, alpha=0.5)
    assert not signal.observe(0.1, 0.0)
    assert not signal.observe(0.3, 0.5)  # smoothed 0.2 - 0.05 below: one stall is no overload
    assert signal.observe(0.3, 1.0)  # lasting lag is
    assert signal.observe(0.15, 1.5)  # above threshold/2: still overloaded
    assert signal.observe(0.01, 2.0)  # calm from 2.0
    assert signal.observe(0.01, 2.9)
    assert not signal.observe(0.01, 3.0)
    assert signal.peak == 0.3


def test_one_long_stall_signals_at_once() -> None:
    assert LagSignal(threshold=0.2, alpha=0.5).observe(0.5, 0.0)


def test_cleared_lag_signal_admits_at_once_and_keeps_the_peak() -> None:
    signal = LagSignal(threshold=0.2, hold=2.0, alpha=0.5)
    assert signal.observe(0.8, 0.0)  # a start-up stall
    signal.clear()
    assert not signal.overloaded
    assert not signal.observe(0.01, 0.1)  # no hold to wait out
    assert signal.peak == 0.8


def test_lag_signal_off() -> None:
    assert not LagSignal(threshold=0.0).observe(100.0, 0.0)


def test_rate_limited_log_one_line_per_reason_per_interval() -> None:
    log = RateLimitedLog(interval=10.0)
    assert log.note("rate", 0.0) == 1  # the first one at once
    assert [log.note("rate", t / 100) for t in range(1, 1000)] == [None] * 999
    assert log.note("vias", 5.0) == 1  # another reason has its own interval
    assert log.due(9.0) == []
    assert log.due(10.0) == [("rate", 999)]
    assert log.due(20.0) == []  # nothing new
    assert log.note("rate", 20.5) == 1
    assert log.totals == {"rate": 1001, "vias": 1}
