"""Session timers (RFC 4028): negotiation in both roles, refresh and expiry of one dialog.

Negotiation is pure: :func:`parse_session_expires` reads the header (§4), :func:`uas_negotiate`
picks the interval and refresher a UAS answers with (§9: 422 + ``Min-SE`` when the request's
interval is below our minimum, the refresher the request names or ``uac`` when the UAC
supports ``timer``, else ``uas``), :func:`request_headers` adds what a UAC puts on its INVITE
(§7.1) and :func:`from_response` reads what a 2xx settled (§7.2).

:class:`SessionTimer` keeps one dialog's timer on the transaction layer's heap (the endpoint
owns every timer): the refresher sends its refresh at half the interval (§10), the other side
ends the session with BYE when no refresh came by ``SE - min(32, SE/3)`` (§10). Every 2xx to a
session refresh (UPDATE or re-INVITE, either way) restarts it with the interval it carried.
Each dialog has its own, so the two legs of a B2BUA each run theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tas.sip.errors import RemoteProtocolError
from tas.sip.message import Headers, Message, Request

if TYPE_CHECKING:
    from tas.sip.call import Call
    from tas.sip.timers import TimerHeap

__all__ = [
    "SessionTimerConfig",
    "Negotiated",
    "SessionTimer",
    "parse_session_expires",
    "uas_negotiate",
    "request_headers",
    "from_response",
    "peer_supports",
]

#: §4: the smallest Min-SE anyone may ask for, in seconds.
ABSOLUTE_MIN_SE = 90


@dataclass(frozen=True, slots=True)
class SessionTimerConfig:
    """What we ask for and what we accept (§4, §5)."""

    #: the interval we ask for on our INVITEs and give a UAS answer when the caller named none;
    #: 0: we ask for no timer (we still honour one the peer asks for)
    session_expires: int = 1800
    #: the smallest interval we accept (422 below it, §9); RFC 4028 says at least 90 s, a test
    #: configuration may lower it
    min_se: int = ABSOLUTE_MIN_SE


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The interval a dialog runs with and who refreshes it, from our point of view."""

    interval: int
    we_refresh: bool


def peer_supports(message: Message, tag: str) -> bool:
    """``tag`` in the message's Supported or Require (§7.1, RFC 3261 §20.37)."""
    headers = message.headers
    return tag in headers.values("Supported") or tag in headers.values("Require")


def parse_session_expires(message: Message) -> tuple[int, str | None] | None:
    """(delta-seconds, refresher) of the Session-Expires header (§4), None without one; a
    malformed value is a 400."""
    value = message.headers.get("Session-Expires")
    if value is None:
        return None
    delta, *params = (part.strip() for part in value.split(";"))
    if not delta.isdigit():
        raise RemoteProtocolError(f"bad Session-Expires {value!r}", 400)
    refresher = None
    for param in params:
        name, _, val = param.partition("=")
        if name.strip().lower() == "refresher":
            refresher = val.strip().lower()
            if refresher not in ("uac", "uas"):
                raise RemoteProtocolError(f"bad refresher {val!r}", 400)
    return int(delta), refresher


def _min_se(message: Message) -> int:
    value = (message.headers.get("Min-SE") or "").split(";", 1)[0].strip()
    return int(value) if value.isdigit() else 0


def uas_negotiate(request: Request, config: SessionTimerConfig) -> tuple[int, str, bool] | None:
    """§9: (interval, refresher, require-timer) for the 2xx to ``request`` (an INVITE, UPDATE
    or re-INVITE we are the UAS of), or None for no timer. Raises 422 with our ``Min-SE``
    when the request asks for less than we accept."""
    asked = parse_session_expires(request)
    supports = peer_supports(request, "timer")
    if asked is None:
        if not config.session_expires:
            return None
        interval = max(config.session_expires, config.min_se, _min_se(request))
        refresher = None
    else:
        interval, refresher = asked
        if interval < config.min_se:
            raise RemoteProtocolError(
                f"Session-Expires {interval} below {config.min_se}",
                422,
                extra_headers=(("Min-SE", str(config.min_se)),),
            )
    if refresher is None or (refresher == "uac" and not supports):
        refresher = "uac" if supports else "uas"
    return interval, refresher, supports


def response_headers(interval: int, refresher: str, require: bool) -> list[tuple[str, str]]:
    """The headers a 2xx carries to settle the timer (§9)."""
    headers = [("Session-Expires", f"{interval};refresher={refresher}")]
    if require:
        headers.append(("Require", "timer"))
    return headers


def request_headers(headers: Headers, config: SessionTimerConfig, interval: int = 0) -> None:
    """§7.1: Session-Expires (``interval`` or our configured one) and Min-SE on a request."""
    interval = interval or config.session_expires
    if interval:
        headers.add("Session-Expires", str(interval))
        headers.add("Min-SE", str(config.min_se))


def from_response(message: Message, we_are_uac: bool) -> Negotiated | None:
    """§7.2 (and §9 for the UAS reading its own answer): what a 2xx settled, None without a
    Session-Expires. ``we_are_uac``: we sent the request this 2xx answers."""
    settled = parse_session_expires(message)
    if settled is None:
        return None
    interval, refresher = settled
    refresher = refresher or "uas"
    return Negotiated(interval, (refresher == "uac") == we_are_uac)


class SessionTimer:
    """One dialog's session timer (§10): a refresh to send, or an expiry to act on."""

    __slots__ = ("call", "negotiated", "deadlines", "_heap", "_refresh", "_expire")

    def __init__(
        self,
        call: Call,
        heap: TimerHeap,
        refresh: Callable[[Call, float], None],
        expire: Callable[[Call, float], None],
    ) -> None:
        self.call = call
        self.negotiated: Negotiated | None = None
        self.deadlines: dict[str, float] = {}  # TimerOwner: "refresh" or "expire"
        self._heap = heap
        self._refresh = refresh
        self._expire = expire

    def start(self, negotiated: Negotiated, now: float) -> None:
        """A 2xx settled the interval: (re)arm the refresh or the expiry (§10)."""
        self.stop()
        self.negotiated = negotiated
        interval = negotiated.interval
        if negotiated.we_refresh:
            self._heap.arm(self, "refresh", now + interval / 2)
        else:
            self._heap.arm(self, "expire", now + interval - min(32, interval / 3))

    def stop(self) -> None:
        self._heap.discard(self)

    def on_timer(self, name: str, now: float) -> None:
        if name == "refresh":
            assert self.negotiated is not None
            # until the refresh's 2xx restarts us, the session still expires (§10)
            interval = self.negotiated.interval
            self._heap.arm(self, "expire", now + interval / 2 - min(32, interval / 3))
            self._refresh(self.call, now)
        else:
            self._expire(self.call, now)


def same_session(offer: bytes, current: bytes) -> bool:
    """True when ``offer`` repeats the session ``current`` described: the same ``o=`` line,
    session id and version included (RFC 3264 §8: an unchanged version is no change), as a
    refresh without a new session does (RFC 4028 §10)."""
    return bool(current) and _origin(offer) is not None and _origin(offer) == _origin(current)


def _origin(sdp: bytes) -> bytes | None:
    for line in sdp.splitlines():
        if line.startswith(b"o="):
            return line.strip()
    return None
