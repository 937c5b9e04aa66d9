"""ConnectionTable / Flow / LogThrottle on a virtual clock (RFC 3261 §18.3, RFC 5626 §3.5.1)."""

from __future__ import annotations

from pathlib import Path

from tas.transport.connections import (
    HEADER,
    IDLE,
    MAX_CONNECTIONS,
    MAX_PER_SOURCE,
    ConnectionLimits,
    ConnectionTable,
    LogThrottle,
)


def test_admission_total_and_per_source() -> None:
    table = ConnectionTable(ConnectionLimits(max_connections=3, max_per_source=2))
    assert table.admit("10.0.0.1") is None
    table.open(1, "10.0.0.1", 0.0)
    table.open(2, "10.0.0.1", 0.0)
    assert table.admit("10.0.0.1") == MAX_PER_SOURCE
    assert table.admit("10.0.0.1", exempt=True) is None  # the core skips the per-source cap
    assert table.admit("10.0.0.2") is None
    table.open(3, "10.0.0.2", 0.0)
    assert table.admit("10.0.0.3") == MAX_CONNECTIONS
    assert table.admit("10.0.0.3", exempt=True) == MAX_CONNECTIONS  # never the total
    table.open(4, "192.0.2.1", 0.0, inbound=False)  # ours: not counted against inbound
    assert table.inbound == 3 and len(table) == 4
    table.close(1)
    table.close(1)  # twice is a no-op
    assert table.from_source("10.0.0.1") == 1 and table.admit("10.0.0.1") is None
    table.close(2)
    table.close(3)
    table.close(4)
    assert table.inbound == 0 and len(table) == 0 and table.from_source("10.0.0.1") == 0


def test_zero_disables_limits_and_timeouts() -> None:
    table = ConnectionTable(
        ConnectionLimits(max_connections=0, max_per_source=0, idle_timeout=0, header_timeout=0)
    )
    for i in range(100):
        assert table.admit("h") is None
        table.open(i, "h", 0.0).received(0.0, completed=False, pending=True)
    assert table.expired(1e9) == []


def test_idle_timeout_inbound_only_and_keepalive_counts() -> None:
    table = ConnectionTable(ConnectionLimits(idle_timeout=30, header_timeout=5))
    inbound = table.open(1, "h", 0.0)
    table.open(2, "core", 0.0, inbound=False)
    assert table.expired(29.9) == []
    inbound.received(20.0, completed=True, pending=False)  # e.g. a CRLFCRLF ping
    assert table.expired(49.9) == []
    assert table.expired(50.0) == [(1, IDLE)]
    assert table.expired(1000.0) == [(1, IDLE)]  # the outbound flow is never idle-closed


def test_header_timeout_runs_from_first_byte_until_complete() -> None:
    table = ConnectionTable(ConnectionLimits(idle_timeout=30, header_timeout=5))
    flow = table.open(1, "h", 0.0)
    flow.received(1.0, completed=False, pending=True)  # a head starts
    flow.received(4.0, completed=False, pending=True)  # trickling does not reset the clock
    assert table.expired(5.9) == []
    assert table.expired(6.0) == [(1, HEADER)]
    flow.received(5.0, completed=True, pending=False)  # completed in time
    assert table.expired(6.0) == []
    flow.received(7.0, completed=True, pending=True)  # pipelined: the next message began
    assert table.expired(11.9) == [] and table.expired(12.0) == [(1, HEADER)]


def test_outbound_flows_get_the_header_timeout_too() -> None:
    table = ConnectionTable(ConnectionLimits(header_timeout=2))
    table.open(1, "peer", 0.0, inbound=False).received(0.0, completed=False, pending=True)
    assert table.expired(2.0) == [(1, HEADER)]


def test_sweep_interval() -> None:
    assert ConnectionLimits().sweep == 1.0
    assert ConnectionLimits(idle_timeout=2, header_timeout=1).sweep == 0.25
    assert ConnectionLimits(idle_timeout=0, header_timeout=0).sweep == 1.0
    assert ConnectionLimits(header_timeout=0.01).sweep == 0.05


def test_log_throttle_one_line_per_reason_per_interval() -> None:
    throttle = LogThrottle(interval=10)
    assert throttle.note("a", 0.0) == 1  # first one at once
    assert throttle.note("b", 0.0) == 1  # reasons are independent
    assert [throttle.note("a", t) for t in (1.0, 2.0, 3.0)] == [None, None, None]
    assert throttle.drain(5.0) == []
    assert throttle.note("a", 10.0, count=2) == 5  # 3 held back + these 2
    assert throttle.note("a", 11.0) is None
    assert throttle.drain(19.9) == []
    assert throttle.drain(20.0) == [("a", 1)]  # the tail of a burst is reported
    assert throttle.drain(40.0) == []
    assert throttle.note("a", 25.0) is None  # drain restarted the interval at 20
    assert throttle.note("a", 30.0) == 2


def test_sip_settings_reach_the_stack(tmp_path: Path) -> None:
    from tas.config import load_settings
    from tas.server import stack_options

    config = tmp_path / "tas.toml"
    config.write_text(
        "[sip]\ntls = []\nidle_timeout = 61\nheader_timeout = 7\ntls_handshake_timeout = 3\n"
        "max_connections = 100\nmax_connections_per_source = 9\n"
    )
    limits = stack_options(load_settings(config)).connections
    assert limits == ConnectionLimits(
        idle_timeout=61, header_timeout=7, tls_handshake_timeout=3, max_connections=100,
        max_per_source=9,
    )  # fmt: skip
    defaults = stack_options(load_settings(None, sip={"tls": []}))
    assert defaults.connections == ConnectionLimits()


def test_reserve_counts_a_handshake_and_release_gives_it_back() -> None:
    table = ConnectionTable(ConnectionLimits(max_connections=2, max_per_source=1))
    table.reserve("10.0.0.1")  # accepted, TLS handshake running
    assert table.admit("10.0.0.1") == MAX_PER_SOURCE and table.inbound == 1
    table.open(1, "10.0.0.1", 0.0, reserved=True)  # handshake done: not counted twice
    assert table.inbound == 1 and table.from_source("10.0.0.1") == 1
    table.reserve("10.0.0.2")
    assert table.admit("10.0.0.3") == MAX_CONNECTIONS
    table.release("10.0.0.2")  # that handshake failed
    table.release("10.0.0.2")  # a second release is a no-op
    assert table.inbound == 1 and table.from_source("10.0.0.2") == 0
    table.close(1)
    assert table.inbound == 0 and table.admit("10.0.0.1") is None
