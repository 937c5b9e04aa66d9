"""Client-credentials tokens against a real token endpoint on loopback."""

from __future__ import annotations

import base64

import pytest

from registrations.errors import AuthenticationFailed, OperatorUnreachable
from registrations.oauth import ClientCredentials

from .conftest import CLIENT_ID, CLIENT_SECRET, TokenEndpoint


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _source(
    endpoint: TokenEndpoint, clock: Clock, secret: str = CLIENT_SECRET
) -> ClientCredentials:
    return ClientCredentials(
        CLIENT_ID,
        secret,
        token_url=endpoint.url,
        scopes=["call.routing:write", "events.voice.subscribe"],
        refresh_margin=60,
        clock=clock,
    )


async def test_basic_auth_form_body_and_scopes(token_endpoint: TokenEndpoint) -> None:
    source = _source(token_endpoint, Clock())
    assert await source.token() == "tok-1"
    await source.aclose()
    (request,) = token_endpoint.requests
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request["authorization"] == f"Basic {basic}"
    assert str(request["content_type"]).startswith("application/x-www-form-urlencoded")
    assert request["form"] == {
        "grant_type": "client_credentials",
        "scope": "call.routing:write events.voice.subscribe",
    }
    assert request["path"] == "/oauth2/token"


async def test_token_is_cached_then_refreshed_before_expiry(token_endpoint: TokenEndpoint) -> None:
    clock = Clock()
    source = _source(token_endpoint, clock)
    assert await source.token() == "tok-1"
    clock.now += 3600 - 61  # still more than the 60 s margin left
    assert await source.token() == "tok-1"
    clock.now += 1  # inside the margin: fetched again before it expires
    assert await source.token() == "tok-2"
    assert source.fetches == 2
    await source.aclose()


async def test_short_lived_token_refreshed_at_half_life(token_endpoint: TokenEndpoint) -> None:
    token_endpoint.expires_in = 10
    clock = Clock()
    source = _source(token_endpoint, clock)
    assert await source.token() == "tok-1"
    clock.now += 4.9
    assert await source.token() == "tok-1"
    clock.now += 0.1
    assert await source.token() == "tok-2"
    await source.aclose()


async def test_invalidate_forces_a_new_token(token_endpoint: TokenEndpoint) -> None:
    source = _source(token_endpoint, Clock())
    assert await source.token() == "tok-1"
    source.invalidate()
    assert await source.token() == "tok-2"
    await source.aclose()


async def test_wrong_secret_is_a_one_line_authentication_error(
    token_endpoint: TokenEndpoint,
) -> None:
    source = _source(token_endpoint, Clock(), secret="wrong")
    with pytest.raises(AuthenticationFailed) as err:
        await source.token()
    assert str(err.value) == (
        f"token endpoint {token_endpoint.url} refused client 'tas-client': "
        "invalid_client: bad client"
    )
    await source.aclose()


async def test_unreachable_token_endpoint() -> None:
    source = ClientCredentials(
        CLIENT_ID, CLIENT_SECRET, token_url="http://127.0.0.1:1/oauth2/token", timeout=2
    )
    with pytest.raises(
        OperatorUnreachable, match=r"token endpoint http://127.0.0.1:1/oauth2/token unreachable"
    ):
        await source.token()
    await source.aclose()
