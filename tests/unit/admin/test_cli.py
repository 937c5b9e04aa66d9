"""``tas calls live`` / ``hangup`` (tas.admin.cli): where they go and with which token."""

from __future__ import annotations

from click.testing import CliRunner

from tas.admin.cli import base_url, default_token
from tas.config import Settings
from tas.config_admin import AdminToken
from tas.events.cli import calls


def test_url_and_token_come_from_the_settings() -> None:
    settings = Settings(data_dir="/nonexistent")
    assert base_url(settings, None) == "http://127.0.0.1:9100"  # [metrics] listen
    settings.admin.listen = "127.0.0.1:9300"
    assert base_url(settings, "http://h:1/") == "http://h:1"
    assert base_url(settings, None) == "http://127.0.0.1:9300"
    assert default_token(settings) is None
    settings.admin.tokens = [
        AdminToken(token="sub", role="subscriber", numbers=["+4799990001"]),
        AdminToken(token="boss"),
    ]
    assert default_token(settings) == "boss"


def test_unreachable_server_is_one_line_and_exit_3() -> None:
    result = CliRunner().invoke(calls, ["hangup", "x@y", "--url", "http://127.0.0.1:25998"])
    assert result.exit_code == 3
    assert result.output.startswith("tas: admin API at http://127.0.0.1:25998 is not reachable")
