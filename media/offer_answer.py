"""SDP offer/answer for one audio stream (RFC 3264), G.711 plus telephone-event (RFC 4733 §7)
and, when enabled, comfort noise (RFC 3389 §5: ``CN/8000``, static payload type 13).

Pure functions: :func:`create_offer`, :func:`create_answer` (answerer, §6) and
:func:`apply_answer` (offerer, §7). Each returns the :class:`NegotiatedMedia` the RTP
endpoint needs. Hold and resume are re-offers with another direction (§8.4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from media.codecs import CODECS
from media.errors import OfferAnswerError
from media.sdp import Connection, MediaDescription, Origin, SessionDescription

__all__ = [
    "LocalMedia",
    "NegotiatedMedia",
    "apply_answer",
    "create_answer",
    "create_offer",
    "reverse_direction",
]

PLAIN_PROTOS = ("RTP/AVP", "RTP/AVPF")
_STATIC = {"0": ("PCMU", 8000), "8": ("PCMA", 8000), "13": ("CN", 8000)}
_SENDS = {"sendrecv": True, "sendonly": True, "recvonly": False, "inactive": False}
_RECEIVES = {"sendrecv": True, "sendonly": False, "recvonly": True, "inactive": False}
_BY_FLAGS = {
    (True, True): "sendrecv",
    (True, False): "sendonly",
    (False, True): "recvonly",
    (False, False): "inactive",
}


def reverse_direction(direction: str) -> str:
    """The direction seen from the other side (RFC 3264 §6.1)."""
    return _BY_FLAGS[(_RECEIVES[direction], _SENDS[direction])]


def _combine(ours: str, theirs_reversed: str) -> str:
    return _BY_FLAGS[
        (_SENDS[ours] and _SENDS[theirs_reversed], _RECEIVES[ours] and _RECEIVES[theirs_reversed])
    ]


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What we offer or accept: our address/port, codecs by preference, ptime, direction."""

    address: str
    port: int
    codecs: tuple[str, ...] = ("PCMU", "PCMA")
    telephone_event: bool = True
    telephone_event_pt: int = 101
    ptime: int = 20
    direction: str = "sendrecv"
    rtcp_mux: bool = False
    comfort_noise: bool = False


@dataclass(frozen=True, slots=True)
class NegotiatedMedia:
    """Outcome for the audio stream; ``direction`` is ours (``sendonly`` means we only send)."""

    codec: str
    payload_type: int
    dtmf_payload_type: int | None
    ptime: int
    direction: str
    remote_address: str
    remote_port: int
    remote_rtcp_port: int
    rtcp_mux: bool
    media_index: int = 0
    cn_payload_type: int | None = None  # RFC 3389 comfort noise, when both sides have it

    @property
    def sends(self) -> bool:
        return _SENDS[self.direction]

    @property
    def receives(self) -> bool:
        return _RECEIVES[self.direction]


