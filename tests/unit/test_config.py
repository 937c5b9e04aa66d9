"""Strict settings: unknown keys with a suggestion, bad values and bad files as one line each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from tas.config import ConfigError, Settings, load_settings

DEPLOY_TOML = Path(__file__).resolve().parents[2] / "deploy" / "tas.toml"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("TAS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path / "data"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tas.toml"
    path.write_text(text)
    return path


def problems(config: Path | None = None) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    return info.value.lines


def test_unknown_key_in_file_names_its_path_and_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, '[sip]\nudpp = ["0.0.0.0:5060"]\n')
    assert problems(path) == (f"sip.udpp: unknown setting; did you mean udp? ({path})",)


def test_unknown_top_level_key_and_section(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_levle = "DEBUG"\n[nosuchsection]\nx = 1\n')
    lines = problems(path)
    assert lines[0] == f"log_levle: unknown setting; did you mean log_level? ({path})"
    assert lines[1] == f"nosuchsection: unknown setting ({path})"
    assert len(lines) == 2  # pydantic's own extra_forbidden is not repeated


def test_unknown_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAS_SIP__UDPP", "x")
    assert problems() == ("sip.udpp: unknown setting; did you mean udp? (TAS_SIP__UDPP)",)


def test_type_error_names_the_dotted_path_input_and_source(tmp_path: Path) -> None:
    path = write(tmp_path, '[media]\nport_min = "abc"\n')
    (line,) = problems(path)
    assert line.startswith("media.port_min: Input should be a valid integer")
    assert line.endswith(f"(got 'abc') ({path})")


def test_type_error_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAS_MEDIA__PORT_MAX", "zz")
    (line,) = problems()
    assert line.startswith("media.port_max: Input should be a valid integer")
    assert line.endswith("(got 'zz') (TAS_MEDIA__PORT_MAX)")


def test_list_from_the_environment_that_is_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAS_SIP__TCP", "0.0.0.0:5060")
    (line,) = problems()
    assert line.startswith("sip.tcp: not valid JSON (got '0.0.0.0:5060')")
    assert line.endswith("(TAS_SIP__TCP)")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, '[sip]\nudpp = 1\nt1 = "fast"\n[media]\nport_min = "abc"\n')
    lines = problems(path)
    assert [line.split(":")[0] for line in lines] == ["sip.udpp", "sip.t1", "media.port_min"]


def test_secret_values_are_masked_in_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "[operator]\nclient_secret = 8675309421\n")
    (line,) = problems(path)
    assert line.startswith("operator.client_secret: Input should be a valid string")
    # the secret is a number no temporary path holds (a path with "42" once failed this test)
    assert "8675309421" not in line.replace(str(tmp_path), "") and "'***'" in line


def test_bad_toml_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "INFO"\n[sip\nudp = []\n')
    (line,) = problems(path)
    assert line.startswith(f"{path}: invalid TOML: ")
    assert "line 2, column 5" in line


def test_missing_file_directory_and_binary_file(tmp_path: Path) -> None:
    assert problems(tmp_path / "absent.toml") == (
        f"{tmp_path / 'absent.toml'}: config file not found",
    )
    assert problems(tmp_path) == (f"{tmp_path}: is a directory, not a config file",)
    binary = tmp_path / "x.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert problems(binary) == (f"{binary}: not UTF-8 text (byte 0)",)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)  # mode 000 does not stop root
    assert problems(path) == (f"{path}: cannot read config file: Permission denied",)


def test_config_named_by_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAS_CONFIG", str(tmp_path / "absent.toml"))
    assert problems() == (f"{tmp_path / 'absent.toml'}: config file not found (from TAS_CONFIG)",)
    monkeypatch.setenv("TAS_CONFIG", str(write(tmp_path, "[media]\nport_min = 30000\n")))
    assert load_settings().media.port_min == 30000


def test_precedence_default_file_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, '[media]\nport_min = 30000\nport_max = 30999\n[sip]\nudp = ["a:1"]\n')
    monkeypatch.setenv("TAS_MEDIA__PORT_MAX", "31999")
    settings = load_settings(path)
    assert (settings.media.port_min, settings.media.port_max) == (30000, 31999)
    assert settings.sip.udp == ["a:1"] and settings.sip.tcp == ["127.0.0.1:5060"]
    assert load_settings(path, log_level="DEBUG").log_level == "DEBUG"


def test_free_tables_are_not_checked_for_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '[sandbox.subscribers]\n"+4790000001" = "busy"\n')
    assert load_settings(path).sandbox.subscribers == {"+4790000001": "busy"}


def test_the_deploy_sample_is_valid_under_the_strict_rules() -> None:
    settings = load_settings(DEPLOY_TOML)
    assert settings.operator.target == "shamrock" and not settings.sandbox.enabled


def test_settings_built_directly_refuse_unknown_section_keys() -> None:
    with pytest.raises(ValidationError, match=r"sip\.udpp: unknown setting; did you mean udp\?"):
        Settings(sip={"udpp": ["0.0.0.0:5060"]})
    assert Settings(sip={"udp": []}).sip.udp == []


def test_dns_section(tmp_path: Path) -> None:
    path = write(tmp_path, '[dns]\nnameservers = ["127.0.0.1:26053", "::1"]\ntimeout = 0.5\n')
    settings = load_settings(path)
    assert settings.dns.nameservers == ["127.0.0.1:26053", "::1"] and settings.dns.timeout == 0.5
    assert load_settings(None).dns.nameservers == []  # default: the system's resolv.conf
    (line,) = problems(write(tmp_path, '[dns]\nnameservers = ["dns.example.com"]\n'))
    assert line.startswith("dns: ") and "'dns.example.com' is not an IP address[:port]" in line
    (line,) = problems(write(tmp_path, "[dns]\nnameserver = []\n"))
    assert line.startswith("dns.nameserver: unknown setting; did you mean nameservers?")


def test_voicemail_menu_settings(tmp_path: Path) -> None:
    text = '[voicemail]\nprompts_dir = "/srv/prompts"\npin_attempts = 5\ntimezone = "Europe/Oslo"\n'
    settings = load_settings(write(tmp_path, text))
    assert settings.voicemail.prompts_dir == Path("/srv/prompts")
    assert (settings.voicemail.pin_attempts, settings.voicemail.pin_lock_seconds) == (5, 900.0)
    assert settings.voicemail.timezone == "Europe/Oslo"
    bad = problems(write(tmp_path, '[voicemail]\ntimezone = "Mars/Olympus"\n'))
    assert any("'Mars/Olympus' is not an IANA time zone" in line for line in bad)
    assert any(
        "pin_attempts" in line
        for line in problems(write(tmp_path, "[voicemail]\npin_attempts = 0\n"))
    )
