"""Each expectation holds when it should and fails with one clear line when it should not."""

from __future__ import annotations

import pytest

from tas.harness.expectations import EXPECTATIONS, check_all, parse_expectation
from tas.harness.listen import Tone
from tas.harness.result import CallResult, DigitHeard, HoldResult, RtpSummary, VoicemailCheck


def answered(**fields: object) -> CallResult:
    result = CallResult("sip:+4799990000@127.0.0.1:5070", "UDP", status=200, reason="OK")
    result.answered = True
    result.setup_latency = 0.02
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def busy() -> CallResult:
    return CallResult("sip:x@127.0.0.1", "UDP", status=486, reason="Busy Here")


BEEP = Tone(1000.0, 3.1, 0.4, -12.0)
LONG = Tone(440.0, 0.0, 5.0, -15.0)
MEDIA = RtpSummary(100, 98, 2, 2 / 100, 0.003)


@pytest.mark.parametrize(
    ("text", "passing", "failing", "message"),
    [
        ("answered", answered(), busy(), "expected the call to be answered, got 486 Busy Here"),
        ("status=486", busy(), answered(), "expected final status 486, got 200 OK"),
        ("status=4xx", busy(), answered(), "expected final status 4xx, got 200 OK"),
        ("beep", answered(tones=[LONG, BEEP]), answered(tones=[LONG]), "expected a beep"),
        ("tone=440", answered(tones=[LONG]), answered(tones=[BEEP]), "expected a 440 Hz tone"),
        (
            "dtmf=12",
            answered(digits=[DigitHeard("1", 1, 0.1), DigitHeard("2", 2, 0.1)]),
            answered(digits=[DigitHeard("2", 2, 0.1)]),
            "expected DTMF '12', received '2'",
        ),
        ("rtp", answered(rtp=MEDIA), answered(), "expected RTP from the far end, received none"),
        (
            "loss<=5%",
            answered(rtp=MEDIA),
            answered(rtp=RtpSummary(100, 50, 50, 0.5, 0.0)),
            "expected RTP loss <= 5%, measured 50.00%",
        ),
        (
            "setup<=100ms",
            answered(),
            answered(setup_latency=0.25),
            "expected setup within 100 ms, took 250.0 ms",
        ),
        (
            "hold",
            answered(hold=HoldResult(200, 200)),
            answered(hold=HoldResult(200, 488)),
            "hold got 200, resume got 488",
        ),
        (
            "remote-hangup",
            answered(ended_by="remote"),
            answered(ended_by="local"),
            "expected the far end to hang up, we hung up",
        ),
        (
            "voicemail",
            answered(voicemail=VoicemailCheck("+4799990001", True, "id", 3.0)),
            answered(voicemail=VoicemailCheck("+4799990001", False, detail="nothing new")),
            "expected a voicemail in mailbox +4799990001, nothing new",
        ),
    ],
)
def test_expectation_passes_and_fails(
    text: str, passing: CallResult, failing: CallResult, message: str
) -> None:
    expectation = parse_expectation(text)
    assert str(expectation) == text
    assert expectation.check(passing) is None
    failure = expectation.check(failing)
    assert failure is not None and message in failure
    assert "\n" not in failure


def test_every_documented_expectation_parses() -> None:
    samples = {"status=CODE": "status=487", "tone=HZ": "tone=425", "dtmf=DIGITS": "dtmf=#1"}
    samples |= {"loss<=PCT": "loss<=1%", "setup<=TIME": "setup<=2s"}
    for name in EXPECTATIONS:
        parse_expectation(samples.get(name, name))


@pytest.mark.parametrize(
    "text", ["ringing", "status=abc", "status=99", "tone=loud", "dtmf=x", "answered=1", "loss<=x"]
)
def test_malformed_expectations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_expectation(text)


def test_media_expectations_explain_an_unanswered_call() -> None:
    failures = check_all([parse_expectation(t) for t in ("beep", "dtmf=1", "hold")], busy())
    assert len(failures) == 3
    assert all("the call was not answered: got 486 Busy Here" in f for f in failures)


def test_unreachable_is_named() -> None:
    result = CallResult("sip:x@127.0.0.1:1", "TCP", status=503, unreachable=True, error="refused")
    assert check_all([parse_expectation("answered")], result) == [
        "expected the call to be answered, the target was unreachable (refused)"
    ]
