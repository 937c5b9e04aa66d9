"""SIPp-style counters of a load run's wire (tas.harness.wire_stats), fed raw messages."""

from __future__ import annotations

from tas.harness.wire_stats import WireStats, kind_of


def message(start: str, call_id: str, cseq: str) -> bytes:
    return f"{start}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n".encode()


INVITE = message("INVITE sip:x@127.0.0.1 SIP/2.0", "a", "1 INVITE")
RINGING = message("SIP/2.0 180 Ringing", "a", "1 INVITE")
OK = message("SIP/2.0 200 OK", "a", "1 INVITE")


def test_kinds() -> None:
    assert kind_of("INVITE sip:x SIP/2.0") == "INVITE"
    assert kind_of("SIP/2.0 486 Busy Here") == "486"


def test_counts_retransmissions_each_way_and_strays() -> None:
    wire = WireStats()
    wire.tap("out", INVITE, 0.0, "udp")
    wire.tap("out", INVITE, 0.5, "udp")  # Timer A fired
    wire.tap("in", RINGING, 0.6, "udp")
    wire.tap("in", OK, 0.7, "udp")
    wire.tap("in", OK, 1.2, "udp")  # the UAS retransmits its 2xx
    wire.tap("in", message("SIP/2.0 200 OK", "zzz", "1 INVITE"), 1.3, "udp")  # not ours
    wire.tap("in", message("MESSAGE sip:me SIP/2.0", "a", "2 MESSAGE"), 1.4, "udp")
    wire.tap("in", b"\r\n\r\n", 1.5, "tcp")  # keep-alive: no message
    assert (wire.sent["INVITE"], wire.retransmitted["INVITE"]) == (2, 1)
    assert (wire.received["200"], wire.retransmissions_received["200"]) == (3, 1)
    assert wire.unexpected == {"200": 1, "MESSAGE": 1}
    assert wire.heard
    out = wire.to_dict()
    assert out["retransmissions_sent"] == 1 and out["retransmissions_received"] == 1
    assert out["unexpected_messages"] == 2
    screen = wire.screen().splitlines()
    assert screen[1].split() == ["INVITE", "2", "1", "0", "0"]


def test_nothing_heard_and_repartition_bins() -> None:
    wire = WireStats()
    wire.tap("out", INVITE, 0.0, "tcp")
    assert not wire.heard
    for seconds in (0.001, 0.0099, 0.010, 0.120, 0.999, 1.0, 7.0):
        wire.setup(seconds)
    rows = dict(wire.repartition_rows())
    assert rows["0 ms <= n < 10 ms"] == 2
    assert rows["10 ms <= n < 20 ms"] == 1
    assert rows["100 ms <= n < 150 ms"] == 1
    assert rows["500 ms <= n < 1000 ms"] == 1
    assert rows["n >= 1000 ms"] == 2
    assert sum(rows.values()) == 7
