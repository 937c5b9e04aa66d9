"""``[admin]`` settings (tas.config_admin): token entries, roles, the plaintext guard."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from tas.config_admin import AdminSettings, AdminToken


def test_token_entries_are_checked() -> None:
    AdminToken(token="x")
    AdminToken(
        token_sha256=hashlib.sha256(b"x").hexdigest(), role="subscriber", numbers=["+4799990001"]
    )
    for bad, why in (
        ({}, "exactly one of token, token_sha256"),
        ({"token": "x", "token_sha256": "00" * 32}, "exactly one"),
        ({"token": ""}, "empty token"),
        ({"token_sha256": "abc"}, "64 hex digits"),
        ({"token": "x", "role": "subscriber"}, "needs numbers"),
        ({"token": "x", "role": "subscriber", "numbers": ["4799"]}, "not an E.164"),
        ({"token": "x", "role": "root"}, "role"),
    ):
        with pytest.raises(ValidationError, match=why):
            AdminToken.model_validate(bad)


def test_plaintext_tokens_beyond_loopback_are_refused() -> None:
    tokens = [AdminToken(token="x")]
    assert AdminSettings(tokens=tokens).exposure_problem("127.0.0.1:9100") is None
    problem = AdminSettings(tokens=tokens).exposure_problem("0.0.0.0:9100")
    assert problem is not None and "0.0.0.0:9100 is not loopback" in problem
    assert (
        AdminSettings(listen="127.0.0.1:9300", tokens=tokens).exposure_problem("0.0.0.0:1") is None
    )
    assert AdminSettings(tokens=tokens, allow_plaintext=True).exposure_problem("0.0.0.0:1") is None
    assert AdminSettings().exposure_problem("0.0.0.0:9100") is None  # no tokens: nothing leaks
    with pytest.raises(ValidationError, match="both tls_cert and tls_key"):
        AdminSettings(tls_cert="cert.pem")  # type: ignore[arg-type]
