"""What one test call produced (pure data): status, timings, RTP, tones, DTMF, ladder.

:class:`CallResult` is what the expectations judge and what ``--json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tas.harness.ladder import LadderEntry
from tas.harness.listen import Tone

__all__ = ["CallResult", "DigitHeard", "HoldResult", "RtpSummary", "VoicemailCheck"]


@dataclass(frozen=True, slots=True)
class RtpSummary:
    """RFC 3550 receive statistics of the call plus what we sent; ``jitter`` in seconds."""

    packets_sent: int
    packets_received: int
    lost: int
    loss_fraction: float
    jitter: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "packets_sent": self.packets_sent,
            "packets_received": self.packets_received,
            "lost": self.lost,
            "loss_percent": round(100 * self.loss_fraction, 3),
            "jitter_ms": round(1000 * self.jitter, 3),
        }


@dataclass(frozen=True, slots=True)
class DigitHeard:
    """An RFC 4733 digit received ``at`` seconds after the answer."""

    digit: str
    at: float
    duration: float


@dataclass(frozen=True, slots=True)
class HoldResult:
    """Final statuses of the hold (sendonly) and resume (sendrecv) re-INVITEs (RFC 3264 §8.4)."""

    hold_status: int | None
    resume_status: int | None

    @property
    def ok(self) -> bool:
        return all(s is not None and 200 <= s < 300 for s in (self.hold_status, self.resume_status))


@dataclass(frozen=True, slots=True)
class VoicemailCheck:
    """Whether the voicemail API shows a new message in ``mailbox`` after the call."""

    mailbox: str
    stored: bool
    voicemail_id: str | None = None
    duration: float | None = None
    caller: str | None = None
    detail: str = ""


@dataclass(slots=True)
class CallResult:
    """Everything observed on one call; times in seconds."""

    target: str
    transport: str
    call_id: str = ""
    status: int | None = None  # final status of the INVITE (200 when answered)
    reason: str = ""
    answered: bool = False
    unreachable: bool = False
    error: str | None = None
    setup_latency: float | None = None  # INVITE sent -> 2xx received
    ringing_after: float | None = None  # INVITE sent -> first 18x
    talk_time: float = 0.0
    ended_by: str | None = None  # "local", "remote"
    end_reason: str = ""
    cancelled: bool = False
    rtp: RtpSummary | None = None
    tones: list[Tone] = field(default_factory=list)
    digits: list[DigitHeard] = field(default_factory=list)
    digits_sent: str = ""
    recording: str | None = None
    hold: HoldResult | None = None
    voicemail: VoicemailCheck | None = None
    ladder: list[LadderEntry] = field(default_factory=list)

    @property
    def digits_heard(self) -> str:
        return "".join(d.digit for d in self.digits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "transport": self.transport,
            "call_id": self.call_id,
            "status": self.status,
            "reason": self.reason,
            "answered": self.answered,
            "unreachable": self.unreachable,
            "error": self.error,
            "setup_latency_ms": _ms(self.setup_latency),
            "ringing_after_ms": _ms(self.ringing_after),
            "talk_time": round(self.talk_time, 3),
            "ended_by": self.ended_by,
            "end_reason": self.end_reason,
            "cancelled": self.cancelled,
            "rtp": self.rtp.to_dict() if self.rtp else None,
            "tones": [t.to_dict() for t in self.tones],
            "dtmf_received": [
                {"digit": d.digit, "at": round(d.at, 3), "duration": round(d.duration, 3)}
                for d in self.digits
            ],
            "dtmf_sent": self.digits_sent,
            "recording": self.recording,
            "hold": (
                {"hold_status": self.hold.hold_status, "resume_status": self.hold.resume_status}
                if self.hold
                else None
            ),
            "voicemail": (
                {
                    "mailbox": self.voicemail.mailbox,
                    "stored": self.voicemail.stored,
                    "voicemail_id": self.voicemail.voicemail_id,
                    "duration": self.voicemail.duration,
                    "caller": self.voicemail.caller,
                    "detail": self.voicemail.detail,
                }
                if self.voicemail
                else None
            ),
            "ladder": [e.to_dict() for e in self.ladder],
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)
