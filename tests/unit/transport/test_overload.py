"""Token buckets, the bounded source table and the byte prefilter on a virtual clock."""

from __future__ import annotations

from tas.transport.overload import (
    OverloadLimits,
    SourceBuckets,
    TokenBucket,
    minimal_response,
    prefilter,
    too_many_vias,
)

INVITE = (
    b"INVITE sip:+4790000000@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\n"
    b"From: <sip:a@127.0.0.2>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
    b"Call-ID: x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


def test_bucket_allows_burst_then_rate() -> None:
    bucket = TokenBucket(rate=10.0, burst=5.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.take(0.05)  # half a token
    assert bucket.take(0.1)  # one token after 0.1 s at 10/s
    assert not bucket.take(0.1)
    assert bucket.full_at() == 0.1 + 5 / 10.0


def test_bucket_refill_is_capped_at_burst() -> None:
    bucket = TokenBucket(rate=100.0, burst=3.0, now=0.0)
    assert sum(bucket.take(1000.0) for _ in range(10)) == 3


def test_trusted_sources_get_the_larger_allowance() -> None:
    limits = OverloadLimits(rate=1.0, burst=2.0, trusted_rate=100.0, trusted_burst=50.0)
    buckets = SourceBuckets(limits)
    assert sum(buckets.allow("10.0.0.9", False, 0.0) for _ in range(100)) == 2
    assert sum(buckets.allow("10.0.0.1", True, 0.0) for _ in range(100)) == 50
    # one second later: one more for the untrusted, 100 more (capped at 50) for the trusted
    assert sum(buckets.allow("10.0.0.9", False, 1.0) for _ in range(100)) == 1
    assert sum(buckets.allow("10.0.0.1", True, 1.0) for _ in range(100)) == 50


def test_table_is_bounded_and_overflow_is_shared() -> None:
    limits = OverloadLimits(rate=1.0, burst=2.0, max_sources=100)
    buckets = SourceBuckets(limits)
    admitted = sum(buckets.allow(f"10.1.{i // 256}.{i % 256}", False, 0.0) for i in range(9999))
    assert len(buckets) == 100
    # one message each from 100 own buckets, then ONE shared overflow bucket of 2 for the rest
    assert admitted == 100 + 2


def test_refilled_buckets_are_swept_to_make_room() -> None:
    limits = OverloadLimits(rate=1.0, burst=2.0, max_sources=10)
    buckets = SourceBuckets(limits)
    for i in range(10):
        buckets.allow(f"h{i}", False, 0.0)
    assert len(buckets) == 10
    # 2 s later every bucket is full again: forgetting them is harmless
    assert buckets.allow("new", False, 2.0)
    assert len(buckets) == 1


def test_trusted_sources_always_get_their_own_bucket() -> None:
    limits = OverloadLimits(rate=1.0, burst=1.0, max_sources=2, trusted_burst=10.0)
    buckets = SourceBuckets(limits)
    for host in ("a", "b", "c"):
        buckets.allow(host, False, 0.0)
    assert sum(buckets.allow("core", True, 0.0) for _ in range(20)) == 10


def test_connection_buckets_can_be_forgotten() -> None:
    buckets = SourceBuckets(OverloadLimits(rate=1.0, burst=1.0))
    assert buckets.allow(("conn", 7), False, 0.0)
    assert not buckets.allow(("conn", 7), False, 0.0)
    buckets.forget(("conn", 7))
    assert buckets.allow(("conn", 7), False, 0.0)


def test_prefilter_passes_a_normal_request() -> None:
    assert prefilter(INVITE, OverloadLimits()) is None
    assert prefilter(INVITE.replace(b"SIP/2.0\r\n", b"sip/2.0\r\n", 1), OverloadLimits()) is None


def test_prefilter_refuses_garbage_and_oversize() -> None:
    limits = OverloadLimits(max_message=1000)
    assert prefilter(b"\x00\x01garbage" * 10, limits) == "not_sip"
    assert prefilter(b"", limits) == "not_sip"
    assert prefilter(b"HELLO world\r\n\r\n", limits) == "not_sip"
    assert prefilter(b"INVITE sip:a@b SIP/7.0\r\n\r\n", limits) is None  # the parser says 505
    assert prefilter(INVITE + b"x" * 1000, limits) == "oversize"


def test_prefilter_counts_vias_on_separate_and_shared_lines() -> None:
    limits = OverloadLimits(max_vias=32)
    via = b"Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa\r\n"
    many = INVITE.replace(b"Via:", via * 40 + b"Via:", 1)
    assert prefilter(many, limits) == "vias"
    combined = b"Via: " + b", ".join([b"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb"] * 40) + b"\r\n"
    assert prefilter(INVITE.replace(b"Via:", combined + b"Via:", 1), limits) == "vias"
    compact = INVITE.replace(b"Via:", b"v: SIP/2.0/TCP h\r\n" * 31 + b"Via:", 1)
    assert prefilter(compact, limits) is None  # 32 Vias: still fine


def test_prefilter_counts_header_lines() -> None:
    limits = OverloadLimits(max_headers=20)
    padded = INVITE.replace(b"Call-ID", b"X-Pad: 1\r\n" * 20 + b"Call-ID", 1)
    assert prefilter(padded, limits) == "headers"


def test_body_lines_do_not_count_as_headers() -> None:
    limits = OverloadLimits(max_headers=20)
    body = b"v=0\r\n" * 100
    message = INVITE.replace(b"Content-Length: 0", b"Content-Length: %d" % len(body)) + body
    assert prefilter(message, limits) is None


def test_too_many_vias() -> None:
    assert too_many_vias(33, OverloadLimits(max_vias=32))
    assert not too_many_vias(32, OverloadLimits(max_vias=32))
    assert not too_many_vias(10_000, OverloadLimits(max_vias=0))


def test_minimal_response_echoes_one_via() -> None:
    vias = b"".join(
        b"Via: SIP/2.0/UDP 192.0.2.%d;branch=z9hG4bK%d\r\n" % (i % 250, i) for i in range(1000)
    )
    request = INVITE.replace(b"Call-ID", vias + b"Call-ID", 1)
    response = minimal_response(request, 400, b"Too Many Via Entries")
    assert response is not None and len(response) < 400
    lines = response.split(b"\r\n")
    assert lines[0] == b"SIP/2.0 400 Too Many Via Entries"
    assert lines[1] == b"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1"
    assert response.count(b"Via:") == 1
    assert b"To: <sip:b@127.0.0.1>;tag=" in response
    assert b"Call-ID: x\r\n" in response and b"CSeq: 1 INVITE\r\n" in response


def test_minimal_response_compact_forms_and_first_via_entry() -> None:
    request = (
        b"OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/UDP h1;branch=z9hG4bKa, SIP/2.0/UDP h2\r\n"
        b"f: <sip:a@h>;tag=1\r\nt: <sip:b@h>;tag=2\r\ni: c\r\nCSeq: 2 OPTIONS\r\n\r\n"
    )
    response = minimal_response(request, 513, b"Message Too Large")
    assert response == (
        b"SIP/2.0 513 Message Too Large\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bKa\r\n"
        b"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n"
    )


def test_no_minimal_response_to_responses_acks_or_incomplete_heads() -> None:
    assert minimal_response(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 400, b"x") is None
    ack = INVITE.replace(b"INVITE sip", b"ACK sip", 1)
    assert minimal_response(ack, 400, b"x") is None
    assert minimal_response(INVITE.replace(b"CSeq", b"X-CSeq"), 400, b"x") is None
    assert minimal_response(b"\x00garbage", 400, b"x") is None
