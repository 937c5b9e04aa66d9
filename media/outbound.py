"""Our one RTP stream of a call (thin adapter between the pure sender/player and the pacer).

One SSRC for the stream's life, one sequence space, one :class:`~media.clock.StreamClock`
started on the pacer tick where sending began (RFC 3550 §5.1). While we may send, the stream
is on the shared :class:`~media.pacer.Pacer` and every ptime carries exactly one packet:
audio, an RFC 4733 event, or silence/CN (RFC 3389) when nothing is queued. A codec or ptime
change (re-INVITE) makes a new player on the same clock and sequence; hold takes the stream
off the pacer, and resuming marks a new talkspurt (RFC 3551 §4.1).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from media.clock import StreamClock
from media.codecs import Codec
from media.pacer import Pacer
from media.player import Player
from media.stream import RtpSender

__all__ = ["OutboundStream"]


class OutboundStream:
    """The sending half of a media session; ``send`` puts one datagram on the wire."""

    __slots__ = (
        "ssrc",
        "sender",
        "player",
        "clock",
        "pacing",
        "relayed",
        "_pacer",
        "_send",
        "_seq0",
        "_ts_base",
    )

    def __init__(self, pacer: Callable[[], Pacer], send: Callable[[bytes], None]) -> None:
        self.ssrc = random.getrandbits(32)
        self.sender: RtpSender | None = None
        self.player: Player | None = None
        self.clock: StreamClock | None = None  # set when sending first starts
        self.pacing = False
        self.relayed = False
        self._pacer = pacer
        self._send = send
        self._seq0 = random.getrandbits(16)
        self._ts_base = random.getrandbits(32)

    def renegotiate(
        self, codec: Codec, payload_type: int, dtmf_pt: int | None, ptime: int, cn_pt: int | None
    ) -> None:
        """New payload types, codec or ptime: a new player on the same SSRC, sequence and clock."""
        if self.player is not None:
            self.player.stop()
        old = self.sender
        self.sender = RtpSender(
            self.ssrc,
            payload_type,
            dtmf_pt,
            old.seq if old is not None else self._seq0,
            self._ts_base,
        )
        if old is not None:
            self.sender.packets, self.sender.octets = old.packets, old.octets
        self.player = Player(self.sender, codec, ptime / 1000, self.clock, cn_pt)

    def sync(self, sending: bool) -> None:
        """On the pacer exactly while ``sending`` (and not handed over); off it, prompts stop."""
        player = self.player
        if player is None:
            return
        if sending and not self.relayed and not self.pacing:
            first = self._pacer().activate(self._pace)
            self.pacing = True
            if self.clock is None:  # the stream's start: timestamps count from here
                self.clock = player.clock
                self.clock.start_tick = first
                self.clock.last_tick = None
            elif self.sender is not None:
                self.sender.silence()  # resuming after hold: a new talkspurt
        elif not sending or self.relayed:
            player.stop()
            self.stop()

    def stop(self) -> None:
        """Off the pacer (hold, hand-over, close)."""
        if self.pacing:
            self._pacer().deactivate(self._pace)
            self.pacing = False

    def hand_over(self) -> None:
        """Stop for good: the caller sends its own stream (an echo, a relay)."""
        self.relayed = True
        self.sync(False)

    def rtp_time(self, tick: int) -> int | None:
        """The RTP timestamp of ``tick`` on this stream's clock (for an RTCP SR, §6.4.1)."""
        if self.clock is None:
            return None
        return self._ts_base + (tick - self.clock.start_tick) * self.clock.samples_per_tick

    def _pace(self, tick: int) -> bool:
        player = self.player
        if player is None or not self.pacing:
            self.pacing = False
            return False
        data = player.frame(tick)
        if data is not None:
            self._send(data)
        return True
