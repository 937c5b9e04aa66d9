"""Failed-authentication token buckets and the summary log, on a virtual clock."""

from __future__ import annotations

import pytest

from tas.voicemail.ratelimit import FailureLimiter, FailureLog, peer_key


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("ipv4:127.0.0.1:54321", "ipv4:127.0.0.1"),
        ("ipv6:[2001:db8:1:2:3::9]:443", "ipv6:2001:db8:1:2::/64"),
        ("ipv6:[::1]:50061", "ipv6:::/64"),
        ("unix:/tmp/sock", "unix:/tmp/sock"),
    ],
)
def test_peer_key_drops_the_port(peer: str, key: str) -> None:
    assert peer_key(peer) == key


def test_burst_then_rate() -> None:
    limiter = FailureLimiter(burst=5, rate=0.5)
    checked, now = 0, 0.0
    for _ in range(3000):  # 3,000 guesses over 10 virtual seconds
        if not limiter.blocked("p", now):
            checked += 1
            limiter.failed("p", now)
        now += 10.0 / 3000
    assert 5 + 4 <= checked <= 5 + 5  # the burst, then 0.5/s for (almost) 10 s
    assert not limiter.blocked("other", now)


def test_refills_to_burst_not_beyond() -> None:
    limiter = FailureLimiter(burst=2, rate=1.0)
    limiter.failed("p", 0.0)
    limiter.failed("p", 0.0)
    assert limiter.blocked("p", 0.5)
    assert not limiter.blocked("p", 1.0)
    assert not limiter.blocked("p", 1000.0)
    limiter.failed("p", 1000.0)
    limiter.failed("p", 1000.0)
    assert limiter.blocked("p", 1000.0)  # two, not a thousand, stored up


def test_a_clock_going_back_does_not_mint_tokens() -> None:
    limiter = FailureLimiter(burst=1, rate=1.0)
    limiter.failed("p", 10.0)
    assert limiter.blocked("p", 5.0) and limiter.blocked("p", 10.5)


def test_memory_is_bounded_least_recent_first() -> None:
    limiter = FailureLimiter(burst=1, rate=0.0, max_peers=100)
    for i in range(10_000):
        limiter.failed(f"p{i}", 0.0)
    assert len(limiter) == 100
    assert limiter.blocked("p9999", 0.0) and not limiter.blocked("p0", 0.0)


def test_log_first_failure_at_once_then_one_line_per_interval() -> None:
    log = FailureLog(interval=60.0)
    first = log.note("ipv4:10.0.0.1", 0.0, blocked=False)
    assert first is not None and "failed=1 " in first
    lines = [log.note("ipv4:10.0.0.1", t / 10, blocked=t % 2 == 0) for t in range(1, 600)]
    assert [line for line in lines if line] == []  # all inside the interval
    summary = log.note("ipv4:10.0.0.2", 60.0, blocked=False)
    assert summary is not None
    assert "failed=301" in summary and "refused_unchecked=299" in summary
    assert "peers=2" in summary and "top=ipv4:10.0.0.1=599 ipv4:10.0.0.2=1" in summary
    assert log.flush(61.0) is None


def test_log_flush_reports_the_tail() -> None:
    log = FailureLog(interval=10.0)
    log.note("a", 0.0, blocked=False)
    log.note("a", 1.0, blocked=True)
    line = log.flush(10.0)
    assert line is not None and "seconds=9.0 failed=0 refused_unchecked=1" in line


def test_log_counts_at_most_max_peers_by_name() -> None:
    log = FailureLog(interval=10.0, max_peers=3)
    for i in range(100):
        log.note(f"p{i}", 1.0, blocked=False)
    line = log.flush(2.0)
    assert line is not None and "peers=4" in line and "other=96" in line


def test_wait_until_the_next_line() -> None:
    log = FailureLog(interval=10.0)
    assert log.wait(0.0) == 0.0
    log.note("a", 100.0, blocked=False)  # written at once
    assert log.wait(104.0) == 6.0 and log.wait(111.0) == 0.0
