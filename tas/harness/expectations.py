"""Named, composable expectations about one call (pure): ``--expect answered --expect beep``.

Each :class:`Expectation` judges a :class:`~tas.harness.result.CallResult` and returns None
when it holds, else one line saying what was expected and what happened. The call passes
only when every expectation holds (exit code 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tas.harness.listen import is_beep
from tas.harness.options import parse_duration
from tas.harness.result import CallResult

__all__ = ["EXPECTATIONS", "Expectation", "check_all", "parse_expectation"]

#: name -> help text (shown by ``tas call --help``).
EXPECTATIONS = {
    "answered": "the call was answered (2xx)",
    "status=CODE": "the final INVITE status is CODE (486, 487, 4xx …)",
    "beep": "a beep was heard (80 ms-1.5 s tone, e.g. voicemail's record tone)",
    "tone=HZ": "a steady tone of HZ was heard (±3 %)",
    "dtmf=DIGITS": "these RFC 4733 digits were received, in order",
    "rtp": "RTP audio was received",
    "loss<=PCT": "RTP loss at most PCT percent (e.g. loss<=1%)",
    "setup<=TIME": "INVITE -> 2xx within TIME (e.g. setup<=200ms)",
    "hold": "hold and resume re-INVITEs both got 2xx (needs --hold)",
    "remote-hangup": "the far end hung up (BYE from the far end)",
    "voicemail": "a message was left and is in the mailbox (voicemail API)",
}

_STATUS = re.compile(r"^[1-6](?:\d\d|xx)$", re.I)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One parsed ``--expect`` value: ``name`` and its argument (e.g. status, 486)."""

    name: str
    arg: str = ""

    def __str__(self) -> str:
        if self.name in _BOUNDS:
            return f"{self.name}<={self.arg}"
        return f"{self.name}={self.arg}" if self.arg else self.name

    def check(self, result: CallResult) -> str | None:
        """None when it holds, else the failure message."""
        return _CHECKS[self.name](self, result)


_BOUNDS = ("loss", "setup")


def parse_expectation(text: str) -> Expectation:
    """``answered``, ``status=486``, ``tone=440``, ``loss<=1%`` …; ValueError otherwise."""
    raw = text.strip().lower()
    for bound in _BOUNDS:
        if raw.startswith(bound + "<="):
            arg = raw[len(bound) + 2 :].strip()
            _bound_value(bound, arg)
            return Expectation(bound, arg)
    name, eq, arg = raw.partition("=")
    name, arg = name.strip(), arg.strip()
    if name in ("answered", "beep", "rtp", "hold", "remote-hangup", "voicemail"):
        if eq:
            raise ValueError(f"expectation {name!r} takes no value")
        return Expectation(name)
    if name == "status" and _STATUS.match(arg):
        return Expectation(name, arg)
    if name == "tone":
        try:
            if float(arg) > 0:
                return Expectation(name, arg)
        except ValueError:
            pass
        raise ValueError(f"tone expects a frequency in Hz: {text!r}")
    if name == "dtmf" and arg and all(c in "0123456789*#abcd" for c in arg):
        return Expectation(name, arg.upper())
    names = ", ".join(EXPECTATIONS)
    raise ValueError(f"unknown or malformed expectation {text!r} (one of: {names})")


def _bound_value(name: str, arg: str) -> float:
    if name == "loss":
        try:
            return float(arg.rstrip("%"))
        except ValueError:
            raise ValueError(f"loss expects a percentage: loss<={arg!r}") from None
    return parse_duration(arg)


def check_all(expectations: Iterable[Expectation], result: CallResult) -> list[str]:
    """One message per failed expectation, in the given order."""
    return [msg for e in expectations if (msg := e.check(result)) is not None]


def _outcome(result: CallResult) -> str:
    if result.unreachable:
        return f"the target was unreachable ({result.error or result.status})"
    if result.status is None:
        return f"no final response ({result.error or 'none'})"
    return f"got {result.status} {result.reason}".rstrip()


def _answered(e: Expectation, r: CallResult) -> str | None:
    return None if r.answered else f"expected the call to be answered, {_outcome(r)}"


