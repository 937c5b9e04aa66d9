"""Server-side Digest with lockout (RFC 3261 §22.4, RFC 7616 §3.3-§3.4), on a virtual clock."""

from __future__ import annotations

from tas.sip.digest import authorization, parse_challenge
from tas.sip.digest_server import DigestAuthenticator

URI = "sip:+4799990001@tas.example"


def auth(**kwargs: object) -> DigestAuthenticator:
    options: dict[str, object] = {"max_failures": 3, "window": 60.0, "lockout": 300.0}
    options.update(kwargs)
    return DigestAuthenticator("tas", {"alice": "s3cret"}, **options)  # type: ignore[arg-type]


def answer(server: DigestAuthenticator, now: float, password: str = "s3cret", user: str = "alice"):
    challenge = parse_challenge(server.challenge(now))
    return authorization(
        challenge, method="INVITE", uri=URI, username=user, password=password, cnonce="c1"
    )


def test_right_credentials_pass_for_both_algorithms() -> None:
    for algorithm in ("SHA-256", "MD5"):
        server = auth(algorithm=algorithm)
        verdict = server.verify("INVITE", URI, answer(server, 10.0), "192.0.2.5", 11.0)
        assert verdict.ok and verdict.username == "alice" and not verdict.locked


def test_wrong_password_uri_method_or_forged_nonce_fail() -> None:
    server = auth(max_failures=100)
    assert not server.verify("INVITE", URI, answer(server, 0.0, "guess"), "h", 1.0).ok
    good = answer(server, 0.0)
    assert not server.verify("INVITE", URI + "x", good, "h", 1.0).ok  # uri must match (§22.4)
    assert not server.verify("BYE", URI, good, "h", 1.0).ok
    forged = good.replace('nonce="', 'nonce="0', 1)
    assert not server.verify("INVITE", URI, forged, "h", 1.0).ok
    other = auth()  # another process's secret: its nonces are not ours
    assert not other.verify("INVITE", URI, good, "h", 1.0).ok
    assert not server.verify("INVITE", URI, None, "h", 1.0).ok


def test_old_nonce_is_stale_not_a_failure() -> None:
    server = auth(nonce_lifetime=30.0, max_failures=1)
    verdict = server.verify("INVITE", URI, answer(server, 0.0), "h", 31.0)
    assert verdict.stale and not verdict.ok and not verdict.locked
    assert "stale=true" in server.challenge(31.0, stale=True)
    assert server.verify("INVITE", URI, answer(server, 31.0), "h", 32.0).ok  # not locked


def test_repeated_failures_lock_the_user_even_for_the_right_password() -> None:
    server = auth()
    for i in range(3):  # from three different hosts: the username is what locks
        assert not server.verify("INVITE", URI, answer(server, i, "guess"), f"10.0.0.{i}", i).ok
    assert server.lockouts == 1
    locked = server.verify("INVITE", URI, answer(server, 5.0), "10.0.0.9", 5.0)
    assert locked.locked and not locked.ok
    assert server.verify("INVITE", URI, answer(server, 400.0), "10.0.0.9", 400.0).ok


def test_a_guessing_source_is_locked_across_usernames() -> None:
    server = auth()
    for i, user in enumerate(("bob", "carol", "dave")):  # unknown users: the source counts
        assert not server.verify("INVITE", URI, answer(server, i, "x", user), "198.51.100.7", i).ok
    assert server.verify("INVITE", URI, answer(server, 5.0), "198.51.100.7", 5.0).locked
    assert server.verify("INVITE", URI, answer(server, 5.0), "192.0.2.1", 5.0).ok  # others fine


def test_failures_outside_the_window_do_not_add_up() -> None:
    server = auth()
    for t in (0.0, 100.0, 200.0, 300.0):  # one guess per 100 s, window 60 s
        assert not server.verify("INVITE", URI, answer(server, t, "guess"), "h", t).locked
    assert server.lockouts == 0