def _address_type(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _audio_section(
    local: LocalMedia, formats: list[tuple[int, str, str | None]]
) -> MediaDescription:
    attrs: list[tuple[str, str | None]] = []
    for pt, encoding, fmtp in formats:
        attrs.append(("rtpmap", f"{pt} {encoding}"))
        if fmtp is not None:
            attrs.append(("fmtp", f"{pt} {fmtp}"))
    attrs.append(("ptime", str(local.ptime)))
    if local.rtcp_mux:
        attrs.append(("rtcp-mux", None))
    attrs.append((local.direction, None))
    return MediaDescription(
        "audio", local.port, "RTP/AVP", tuple(str(f[0]) for f in formats), attributes=tuple(attrs)
    )


def _session(
    local: LocalMedia, origin: Origin, media: tuple[MediaDescription, ...]
) -> SessionDescription:
    return SessionDescription(
        origin=replace(origin, addrtype=_address_type(local.address), address=local.address),
        name="-",
        connection=Connection(local.address, "IN", _address_type(local.address)),
        media=media,
    )


def create_offer(local: LocalMedia, origin: Origin) -> SessionDescription:
    """An offer with one audio stream carrying ``local.codecs`` and telephone-event (§5)."""
    formats: list[tuple[int, str, str | None]] = []
    for name in local.codecs:
        codec = CODECS[name.upper()]
        formats.append((codec.payload_type, f"{codec.name}/{codec.clock_rate}", None))
    if local.telephone_event:
        formats.append((local.telephone_event_pt, "telephone-event/8000", "0-16"))
    if local.comfort_noise:
        formats.append((13, "CN/8000", None))
    return _session(local, origin, (_audio_section(local, formats),))


def _number(text: str, limit: int) -> int | None:
    """``text`` as an ASCII decimal in 0..limit, else None (``str.isdigit`` also takes "²")."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or int(text) > limit:
        return None
    return int(text)


def _formats(media: MediaDescription) -> list[tuple[str, str, int, str | None]]:
    """(payload type, upper-case encoding name, clock rate, fmtp) for every listed format.

    RTP/AVP formats are payload types 0..127 (RFC 3551 §3); anything else is skipped.
    """
    rtpmaps, fmtps = media.rtpmaps(), media.fmtps()
    result = []
    for pt in media.formats:
        if _number(pt, 127) is None:
            continue
        if pt in rtpmaps:
            name, _, rest = rtpmaps[pt].partition("/")
            rate = _number(rest.partition("/")[0], 2**32) or 0
        elif pt in _STATIC:
            name, rate = _STATIC[pt]
        else:
            continue
        result.append((pt, name.upper(), rate, fmtps.get(pt)))
    return result


def _remote_endpoint(sdp: SessionDescription, index: int) -> tuple[str, int, int, bool]:
    media = sdp.media[index]
    connection = sdp.connection_for(index)
    if connection is None:
        raise OfferAnswerError(f"m= line {index} has no connection address (c=)")
    rtcp = media.attribute("rtcp")
    rtcp_port = media.port + 1
    if rtcp:
        port = _number(rtcp.split()[0], 65535) if rtcp.split() else None  # RFC 3605 §2.1
        if port is None:
            raise OfferAnswerError(f"bad a=rtcp value {rtcp!r}")
        rtcp_port = port
    return connection.host, media.port, rtcp_port, media.attribute("rtcp-mux") is not None


def _effective_remote_direction(sdp: SessionDescription, index: int, address: str) -> str:
    direction = sdp.direction_for(index)
    if address in ("0.0.0.0", "::"):  # RFC 3264 §8.4: old-style hold, do not send to them
        direction = _BY_FLAGS[(_SENDS[direction], False)]
    return direction


def _ptime(media: MediaDescription, default: int) -> int:
    value = _number(media.attribute("ptime") or "", 10_000)
    if value and value % 20 == 0:
        return value
    return default


def _comfort_noise(formats: list[tuple[str, str, int, str | None]]) -> int | None:
    """The payload type of ``CN/8000`` among ``formats`` (RFC 3389 §5), if listed."""
    return next((int(f[0]) for f in formats if f[1] == "CN" and f[2] == 8000), None)


def create_answer(
    offer: SessionDescription, local: LocalMedia, origin: Origin
) -> tuple[SessionDescription, NegotiatedMedia]:
    """Answer ``offer`` (§6): accept the first usable audio stream, reject the rest with port 0.

    Raises :class:`OfferAnswerError` (488) when no audio stream can be accepted.
    """
    chosen: NegotiatedMedia | None = None
    sections: list[MediaDescription] = []
    wanted = [c.upper() for c in local.codecs]
    for index, media in enumerate(offer.media):
        rejected = replace(
            media, port=0, connection=None, attributes=(), bandwidths=(), extra=(), port_count=None
        )
        if chosen is not None or media.media != "audio" or media.proto not in PLAIN_PROTOS:
            sections.append(rejected)
            continue
        if media.port == 0:
            sections.append(rejected)
            continue
        offered = _formats(media)
        audio = [f for f in offered if f[1] in wanted and f[2] == 8000]
        if not audio:
            sections.append(rejected)
            continue
        audio.sort(key=lambda f: wanted.index(f[1]))
        pt, name, _, _ = audio[0]
        dtmf = next((f for f in offered if f[1] == "TELEPHONE-EVENT" and f[2] == 8000), None)
        address, port, rtcp_port, mux = _remote_endpoint(offer, index)
        remote_dir = _effective_remote_direction(offer, index, address)
        direction = _combine(local.direction, reverse_direction(remote_dir))
        mux = mux and local.rtcp_mux
        formats: list[tuple[int, str, str | None]] = [(int(pt), f"{name}/8000", None)]
        if dtmf is not None and local.telephone_event:
            formats.append((int(dtmf[0]), "telephone-event/8000", dtmf[3] or "0-15"))
        cn = _comfort_noise(offered) if local.comfort_noise else None
        if cn is not None:
            formats.append((cn, "CN/8000", None))
        section = _audio_section(replace(local, direction=direction, rtcp_mux=mux), formats)
        sections.append(section)
        chosen = NegotiatedMedia(
            codec=name,
            payload_type=int(pt),
            dtmf_payload_type=int(dtmf[0]) if dtmf is not None and local.telephone_event else None,
            ptime=_ptime(media, local.ptime),
            direction=direction,
            remote_address=address,
            remote_port=port,
            remote_rtcp_port=port if mux else rtcp_port,
            rtcp_mux=mux,
            media_index=index,
            cn_payload_type=cn,
        )
    if chosen is None:
        raise OfferAnswerError("no acceptable audio stream (RTP/AVP with PCMU or PCMA) in offer")
    return _session(local, origin, tuple(sections)), chosen


def apply_answer(
    offer: SessionDescription, answer: SessionDescription, local: LocalMedia
) -> NegotiatedMedia:
    """Read the answer to our ``offer`` (§7); :class:`OfferAnswerError` if audio was refused."""
    if len(answer.media) != len(offer.media):
        raise OfferAnswerError(
            f"answer has {len(answer.media)} m= lines, offer had {len(offer.media)}"
        )
    for index, media in enumerate(answer.media):
        if offer.media[index].media != "audio" or media.media != "audio":
            continue
        if media.port == 0:
            raise OfferAnswerError("the answer rejected the audio stream (port 0)")
        offered = {f[0]: f for f in _formats(offer.media[index])}
        answered = [f for f in _formats(media) if f[0] in offered]
        audio = [f for f in answered if f[1] in CODECS]
        if not audio:
            raise OfferAnswerError("the answer selected no codec we offered")
        dtmf = next((f for f in answered if f[1] == "TELEPHONE-EVENT"), None)
        address, port, rtcp_port, mux = _remote_endpoint(answer, index)
        remote_dir = _effective_remote_direction(answer, index, address)
        mux = mux and local.rtcp_mux
        return NegotiatedMedia(
            codec=audio[0][1],
            payload_type=int(audio[0][0]),
            dtmf_payload_type=int(dtmf[0]) if dtmf is not None else None,
            ptime=_ptime(media, local.ptime),
            direction=_combine(local.direction, reverse_direction(remote_dir)),
            remote_address=address,
            remote_port=port,
            remote_rtcp_port=port if mux else rtcp_port,
            rtcp_mux=mux,
            media_index=index,
            cn_payload_type=_comfort_noise(answered) if local.comfort_noise else None,
        )
    raise OfferAnswerError("no audio stream in the answer")
