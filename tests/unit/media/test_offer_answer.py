from dataclasses import replace
from pathlib import Path

import pytest

from media.errors import OfferAnswerError
from media.offer_answer import (
    LocalMedia,
    apply_answer,
    create_answer,
    create_offer,
    reverse_direction,
)
from media.sdp import Origin, SessionDescription

CAPTURES = Path(__file__).parents[2] / "captures" / "sdp"
LOCAL = LocalMedia(address="127.0.0.1", port=20000)
ORIGIN = Origin("tas", "42", "1")


def capture(name: str) -> SessionDescription:
    return SessionDescription.parse((CAPTURES / name).read_bytes())


def test_answer_sipp_pcap_offer_keeps_pcma_and_its_event_payload_type() -> None:
    answer, media = create_answer(capture("sipp_uac_pcap_offer.sdp"), LOCAL, ORIGIN)
    assert (media.codec, media.payload_type, media.dtmf_payload_type) == ("PCMA", 8, 101)
    assert (media.remote_address, media.remote_port, media.remote_rtcp_port) == (
        "127.0.0.1",
        16000,
        16001,
    )
    assert media.direction == "sendrecv" and media.ptime == 20 and not media.rtcp_mux
    audio = answer.media[0]
    assert audio.port == 20000 and audio.formats == ("8", "101")
    assert audio.fmtps() == {"101": "0-11,16"}
    assert answer.connection is not None and answer.connection.host == "127.0.0.1"
    assert answer.origin.session_id == "42"


def test_answer_prefers_our_codec_order() -> None:
    offer = capture("baresip_offer.sdp")  # offers 0 8 101
    _, media = create_answer(offer, replace(LOCAL, codecs=("PCMA", "PCMU")), ORIGIN)
    assert media.codec == "PCMA"
    _, media = create_answer(offer, LOCAL, ORIGIN)
    assert media.codec == "PCMU"


def test_answer_static_payload_without_rtpmap_and_no_dtmf() -> None:
    offer = SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 5004 RTP/AVP 8\r\na=ptime:40\r\na=rtcp:6000\r\n"
    )
    answer, media = create_answer(offer, LOCAL, ORIGIN)
    assert media.codec == "PCMA" and media.dtmf_payload_type is None
    assert media.ptime == 40 and media.remote_rtcp_port == 6000
    assert answer.media[0].formats == ("8",)


_HEAD = "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"


@pytest.mark.parametrize("rtcp", [" ", "\u00b2", "70000", "x 9"])
def test_bad_rtcp_attribute_is_a_488_not_a_crash(rtcp: str) -> None:
    # a=rtcp with only blanks raised IndexError, a non-ASCII digit ValueError (atheris).
    offer = SessionDescription.parse(_HEAD + f"m=audio 5004 RTP/AVP 0\r\na=rtcp:{rtcp}\r\n")
    with pytest.raises(OfferAnswerError, match="bad a=rtcp") as caught:
        create_answer(offer, LOCAL, ORIGIN)
    assert caught.value.status == 488


def test_non_ascii_digits_in_formats_ptime_and_rate_are_ignored() -> None:
    offer = SessionDescription.parse(
        _HEAD + "m=audio 5004 RTP/AVP \u00b2 200 0\r\na=rtpmap:\u00b2 PCMU/8000\r\n"
        "a=rtpmap:200 PCMU/8000\r\na=rtpmap:0 PCMU/8\u00b2\r\na=ptime:\u00b2\r\n"
    )
    with pytest.raises(OfferAnswerError, match="no acceptable audio"):
        create_answer(offer, LOCAL, ORIGIN)  # "²" and 200 are no payload types; rate 8² is 0
    offer = SessionDescription.parse(_HEAD + "m=audio 5004 RTP/AVP 0\r\na=ptime:\u00b2\r\n")
    assert create_answer(offer, LOCAL, ORIGIN)[1].ptime == LOCAL.ptime


def test_webrtc_offer_is_not_for_the_plain_path() -> None:
    with pytest.raises(OfferAnswerError, match="no acceptable audio") as info:
        create_answer(capture("aiortc_offer.sdp"), LOCAL, ORIGIN)
    assert info.value.status == 488


def test_port_zero_stream_is_rejected_and_second_stream_chosen() -> None:
    offer = SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 0 RTP/AVP 0\r\nm=video 5006 RTP/AVP 96\r\nm=audio 5008 RTP/AVP 0\r\n"
        "c=IN IP4 10.2.2.2\r\n"
    )
    answer, media = create_answer(offer, LOCAL, ORIGIN)
    assert [m.port for m in answer.media] == [0, 0, 20000]
    assert [m.formats for m in answer.media][:2] == [("0",), ("96",)]
    assert media.media_index == 2
    assert media.remote_address == "10.2.2.2"  # per-media c= wins over the session's


