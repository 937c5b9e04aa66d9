"""OAuth 2.0 client-credentials tokens for the operator APIs (RFC 6749 §4.4), via Authlib.

Authlib's httpx client does the protocol (HTTP Basic client authentication, RFC 6749 §2.3.1;
form-encoded ``grant_type=client_credentials&scope=…``; error responses, §5.2). We only cache:
one token per process, fetched again shortly before ``expires_in`` runs out (by an injectable
clock) or when the API tells us it is no longer valid (:meth:`ClientCredentials.invalidate`).
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from registrations.errors import AuthenticationFailed, OperatorUnreachable

with warnings.catch_warnings():
    # Authlib prefers the httpx2 fork and warns when it falls back to httpx, which we use.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

__all__ = [
    "DEFAULT_SCOPES",
    "ClientCredentials",
    "NoAuth",
    "StaticToken",
    "TokenSource",
    "sandbox_auth",
]

#: SipBreakoutService v1 needs ``call.routing:write`` (method option ``wgtwo.scope``).
DEFAULT_SCOPES: tuple[str, ...] = ("call.routing:write",)


class TokenSource(Protocol):
    """Gives the bearer token for the next call, or ``None`` to send no authorization."""

    async def token(self) -> str | None: ...

    def invalidate(self) -> None: ...

    async def aclose(self) -> None: ...


class NoAuth:
    """For the sandbox: no ``authorization`` metadata at all."""

    async def token(self) -> str | None:
        return None

    def invalidate(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class StaticToken:
    """For a sandbox run with ``[sandbox] tokens`` (``tas sandbox --token``): that bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self) -> str | None:
        return self._token

    def invalidate(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def sandbox_auth(tokens: Sequence[str]) -> TokenSource:
    """What a client of the embedded sandbox sends: the first of its accepted ``tokens``
    (``[sandbox] tokens``), or no authorization when it runs with auth off."""
    return StaticToken(tokens[0]) if tokens else NoAuth()


class ClientCredentials:
    """A cached client-credentials token from ``token_url``.

    The token is reused until ``refresh_margin`` seconds before it expires (at most half its
    lifetime early), then fetched again; concurrent callers share one fetch.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        refresh_margin: float = 60.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        verify: bool | str = True,
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.scopes = tuple(scopes)
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._client = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method="client_secret_basic",
            scope=" ".join(self.scopes),
            timeout=timeout,
            verify=verify,
        )
        self._lock = asyncio.Lock()
        self._access_token: str | None = None
        self._refresh_at = 0.0
        self.fetches = 0  # tokens fetched so far (observability, tests)

    async def token(self) -> str:
        async with self._lock:
            now = self._clock()
            if self._access_token is None or now >= self._refresh_at:
                self._access_token, lifetime = await self._fetch()
                self._refresh_at = now + lifetime - min(self.refresh_margin, lifetime / 2)
            return self._access_token

    def invalidate(self) -> None:
        """Forget the cached token: the API said it is expired or revoked."""
        self._access_token = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _fetch(self) -> tuple[str, float]:
        try:
            token = await self._client.fetch_token(self.token_url, grant_type="client_credentials")
        except OAuthError as exc:
            detail = f"{exc.error}: {exc.description}" if exc.description else str(exc.error)
            raise AuthenticationFailed(
                f"token endpoint {self.token_url} refused client {self.client_id!r}: {detail}"
            ) from exc
        except httpx.HTTPStatusError as exc:
            raise AuthenticationFailed(
                f"token endpoint {self.token_url} answered HTTP {exc.response.status_code}"
            ) from exc
        except httpx.TransportError as exc:
            raise OperatorUnreachable(
                f"token endpoint {self.token_url} unreachable: {exc or type(exc).__name__}"
            ) from exc
        except ValueError as exc:  # not a JSON object
            raise AuthenticationFailed(f"token endpoint {self.token_url}: {exc}") from exc
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthenticationFailed(f"token endpoint {self.token_url} sent no access_token")
        self.fetches += 1
        try:
            lifetime = float(token.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return access_token, max(lifetime, 0.0)
