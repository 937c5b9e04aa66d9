"""The ``[admin]`` section: the admin HTTP API of ``tas serve`` (:mod:`tas.admin`).

The API shares one HTTP server with ``/metrics``, ``/healthz`` and ``/readyz``: it listens on
``listen``, or on ``[metrics] listen`` when ``listen`` is empty. Tokens carry a role:
``admin`` (everything) or ``subscriber`` (only the listed ``numbers``). Only SHA-256 digests
are kept in memory (:mod:`tas.admin.auth`); ``token_sha256`` keeps the secret out of the file.
Bearer tokens in plaintext HTTP beyond loopback are refused unless ``allow_plaintext``.

``ladder_messages`` > 0 records, per call leg, up to that many SIP messages as sent and
received (:mod:`tas.transport.capture`) so the console's ladder draws the real arrows; off (0)
by default, as it costs a summary per message on the hot path. ``ladder_calls`` bounds how
many legs are tracked at once (memory: about ``ladder_calls`` × ``ladder_messages`` × 1 KB)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from registrations.model import is_e164


class AdminToken(BaseModel):
    """One ``[[admin.tokens]]`` entry."""

    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = None
    token_sha256: str | None = None  # hex digest of the token
    role: Literal["admin", "subscriber"] = "admin"
    numbers: list[str] = Field(default_factory=list)  # E.164; required for "subscriber"

    @model_validator(mode="after")
    def _check(self) -> AdminToken:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("give exactly one of token, token_sha256")
        if self.token is not None and not self.token.get_secret_value():
            raise ValueError("empty token")
        if self.token_sha256 is not None:
            try:
                ok = len(bytes.fromhex(self.token_sha256)) == 32
            except ValueError:
                ok = False
            if not ok:
                raise ValueError("token_sha256 must be 64 hex digits")
        if self.role == "subscriber" and not self.numbers:
            raise ValueError('role = "subscriber" needs numbers = ["+…"]')
        for number in self.numbers:
            if not is_e164(number):
                raise ValueError(f"{number!r} is not an E.164 number")
        return self


class AdminSettings(BaseModel):
    """``[admin]``: listen address (empty: the ``[metrics]`` one), tokens, TLS."""

    model_config = ConfigDict(extra="forbid")

    listen: str = ""  # host:port; "" -> [metrics] listen
    tokens: list[AdminToken] = Field(default_factory=list)
    tls_cert: Path | None = None  # PEM chain: HTTPS
    tls_key: Path | None = None
    allow_plaintext: bool = False  # plaintext HTTP with tokens on a non-loopback address
    ladder_messages: int = Field(default=0, ge=0, le=1000)  # SIP messages kept per leg; 0: off
    ladder_calls: int = Field(default=1000, ge=1, le=100_000)  # legs tracked at once

    @model_validator(mode="after")
    def _check(self) -> AdminSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("set both tls_cert and tls_key, or neither")
        return self

    def address(self, metrics_listen: str) -> str:
        """The one HTTP server's ``host:port``."""
        return self.listen or metrics_listen

    def exposure_problem(self, metrics_listen: str) -> str | None:
        """Why serving would carry bearer tokens in the clear beyond loopback, or None."""
        from tas.config_voicemail import is_loopback_address

        address = self.address(metrics_listen)
        if not self.tokens or self.tls_cert or self.allow_plaintext:
            return None
        if is_loopback_address(address):
            return None
        return (
            f"admin API on {address} is not loopback: set [admin] tls_cert/tls_key, or "
            "allow_plaintext = true to send bearer tokens in the clear"
        )
