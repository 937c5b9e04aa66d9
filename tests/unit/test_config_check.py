"""The model-driven pieces of strict settings: key walks, environment names, masking."""

from __future__ import annotations

from pydantic import BaseModel

from tas.config import Settings
from tas.config_check import is_secret, mask, unknown_env, unknown_keys


def test_top_level_environment_only_near_misses_are_refused() -> None:
    env = {"TAS_LOG_LEVLE": "DEBUG", "TAS_HARNESS_TOKEN": "t", "TAS_OTHER_TOOL": "1"}
    assert [str(p) for p in unknown_env(Settings, env)] == [
        "log_levle: unknown setting; did you mean log_level? (TAS_LOG_LEVLE)"
    ]


def test_unknown_keys_walks_nested_models() -> None:
    found = unknown_keys(Settings, {"media": {"ptme": 1}, "voicemail": {"max_secs": 1}}, "f")
    assert [str(p) for p in found] == [
        "media.ptme: unknown setting; did you mean ptime? (f)",
        "voicemail.max_secs: unknown setting; did you mean max_seconds? (f)",
    ]


def test_secrets_and_url_passwords_are_masked() -> None:
    assert is_secret(("operator", "client_secret")) and is_secret(("voicemail", "api_tokens"))
    assert not is_secret(("operator", "token_url")) and not is_secret(("sip", "tls_key"))
    assert mask(("sandbox", "tokens"), ["a", "b"]) == ["***", "***"]
    url = "postgresql+asyncpg://tas:hunter2@db:5432/tas"
    assert mask(("database", "url"), url) == "postgresql+asyncpg://tas:***@db:5432/tas"
    assert mask(("database", "url"), "postgresql+asyncpg://tas@db/tas").endswith("tas@db/tas")


class Rule(BaseModel):
    source: str = ""
    action: str = "drop"


class Limits(BaseModel):
    rules: list[Rule] = []
    named: dict[str, Rule] = {}
    extra: Rule | None = None


def test_walks_lists_tables_and_optional_sections_of_any_model() -> None:
    data = {
        "rules": [{"source": "a"}, {"sorce": "b"}],
        "named": {"x": {"actoin": "drop"}},
        "extra": {"sourc": "c"},
    }
    assert [str(p) for p in unknown_keys(Limits, data)] == [
        "rules.1.sorce: unknown setting; did you mean source?",
        "named.x.actoin: unknown setting; did you mean action?",
        "extra.sourc: unknown setting; did you mean source?",
    ]
