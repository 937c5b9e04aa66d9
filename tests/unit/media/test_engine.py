import pytest

from media.engine import MediaEngine, offered_family
from media.errors import OfferAnswerError
from media.sdp import SessionDescription


def sdp(c_line: str) -> SessionDescription:
    return SessionDescription.parse(
        f"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n{c_line}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    )


def test_the_family_of_the_audio_connection_decides() -> None:
    assert offered_family(sdp("c=IN IP6 2001:db8::1")) == "IP6"
    assert offered_family(sdp("c=IN IP4 192.0.2.1")) == "IP4"


def test_ipv6_address_defaults_to_loopback_beside_loopback_only() -> None:
    assert MediaEngine("127.0.0.1").host6 in ("::1", None)  # None: a kernel without IPv6
    assert MediaEngine("192.0.2.10").host6 is None
    assert MediaEngine("192.0.2.10", host6="2001:db8::10").host_for("IP6") == "2001:db8::10"
    assert MediaEngine("2001:db8::10").host_for("IP6") == "2001:db8::10"


def test_no_address_in_the_family_offered_is_488() -> None:
    with pytest.raises(OfferAnswerError) as caught:
        MediaEngine("192.0.2.10", host6=None).host_for("IP6")
    assert caught.value.status == 488
    with pytest.raises(OfferAnswerError):
        MediaEngine("2001:db8::10").host_for("IP4")