def _status(e: Expectation, r: CallResult) -> str | None:
    want = e.arg
    got = "" if r.status is None else str(r.status)
    if want.endswith("xx") and got[:1] == want[0] or got == want:
        return None
    return f"expected final status {want}, {_outcome(r)}"


def _heard(r: CallResult) -> str:
    if not r.tones:
        return "no tone at all"
    parts = [f"{t.frequency:.0f} Hz for {t.duration:.2f} s at +{t.start:.2f} s" for t in r.tones]
    return "tones: " + ", ".join(parts[:5]) + (" …" if len(parts) > 5 else "")


def _beep(e: Expectation, r: CallResult) -> str | None:
    if any(is_beep(t) for t in r.tones):
        return None
    return f"expected a beep, heard none ({_not_answered(r) or _heard(r)})"


def _tone(e: Expectation, r: CallResult) -> str | None:
    hz = float(e.arg)
    if any(abs(t.frequency - hz) <= max(15.0, 0.03 * hz) for t in r.tones):
        return None
    return f"expected a {hz:g} Hz tone, heard none ({_not_answered(r) or _heard(r)})"


def _dtmf(e: Expectation, r: CallResult) -> str | None:
    heard = r.digits_heard
    if e.arg in heard:
        return None
    got = f"received {heard!r}" if heard else "received no digits"
    return f"expected DTMF {e.arg!r}, {_not_answered(r) or got}"


def _rtp(e: Expectation, r: CallResult) -> str | None:
    if r.rtp is not None and r.rtp.packets_received > 0:
        return None
    return f"expected RTP from the far end, {_not_answered(r) or 'received none'}"


def _loss(e: Expectation, r: CallResult) -> str | None:
    limit = _bound_value("loss", e.arg)
    if r.rtp is None or r.rtp.packets_received == 0:
        return f"expected RTP loss <= {limit:g}%, {_not_answered(r) or 'received no RTP'}"
    loss = 100 * r.rtp.loss_fraction
    if loss <= limit:
        return None
    return f"expected RTP loss <= {limit:g}%, measured {loss:.2f}% ({r.rtp.lost} lost)"


def _setup(e: Expectation, r: CallResult) -> str | None:
    limit = _bound_value("setup", e.arg)
    if r.setup_latency is None:
        return f"expected setup within {limit * 1000:g} ms, {_outcome(r)}"
    if r.setup_latency <= limit:
        return None
    return f"expected setup within {limit * 1000:g} ms, took {r.setup_latency * 1000:.1f} ms"


def _hold(e: Expectation, r: CallResult) -> str | None:
    if r.hold is None:
        return f"expected hold/resume, {_not_answered(r) or 'no hold was attempted (--hold)'}"
    if r.hold.ok:
        return None
    return (
        f"expected hold and resume to succeed, hold got {r.hold.hold_status}, "
        f"resume got {r.hold.resume_status}"
    )


def _remote_hangup(e: Expectation, r: CallResult) -> str | None:
    if r.ended_by == "remote":
        return None
    who = "we hung up" if r.ended_by == "local" else (_not_answered(r) or "the call did not end")
    return f"expected the far end to hang up, {who}"


def _voicemail(e: Expectation, r: CallResult) -> str | None:
    vm = r.voicemail
    if vm is not None and vm.stored:
        return None
    if vm is None:
        return f"expected a voicemail to be stored, {_not_answered(r) or 'it was not checked'}"
    return f"expected a voicemail in mailbox {vm.mailbox}, {vm.detail or 'none was stored'}"


def _not_answered(r: CallResult) -> str | None:
    return None if r.answered else f"the call was not answered: {_outcome(r)}"


_CHECKS = {
    "answered": _answered,
    "status": _status,
    "beep": _beep,
    "tone": _tone,
    "dtmf": _dtmf,
    "rtp": _rtp,
    "loss": _loss,
    "setup": _setup,
    "hold": _hold,
    "remote-hangup": _remote_hangup,
    "voicemail": _voicemail,
}
