"""Digest authentication of our own UAs, server side (RFC 3261 §22.1, §22.4; RFC 7616 §3.3,
§3.4), with a lockout after repeated failures (issue #10, "trust boundary").

:class:`DigestAuthenticator` is pure: every call takes ``now``. Nonces are stateless (a time
stamp and an HMAC of it under a per-process secret, RFC 7616 §3.3 "nonce" suggestion), so a
flood of challenges costs no memory; a nonce older than ``nonce_lifetime`` is answered as
stale (RFC 7616 §3.3 ``stale=true``: the UA retries without asking its user). Failures are
counted per username and per source host within ``window`` seconds; ``max_failures`` of them
lock that username / source for ``lockout`` seconds, during which even the right password is
refused (the TU answers as for any failure). Both tables are bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from tas.sip.digest import _h, _parse_auth_params
from tas.sip.grammar import quote

__all__ = ["DigestAuthenticator", "Verdict"]

log = logging.getLogger(__name__)

_TABLE_LIMIT = 65536


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one ``Authorization`` header."""

    username: str | None = None  # set when the credentials are right
    stale: bool = False  # right password, expired nonce: challenge again with stale=true
    locked: bool = False  # the username or the source is locked out

    @property
    def ok(self) -> bool:
        return self.username is not None


@dataclass(slots=True)
class _Failures:
    count: int
    since: float
    locked_until: float = 0.0


class DigestAuthenticator:
    """Challenges and verifies Digest credentials for a fixed set of users."""

    def __init__(
        self,
        realm: str,
        passwords: Mapping[str, str],
        *,
        algorithm: str = "SHA-256",
        secret: bytes | None = None,
        nonce_lifetime: float = 300.0,
        max_failures: int = 5,
        window: float = 300.0,
        lockout: float = 900.0,
    ) -> None:
        self.realm = realm
        self.algorithm = algorithm.upper()
        self._ha1 = {
            user: _h(self.algorithm, f"{user}:{realm}:{password}")
            for user, password in passwords.items()
        }
        self._secret = secret or secrets.token_bytes(32)
        self.nonce_lifetime = nonce_lifetime
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._failures: dict[str, _Failures] = {}
        self.lockouts = 0

    # -- challenges -------------------------------------------------------------------------

    def challenge(self, now: float, *, stale: bool = False) -> str:
        """A ``WWW-Authenticate`` (401) / ``Proxy-Authenticate`` (407) value (RFC 7616 §3.3)."""
        value = (
            f"Digest realm={quote(self.realm)}, nonce={quote(self._nonce(now))}, "
            f'algorithm={self.algorithm}, qop="auth"'
        )
        return value + (", stale=true" if stale else "")

    def _nonce(self, now: float) -> str:
        stamp = f"{int(now * 1000):x}"
        return f"{stamp}.{self._mac(stamp)}"

    def _mac(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]

    def _nonce_age(self, nonce: str, now: float) -> float | None:
        """Seconds since we issued ``nonce``; None when it is not one of ours."""
        stamp, _, mac = nonce.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(stamp)):
            return None
        try:
            return now - int(stamp, 16) / 1000
        except ValueError:
            return None

    # -- verification -----------------------------------------------------------------------

    def verify(
        self, method: str, request_uri: str, header: str | None, source: str, now: float
    ) -> Verdict:
        """Check an ``Authorization``/``Proxy-Authorization`` value of a request ``method
        request_uri`` from ``source`` (a host). No header: a plain failure-free refusal."""
        if not header or not header.lstrip().lower().startswith("digest "):
            return Verdict(locked=self._locked(source, now))
        params = {k.lower(): v or "" for k, v in _parse_auth_params(header.strip()[7:]).items()}
        user = params.get("username", "")
        if self._locked(source, now) or self._locked("user:" + user, now):
            return Verdict(locked=True)
        if self._matches(method, request_uri, params, user):
            age = self._nonce_age(params.get("nonce", ""), now)
            if age is not None and 0 <= age <= self.nonce_lifetime:
                return Verdict(username=user)
            if age is not None:
                return Verdict(stale=True)  # the right password on an old nonce: no failure
        self._fail(source, now)
        if user in self._ha1:
            self._fail("user:" + user, now)
        return Verdict()

    def _matches(self, method: str, request_uri: str, params: dict[str, str], user: str) -> bool:
        """RFC 7616 §3.4.1 / RFC 2617 §3.2.2.1: the response digest of a known user."""
        ha1 = self._ha1.get(user)
        algorithm = params.get("algorithm", "MD5").upper()
        if algorithm != self.algorithm or params.get("realm") != self.realm:
            return False
        if params.get("uri") != request_uri or params.get("qop", "auth") != "auth":
            return False
        # an unknown user costs the same hashing as a known one (no username oracle by timing)
        ha1 = ha1 or _h(self.algorithm, f"{user}:{self.realm}:{secrets.token_hex(8)}")
        ha2 = _h(algorithm, f"{method}:{request_uri}")
        nonce = params.get("nonce", "")
        if "qop" in params:
            text = f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}"
        else:
            text = f"{ha1}:{nonce}:{ha2}"
        expected = _h(algorithm, text)
        return hmac.compare_digest(expected, params.get("response", "")) and user in self._ha1

    # -- lockout ----------------------------------------------------------------------------

    def _locked(self, key: str, now: float) -> bool:
        entry = self._failures.get(key)
        return entry is not None and entry.locked_until > now

    def _fail(self, key: str, now: float) -> None:
        entry = self._failures.get(key)
        if entry is None or now - entry.since > self.window:
            if len(self._failures) >= _TABLE_LIMIT:
                self._prune(now)
            entry = self._failures[key] = _Failures(0, now)
        entry.count += 1
        if entry.count >= self.max_failures and entry.locked_until <= now:
            entry.locked_until = now + self.lockout
            self.lockouts += 1
            log.warning(
                "event=auth_lockout key=%s failures=%d lockout_s=%.0f",
                key,
                entry.count,
                self.lockout,
            )

    def _prune(self, now: float) -> None:
        for key in [
            k
            for k, e in self._failures.items()
            if e.locked_until <= now and now - e.since > self.window
        ]:
            del self._failures[key]
        if len(self._failures) >= _TABLE_LIMIT:  # still full: forget the oldest half
            for key in sorted(self._failures, key=lambda k: self._failures[k].since)[
                : _TABLE_LIMIT // 2
            ]:
                del self._failures[key]
