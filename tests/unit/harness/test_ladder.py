"""The harness ladder: SIP start lines as labels, times relative to the first message, per call."""

from __future__ import annotations

from tas.harness.ladder import Ladder, summarize

INVITE = (
    b"INVITE sip:+4799990000@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1"
    b"\r\nCall-ID: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)
TRYING = b"SIP/2.0 100 Trying\r\ni: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n"
BUSY = b"SIP/2.0 486 Busy Here\r\nCall-ID: abc@127.0.0.1\r\nCSeq: 1 INVITE\r\n\r\n"


def test_start_lines_become_labels() -> None:
    assert summarize(INVITE) == (
        "INVITE sip:+4799990000@127.0.0.1:5070",
        "INVITE",
        None,
        "abc@127.0.0.1",
    )
    assert summarize(TRYING) == ("100 Trying (INVITE)", "INVITE", 100, "abc@127.0.0.1")
    assert summarize(b"garbage")[2] is None
    assert summarize(b"SIP/2.0 abc\r\n\r\n") == ("SIP/2.0 abc", "", None, "")


def test_ladder_times_are_relative_and_filtered_by_call() -> None:
    ladder = Ladder(call_id="abc@127.0.0.1")
    ladder.record("out", INVITE, 100.0, "UDP:127.0.0.1:5070")
    assert not ladder.heard_from_peer
    ladder.record("in", TRYING, 100.002, "UDP:127.0.0.1:5070")
    assert ladder.record("in", BUSY.replace(b"abc", b"other"), 100.003, "UDP:x:1") is None
    ladder.record("in", BUSY, 100.010, "UDP:127.0.0.1:5070")
    assert [(round(e.at, 3), e.direction, e.status) for e in ladder.entries] == [
        (0.0, "out", None),
        (0.002, "in", 100),
        (0.01, "in", 486),
    ]
    assert ladder.heard_from_peer
    assert ladder.entries[-1].to_dict()["label"] == "486 Busy Here (INVITE)"
