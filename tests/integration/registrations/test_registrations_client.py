"""SipBreakoutClient over real gRPC on loopback: plaintext, TLS, OAuth, retries, rejections."""

from __future__ import annotations

import grpc
import pytest

from registrations.client import RetryPolicy, SipBreakoutClient, Target
from registrations.errors import (
    AuthenticationFailed,
    OperatorNotFound,
    OperatorRejected,
    OperatorUnreachable,
)
from registrations.model import Registration, Route
from registrations.oauth import ClientCredentials
from registrations.validation import NOT_SIPS
from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2

from .conftest import CLIENT_ID, CLIENT_SECRET, RunningBreakout, TokenEndpoint

REG = Registration("+4799990000", Route.LOOP, "sips:tas.example.com:5061", "11", "22")


class Sleeps:
    """Records backoff pauses instead of sleeping."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def _client(server: RunningBreakout, **kwargs: object) -> SipBreakoutClient:
    target = Target(server.address, tls=False, authenticated=False)
    return SipBreakoutClient(target, **kwargs)  # type: ignore[arg-type]


async def test_upsert_sends_the_registration_and_returns_ttl(breakout: RunningBreakout) -> None:
    breakout.servicer.ttl = 1800
    async with _client(breakout) as client:
        assert await client.upsert(REG) == 1800.0
    ((name, sent, auth),) = breakout.servicer.calls
    assert (name, auth) == ("upsert", None)  # no authorization against the sandbox
    assert sent.phone_number.e164 == "+4799990000"
    assert sent.sip_uri == "sips:tas.example.com:5061"
    assert sent.route_type == sipbreakout_pb2.ROUTE_TYPE_LOOP
    assert (sent.mobile_originating_prefix, sent.mobile_terminating_prefix) == ("11", "22")


async def test_missing_or_zero_ttl_means_the_documented_hour(breakout: RunningBreakout) -> None:
    breakout.servicer.ttl = 0
    async with _client(breakout) as client:
        assert await client.upsert(REG) == 3600.0


async def test_delete_after_upsert(breakout: RunningBreakout) -> None:
    async with _client(breakout) as client:
        await client.upsert(REG)
        await client.delete(REG)
        with pytest.raises(OperatorRejected, match="^no such registration$"):
            await client.delete(REG)
    assert breakout.servicer.registered == {}


async def test_not_acceptable_surfaces_error_message(breakout: RunningBreakout) -> None:
    bad = Registration("+4799990000", Route.FORK, "sip:tas.example.com")  # bypasses validation
    async with _client(breakout) as client:
        with pytest.raises(OperatorRejected) as err:
            await client.upsert(bad)
    assert str(err.value) == NOT_SIPS
    assert err.value.exit_code == 1


async def test_not_found_is_its_own_error_with_the_detail(breakout: RunningBreakout) -> None:
    breakout.servicer.fail_next = [grpc.StatusCode.NOT_FOUND]
    async with _client(breakout) as client:
        with pytest.raises(OperatorNotFound, match="^injected NOT_FOUND$") as caught:
            await client.delete(REG)
    assert isinstance(caught.value, OperatorRejected) and caught.value.kind == "not_found"
    assert len(breakout.servicer.calls) == 1  # not retried


async def test_unavailable_is_retried_with_jittered_backoff(breakout: RunningBreakout) -> None:
    breakout.servicer.fail_next = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED]
    sleeps = Sleeps()
    retry = RetryPolicy(attempts=4, initial=0.2, multiplier=2.0, cap=5.0)
    async with _client(breakout, retry=retry, sleep=sleeps, rand=lambda: 0.5) as client:
        assert await client.upsert(REG) == 3600.0
    assert sleeps.pauses == [0.1, 0.2]  # rand * 0.2 * 2**n
    assert len(breakout.servicer.calls) == 3


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INTERNAL],
)
async def test_other_statuses_are_not_retried(
    breakout: RunningBreakout, code: grpc.StatusCode
) -> None:
    breakout.servicer.fail_next = [code]
    sleeps = Sleeps()
    async with _client(breakout, sleep=sleeps) as client:
        with pytest.raises(OperatorRejected, match=f"^{code.name}: injected {code.name}$"):
            await client.upsert(REG)
    assert sleeps.pauses == []
    assert len(breakout.servicer.calls) == 1


async def test_retries_exhausted_is_unreachable(breakout: RunningBreakout) -> None:
    breakout.servicer.fail_next = [grpc.StatusCode.UNAVAILABLE] * 3
    sleeps = Sleeps()
    async with _client(breakout, retry=RetryPolicy(attempts=3), sleep=sleeps) as client:
        with pytest.raises(OperatorUnreachable) as err:
            await client.upsert(REG)
    assert str(err.value) == (
        f"operator unreachable at {breakout.address} after 3 attempt(s): "
        "UNAVAILABLE: injected UNAVAILABLE"
    )
    assert len(sleeps.pauses) == 2
    assert err.value.exit_code == 3


async def test_nothing_listening_is_unreachable() -> None:
    target = Target("127.0.0.1:1", tls=False, authenticated=False)
    async with SipBreakoutClient(
        target, deadline=2, retry=RetryPolicy(attempts=2), sleep=Sleeps()
    ) as client:
        with pytest.raises(
            OperatorUnreachable,
            match=r"^operator unreachable at 127.0.0.1:1 after 2 attempt\(s\): UNAVAILABLE",
        ):
            await client.upsert(REG)


async def test_tls_with_bearer_token(
    tls_breakout: RunningBreakout, token_endpoint: TokenEndpoint
) -> None:
    tls_breakout.servicer.valid_tokens = {"tok-1"}
    target = Target(
        tls_breakout.address,
        tls=True,
        authenticated=True,
        root_certificates=tls_breakout.certificate,
    )
    tokens = ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url=token_endpoint.url)
    async with SipBreakoutClient(target, tokens) as client:
        assert await client.upsert(REG) == 3600.0
        await client.upsert(REG)
    assert [auth for _, _, auth in tls_breakout.servicer.calls] == ["Bearer tok-1"] * 2
    assert token_endpoint.issued == ["tok-1"]  # cached


async def test_tls_with_untrusted_certificate_is_unreachable(tls_breakout: RunningBreakout) -> None:
    target = Target(tls_breakout.address, tls=True, authenticated=False)  # system roots only
    async with SipBreakoutClient(target, deadline=2, retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(OperatorUnreachable):
            await client.upsert(REG)
    assert tls_breakout.servicer.calls == []


async def test_expired_token_is_refreshed_once(
    breakout: RunningBreakout, token_endpoint: TokenEndpoint
) -> None:
    tokens = ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url=token_endpoint.url)
    breakout.servicer.valid_tokens = {"tok-1"}
    target = Target(breakout.address, tls=False, authenticated=True)
    async with SipBreakoutClient(target, tokens) as client:
        await client.upsert(REG)
        breakout.servicer.valid_tokens = {"tok-2"}  # the operator revoked tok-1
        await client.upsert(REG)
        breakout.servicer.valid_tokens = set()  # nothing we can get is accepted
        with pytest.raises(
            AuthenticationFailed,
            match="^operator refused our credentials: token expired or invalid$",
        ):
            await client.upsert(REG)
    auths = [auth for _, _, auth in breakout.servicer.calls]
    assert auths == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2", "Bearer tok-3"]
