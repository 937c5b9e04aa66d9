"""Process-wide media context (:class:`MediaEngine`): local addresses per IP family, the RTP
port pool, codec preferences, the disk worker and the one shared :class:`~media.pacer.Pacer`.

Dual stack: an offer whose audio ``c=`` line is ``IN IP6`` is answered from :attr:`host6`
(RFC 8866 §5.7, RFC 3264 §6: the answer's address is of our choosing but must be reachable
from the offerer, so we answer in the family offered). With no IPv6 media address such an
offer is refused with 488 and a reason for the ``Warning`` header.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from media.codecs import get_codec
from media.errors import OfferAnswerError
from media.offer_answer import LocalMedia
from media.pacer import Pacer
from media.ports import PortPool
from media.sdp import SessionDescription

__all__ = ["MediaEngine", "offered_family"]


class _Settings(Protocol):
    host: str
    port_min: int
    port_max: int
    codecs: list[str]
    ptime: int


def _is_v6(address: str) -> bool:
    return ":" in address


def _default_host6(host: str) -> str | None:
    """``::1`` beside a loopback IPv4 host (if the kernel has IPv6), else None."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback or not socket.has_ipv6:
        return None
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return None
    return "::1"


def offered_family(offer: SessionDescription) -> str:
    """``IP4`` or ``IP6``: the address type of the first audio stream's ``c=`` (§5.7)."""
    for index, media in enumerate(offer.media):
        if media.media == "audio" and media.port != 0:
            connection = offer.connection_for(index)
            if connection is not None:
                return "IP6" if connection.addrtype.upper() == "IP6" else "IP4"
    return "IP4"


class MediaEngine:
    """Process-wide media context: addresses, port pool, codec preferences, shared pacer.

    ``host6`` is the IPv6 media address; by default ``::1`` when ``host`` is IPv4 loopback,
    else none (IPv6 offers then get 488). A ``host`` that is itself IPv6 serves both.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port_min: int = 20000,
        port_max: int = 29999,
        codecs: tuple[str, ...] = ("PCMU", "PCMA"),
        telephone_event: bool = True,
        ptime: int = 20,
        rtcp_mux: bool = True,
        host6: str | None = "auto",
        comfort_noise: bool = False,
    ) -> None:
        for name in codecs:
            get_codec(name)
        self.host = host
        if host6 == "auto":
            host6 = host if _is_v6(host) else _default_host6(host)
        self.host6 = host6
        self.pool = PortPool(port_min, port_max)
        self.codecs = codecs
        self.telephone_event = telephone_event
        self.ptime = ptime
        self.rtcp_mux = rtcp_mux
        self.comfort_noise = comfort_noise
        # one worker thread for every recording's disk writes, fsync and rename, in order:
        # the event loop never waits for the disk
        self.files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-files")
        self._pacer: Pacer | None = None

    @classmethod
    def from_settings(cls, settings: _Settings) -> MediaEngine:
        """From ``tas.config.MediaSettings`` (or anything with the same fields; an optional
        ``host6`` field sets the IPv6 media address)."""
        audio = tuple(c.upper() for c in settings.codecs if c.lower() != "telephone-event")
        return cls(
            settings.host,
            settings.port_min,
            settings.port_max,
            audio,
            any(c.lower() == "telephone-event" for c in settings.codecs),
            settings.ptime,
            host6=getattr(settings, "host6", "auto"),
        )

    @property
    def pacer(self) -> Pacer:
        """The one pacing timer of this engine, on the running loop."""
        loop = asyncio.get_running_loop()
        if self._pacer is None or self._pacer.loop is not loop:
            self._pacer = Pacer(loop)
        return self._pacer

    def host_for(self, family: str) -> str:
        """Our media address in ``family`` (``IP4``/``IP6``); 488 when we have none."""
        if family == "IP6":
            if self.host6 is None:
                raise OfferAnswerError("no IPv6 media address (offer has c=IN IP6)", 488)
            return self.host6
        if _is_v6(self.host):
            raise OfferAnswerError("no IPv4 media address (offer has c=IN IP4)", 488)
        return self.host

    def local_media(
        self, port: int, direction: str = "sendrecv", host: str | None = None
    ) -> LocalMedia:
        return LocalMedia(
            address=host or self.host,
            port=port,
            codecs=self.codecs,
            telephone_event=self.telephone_event,
            ptime=self.ptime,
            direction=direction,
            rtcp_mux=self.rtcp_mux,
            comfort_noise=self.comfort_noise,
        )
