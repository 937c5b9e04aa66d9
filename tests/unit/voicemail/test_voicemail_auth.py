"""Bearer-token decisions for the voicemail API (wgtwo-api.md §2 scopes)."""

from __future__ import annotations

import grpc
import pytest

from tas.voicemail.auth import DENIED, MISSING_TOKEN, Denial, authorize, parse_tokens

GET = "/wgtwo.voicemail.v0.VoicemailMediaService/GetVoicemail"
DELETE = "/wgtwo.voicemail.v0.VoicemailMediaService/DeleteVoicemail"
TOKENS = parse_tokens(["s3cret", "reader:voicemail.get"])
UNAUTHENTICATED = Denial(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN)
PERMISSION_DENIED = Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED)


@pytest.mark.parametrize(
    "metadata",
    [
        [],
        [("authorization", "")],
        [("authorization", "Basic s3cret")],
        [("authorization", "Bearer ")],
    ],
)
def test_missing_token_is_unauthenticated(metadata: list[tuple[str, str]]) -> None:
    assert authorize(TOKENS, metadata, GET) == UNAUTHENTICATED


def test_wrong_token_is_permission_denied() -> None:
    assert authorize(TOKENS, [("authorization", "Bearer guess")], GET) == PERMISSION_DENIED


def test_right_token_passes_case_insensitive_scheme() -> None:
    assert authorize(TOKENS, [("authorization", "Bearer s3cret")], DELETE) is None
    assert authorize(TOKENS, [("Authorization", "bearer s3cret")], GET) is None


def test_scopes_limit_a_token() -> None:
    assert authorize(TOKENS, [("authorization", "Bearer reader")], GET) is None
    assert authorize(TOKENS, [("authorization", "Bearer reader")], DELETE) == PERMISSION_DENIED


def test_no_tokens_configured_refuses_everything() -> None:
    assert authorize([], [("authorization", "Bearer s3cret")], GET) == PERMISSION_DENIED


@pytest.mark.parametrize(("entry", "reason"), [("", "empty token"), ("t:voicemail.eat", "unknown")])
def test_bad_token_config(entry: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_tokens([entry])