def test_all_streams_rejected_or_no_common_codec() -> None:
    only_zero = SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nm=audio 0 RTP/AVP 0\r\n"
    )
    with pytest.raises(OfferAnswerError):
        create_answer(only_zero, LOCAL, ORIGIN)
    g729 = SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nm=audio 5000 RTP/AVP 18\r\n"
    )
    with pytest.raises(OfferAnswerError):
        create_answer(g729, LOCAL, ORIGIN)
    no_connection = SessionDescription.parse(
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nm=audio 5 RTP/AVP 0\r\n"
    )
    with pytest.raises(OfferAnswerError, match="no connection address"):
        create_answer(no_connection, LOCAL, ORIGIN)


@pytest.mark.parametrize(
    ("offered", "local", "ours"),
    [
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendonly", "sendrecv", "recvonly"),  # they hold us: we only listen
        ("recvonly", "sendrecv", "sendonly"),
        ("inactive", "sendrecv", "inactive"),
        ("sendrecv", "recvonly", "recvonly"),  # voicemail that only records
        ("recvonly", "recvonly", "inactive"),
    ],
)
def test_direction_negotiation(offered: str, local: str, ours: str) -> None:
    offer = capture("baresip_offer.sdp")
    offer = replace(offer, media=(offer.media[0].with_direction(offered),))
    answer, media = create_answer(offer, replace(LOCAL, direction=local), ORIGIN)
    assert media.direction == ours
    assert answer.media[0].direction == ours
    assert reverse_direction(reverse_direction(ours)) == ours


def test_old_style_hold_with_zero_address_then_resume() -> None:
    base = capture("sipp_uac_offer.sdp")
    held = SessionDescription.parse(str(base).replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"))
    _, media = create_answer(held, LOCAL, ORIGIN)
    assert not media.sends and media.receives
    _, media = create_answer(base, LOCAL, ORIGIN)
    assert media.sends and media.receives


def test_rtcp_mux_only_when_both_want_it() -> None:
    offer = capture("baresip_offer.sdp")
    offer = replace(
        offer,
        media=(
            replace(offer.media[0], attributes=(*offer.media[0].attributes, ("rtcp-mux", None))),
        ),
    )
    _, media = create_answer(offer, LOCAL, ORIGIN)
    assert not media.rtcp_mux and media.remote_rtcp_port == 17011
    answer, media = create_answer(offer, replace(LOCAL, rtcp_mux=True), ORIGIN)
    assert media.rtcp_mux and media.remote_rtcp_port == 17010
    assert answer.media[0].attribute("rtcp-mux") == ""


def test_offer_then_sipp_answer() -> None:
    offer = create_offer(LOCAL, ORIGIN)
    text = str(offer)
    assert "m=audio 20000 RTP/AVP 0 8 101\r\n" in text
    assert "a=fmtp:101 0-16\r\n" in text and "a=sendrecv\r\n" in text
    media = apply_answer(offer, capture("sipp_uas_answer.sdp"), LOCAL)
    assert (media.codec, media.payload_type, media.dtmf_payload_type) == ("PCMU", 0, None)
    assert (media.remote_address, media.remote_port) == ("127.0.0.1", 6000)


def test_offer_answer_between_two_engines() -> None:
    alice = replace(LOCAL, codecs=("PCMA", "PCMU"))
    bob = LocalMedia(address="127.0.0.2", port=30000)
    offer = create_offer(alice, ORIGIN)
    answer, bob_media = create_answer(offer, bob, Origin("bob", "7", "1"))
    alice_media = apply_answer(offer, answer, alice)
    assert alice_media.codec == bob_media.codec == "PCMU"  # the answerer's preference wins
    assert alice_media.dtmf_payload_type == bob_media.dtmf_payload_type == 101
    assert (alice_media.remote_address, alice_media.remote_port) == ("127.0.0.2", 30000)


def test_bad_answers() -> None:
    offer = create_offer(LOCAL, ORIGIN)
    rejected = SessionDescription.parse(str(offer).replace("m=audio 20000", "m=audio 0"))
    with pytest.raises(OfferAnswerError, match="port 0"):
        apply_answer(offer, rejected, LOCAL)
    with pytest.raises(OfferAnswerError, match="m= lines"):
        apply_answer(offer, replace(offer, media=()), LOCAL)
    foreign = SessionDescription.parse(str(offer).replace("RTP/AVP 0 8 101", "RTP/AVP 18"))
    with pytest.raises(OfferAnswerError, match="no codec we offered"):
        apply_answer(offer, foreign, LOCAL)


def test_comfort_noise_is_negotiated_only_when_both_sides_have_it() -> None:
    """RFC 3389 §5: CN/8000 (static 13) beside the codec; off unless enabled."""
    cn_local = replace(LOCAL, comfort_noise=True)
    offer = create_offer(cn_local, ORIGIN)
    assert "a=rtpmap:13 CN/8000" in str(offer)
    answer, media = create_answer(offer, cn_local, ORIGIN)
    assert media.cn_payload_type == 13 and "13" in answer.media[0].formats
    assert apply_answer(offer, answer, cn_local).cn_payload_type == 13
    _, plain = create_answer(offer, LOCAL, ORIGIN)  # we do not do CN: not in the answer
    assert plain.cn_payload_type is None
    _, no_cn = create_answer(create_offer(LOCAL, ORIGIN), cn_local, ORIGIN)
    assert no_cn.cn_payload_type is None and "CN" not in str(create_offer(LOCAL, ORIGIN))
