"""Bearer-token decisions of the voicemail API: operator scopes (wgtwo-api.md §2), operations
and mailboxes per token, hashed secrets."""

from __future__ import annotations

import hashlib

import grpc
import pytest

from tas.config import ApiToken, VoicemailSettings
from tas.voicemail.tokens import (
    ALL_SCOPES,
    DENIED,
    MISSING_TOKEN,
    Denial,
    Principal,
    authenticate,
    parse_tokens,
)

SERVICE = "/wgtwo.voicemail.v0.VoicemailMediaService/"
GET = SERVICE + "GetVoicemail"
DELETE = SERVICE + "DeleteVoicemail"
MARK = SERVICE + "MarkVoicemailAsRead"
BOX = "+4799990001"
TOKENS = parse_tokens(
    [
        "s3cret",
        "reader:voicemail.get",
        ApiToken.model_validate(
            {"token": "box1", "mailboxes": [BOX], "operations": ["read", "delete"]}
        ),
        ApiToken(token_sha256=hashlib.sha256(b"hashed").hexdigest(), operations=["update"]),
    ]
)
UNAUTHENTICATED = Denial(grpc.StatusCode.UNAUTHENTICATED, MISSING_TOKEN, failed_auth=True)
UNKNOWN = Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED, failed_auth=True)
OUT_OF_SCOPE = Denial(grpc.StatusCode.PERMISSION_DENIED, DENIED)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


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
    assert authenticate(TOKENS, metadata, GET) == UNAUTHENTICATED


def test_wrong_token_is_a_failed_authentication_worded_like_a_scope_refusal() -> None:
    assert authenticate(TOKENS, bearer("guess"), GET) == UNKNOWN
    assert UNKNOWN.details == OUT_OF_SCOPE.details and UNKNOWN.code == OUT_OF_SCOPE.code


def test_plain_string_is_full_access_case_insensitive_scheme() -> None:
    full = authenticate(TOKENS, bearer("s3cret"), DELETE)
    assert isinstance(full, Principal) and full.scopes == ALL_SCOPES and full.mailboxes is None
    assert isinstance(authenticate(TOKENS, [("Authorization", "bearer s3cret")], GET), Principal)


def test_scopes_limit_a_token() -> None:
    assert isinstance(authenticate(TOKENS, bearer("reader"), GET), Principal)
    assert authenticate(TOKENS, bearer("reader"), DELETE) == OUT_OF_SCOPE


def test_table_entry_limits_operations_and_mailboxes() -> None:
    principal = authenticate(TOKENS, bearer("box1"), DELETE)
    assert isinstance(principal, Principal)
    assert principal.may_access(BOX) and not principal.may_access("+4799990002")
    assert authenticate(TOKENS, bearer("box1"), MARK) == OUT_OF_SCOPE
    assert principal.label == "api_tokens[2]"


def test_hashed_token_matches_only_its_secret() -> None:
    principal = authenticate(TOKENS, bearer("hashed"), MARK)
    assert isinstance(principal, Principal) and principal.scopes == {"voicemail.update"}
    assert authenticate(TOKENS, bearer(hashlib.sha256(b"hashed").hexdigest()), MARK) == UNKNOWN


def test_only_digests_are_kept() -> None:
    assert all(len(p.digest) == 32 for p in TOKENS)
    assert not any(b"s3cret" in p.digest for p in TOKENS)


def test_no_tokens_configured_refuses_everything() -> None:
    assert authenticate([], bearer("s3cret"), GET) == UNKNOWN


def test_settings_accept_strings_and_tables() -> None:
    vm = VoicemailSettings(
        api_tokens=["plain", {"token": "t", "mailboxes": [BOX], "operations": ["read"]}]
    )
    assert [p.mailboxes for p in parse_tokens(vm.api_tokens)] == [None, frozenset({BOX})]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("", "empty token"),
        ("t:voicemail.eat", "unknown operation"),
        (ApiToken(token="t", operations=["eat"]), "unknown operation"),
        (ApiToken(token="t", operations=[]), "operations is empty"),
        (ApiToken(token="t", mailboxes=[]), "mailboxes is empty"),
        (ApiToken(token="t", mailboxes=["4799"]), "E.164"),
        (ApiToken(token_sha256="abc"), "64 hex digits"),
    ],
)
def test_bad_token_config(entry: str | ApiToken, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_tokens([entry])


def test_table_needs_exactly_one_secret() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ApiToken(mailboxes=[BOX])
    with pytest.raises(ValueError, match="exactly one"):
        ApiToken(token="a", token_sha256="b" * 64)
