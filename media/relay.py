"""A media relay between two answered RTP legs: the TAS bridges a call it holds to a call it
placed (mailbox call-back, ``tas originate --bridge``) without re-INVITEs.

The relay is an RTP translator in the sense of RFC 3550 §7.1 (RFC 7667 §3.2.1.1, "media
translator"): every RTP packet received on one leg's endpoint is sent on the other leg's
endpoint with its SSRC, sequence number and timestamp unchanged; only the payload type is
rewritten to the number the other leg negotiated for the same format (:func:`relayed_payload_type`).
Audio is never transcoded: the second leg is offered the first leg's codec only
(``MediaSession.create_offer(codecs=...)``), so a peer that cannot take it answers 488.
RFC 4733 telephone events are relayed when both legs negotiated them (the digits keep their
event payload, so a DTMF menu behind the far leg works); RFC 3389 comfort noise likewise.
A packet with no counterpart on the other leg (a format it did not negotiate, or the other
leg on hold, RFC 3264 §8.4) is dropped and counted.

Each leg's own sending clock is handed over for good when the relay starts
(``MediaSession.hand_over_sending``): the peer then hears one stream, the relayed one. RTCP is
terminated per leg (each session keeps its own reports); it is not relayed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from media.errors import MediaError
from media.offer_answer import NegotiatedMedia
from media.session import MediaSession

__all__ = ["MediaRelay", "RelayCounts", "relayed_payload_type"]

_Handler = Callable[[bytes, float], None]


def relayed_payload_type(pt: int, src: NegotiatedMedia, dst: NegotiatedMedia) -> int | None:
    """The payload type a packet of type ``pt`` received on the ``src`` leg is sent with on
    the ``dst`` leg (pure); None when ``dst`` has no counterpart or does not receive."""
    if not dst.sends:  # dst is on hold towards us (sendonly/inactive from its side)
        return None
    if pt == src.payload_type:
        return dst.payload_type if dst.codec == src.codec else None
    if pt == src.dtmf_payload_type:
        return dst.dtmf_payload_type
    if pt == src.cn_payload_type:
        return dst.cn_payload_type
    return None


@dataclass(slots=True)
class RelayCounts:
    """Packets relayed each way, and dropped (no counterpart on the other leg)."""

    a_to_b: int = 0
    b_to_a: int = 0
    dropped: int = 0


class MediaRelay:
    """Relays RTP both ways between two negotiated sessions until :meth:`stop`."""

    def __init__(self, a: MediaSession, b: MediaSession) -> None:
        if a.negotiated is None or b.negotiated is None:
            raise MediaError("both legs need negotiated media before they are bridged")
        if a.negotiated.codec != b.negotiated.codec:
            raise MediaError(
                f"cannot relay {a.negotiated.codec} to {b.negotiated.codec} (no transcoding)"
            )
        self.a, self.b = a, b
        self.counts = RelayCounts()
        self._inner: list[tuple[MediaSession, _Handler | None]] = []

    def start(self) -> None:
        """Take over both legs' sending and relay what each receives to the other."""
        for src, dst, a_to_b in ((self.a, self.b, True), (self.b, self.a, False)):
            inner = src.endpoint.on_rtp
            self._inner.append((src, inner))
            src.hand_over_sending()
            src.endpoint.on_rtp = self._forwarder(src, dst, inner, a_to_b)

    def stop(self) -> None:
        """Stop relaying (the legs keep receiving as before; their sending stays handed over)."""
        for src, inner in self._inner:
            src.endpoint.on_rtp = inner
        self._inner.clear()

    def _forwarder(
        self, src: MediaSession, dst: MediaSession, inner: _Handler | None, a_to_b: bool
    ) -> _Handler:
        counts, endpoint = self.counts, dst.endpoint

        def forward(data: bytes, now: float) -> None:
            if inner is not None:  # the leg's receiver: statistics, digits, recording
                inner(data, now)
            src_media, dst_media = src.negotiated, dst.negotiated
            if len(data) < 12 or dst.closed or src_media is None or dst_media is None:
                counts.dropped += 1
                return
            pt = relayed_payload_type(data[1] & 0x7F, src_media, dst_media)
            if pt is None:
                counts.dropped += 1
                return
            if pt != data[1] & 0x7F:
                data = bytes((data[0], (data[1] & 0x80) | pt)) + data[2:]
            endpoint.send_rtp(data)
            if a_to_b:
                counts.a_to_b += 1
            else:
                counts.b_to_a += 1

        return forward
