"""Digest authentication (RFC 2617 §3.5 example, RFC 7616 SHA-256) and the UAC retry."""

from __future__ import annotations

import pytest

from tas.sip.digest import authorization, parse_challenge
from tas.sip.errors import RemoteProtocolError
from tas.sip.events import CallFailed, RequestCompleted
from tas.sip.message import Request
from tas.sip.parser import parse_message
from tas.sip.transaction_base import Peer
from tests.unit.sip.ua_net import ALICE, BOB, Net

RFC2617 = (
    'Digest realm="testrealm@host.com", qop="auth,auth-int", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)


def test_rfc2617_example_response() -> None:
    challenge = parse_challenge(RFC2617)
    assert challenge.qop == ("auth", "auth-int") and challenge.algorithm == "MD5"
    value = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "nc=00000001" in value and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value


def test_rfc7616_sha256_example() -> None:
    challenge = parse_challenge(
        'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    value = authorization(
        challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle of Life",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in value


def test_no_qop_and_bad_challenges() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n"')
    value = authorization(
        challenge, method="INVITE", uri="sip:b@h", username="u", password="p", cnonce="c"
    )
    assert "qop" not in value and "cnonce" not in value
    for bad in (
        'Basic realm="r"',
        'Digest realm="r"',
        'Digest realm="r", nonce="n", algorithm=XYZ',
    ):
        with pytest.raises(RemoteProtocolError):
            parse_challenge(bad)


def challenge_once(net: Net, status: int) -> list[Request]:
    """Answer the first request reaching Bob with a challenge, record every request."""
    bob = net.endpoints[BOB]
    seen: list[Request] = []
    original = bob.receive

    def receive(data: bytes, source: Peer, now: float) -> None:
        message = parse_message(data)
        if isinstance(message, Request) and message.method != "ACK":
            seen.append(message)
            if len(seen) == 1:
                header = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
                reply = message.create_response(status, to_tag="ch")
                reply.headers.add(header, 'Digest realm="tas", nonce="abc", qop="auth"')
                bob.layer.send_stateless(bytes(reply), source)
                return
        original(data, source, now)

    bob.receive = receive  # type: ignore[method-assign]
    return seen


def test_invite_answers_407_with_proxy_authorization() -> None:
    net = Net()
    alice, _ = net.add(ALICE), net.add(BOB)
    seen = challenge_once(net, 407)
    alice.invite("sip:bob@127.0.0.1:5060", 0.0, body=b"v=0\r\n", credentials=("alice", "pw"))
    net.pump()
    assert [r.cseq.seq for r in seen] == [1, 2]
    auth = seen[1].headers.get("Proxy-Authorization") or ""
    assert auth.startswith('Digest username="alice", realm="tas", nonce="abc"')
    assert seen[1].top_via.branch != seen[0].top_via.branch
    assert net.sent(b"ACK", ALICE)  # the 407 was ACKed by the transaction


def test_options_answers_401_once_then_gives_up() -> None:
    net = Net()
    alice, _ = net.add(ALICE), net.add(BOB)
    seen = challenge_once(net, 401)
    handle = alice.request("OPTIONS", 0.0, uri="sip:127.0.0.1:5060", credentials=("a", "b"))
    net.pump()
    assert "Authorization" in seen[1].headers
    done = [e for e in net.take(ALICE) if isinstance(e, RequestCompleted)]
    assert done[0].handle is handle and done[0].response.status == 200


def test_challenge_without_credentials_fails_the_call() -> None:
    net = Net()
    alice, _ = net.add(ALICE), net.add(BOB)
    challenge_once(net, 401)
    alice.invite("sip:bob@127.0.0.1:5060", 0.0)
    net.pump()
    failed = net.take(ALICE)
    assert isinstance(failed[0], CallFailed) and failed[0].response.status == 401
