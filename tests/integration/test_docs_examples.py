"""Every example file under docs/examples is loaded by the code that reads that format, so the
documentation cannot drift from it; and the README keeps its quick start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from registrations.model import Route
from registrations.syncfile import load_sync_file
from tas.calls.policy import Action, load_policy_file
from tas.calls.rules import RuleAction
from tas.calls.rules_file import load_rule_file
from tas.cli import cli
from tas.config import load_settings
from tas.sandbox.subscribers import parse_behaviour
from tas.voicemail.greetings import DEFAULT_GREETING, GREETING_RATE, Greetings
from tas.voicemail.wavfile import probe_wav

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def test_sandbox_subscribers_example(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TAS_CONFIG", "TAS_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(EXAMPLES / "sandbox.toml")
    sandbox = settings.sandbox
    behaviours = {
        number: parse_behaviour(text, sandbox.answer_delay)
        for number, text in sandbox.subscribers.items()
    }
    assert {n: (b.kind, b.delay) for n, b in behaviours.items()} == {
        "+4799990001": ("busy", 0.0),
        "+4799990002": ("answer", 2.5),
        "+4799990003": ("echo", 1.0),
        "+4799990004": ("no-answer", 0.0),
        "+4799990005": ("unavailable", 0.0),
        "+4799990006": ("reject", 0.0),
    }
    assert parse_behaviour(sandbox.default_behaviour).kind == "answer"


def test_registrations_sync_example() -> None:
    registrations = load_sync_file(EXAMPLES / "registrations.toml")
    assert [
        (r.phone_number, r.route, r.sip_uri, r.mo_prefix, r.mt_prefix) for r in registrations
    ] == [
        ("+4799990001", Route.FALLBACK, "sips:tas.example.com:5061", "", ""),
        ("+4799990002", Route.LOOP_MO, "sips:tas.example.com:5061", "11", ""),
        ("+4799990003", Route.LOOP, "sips:tas-b.example.com", "11", "22"),
    ]


def test_policies_example_loads_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policies = load_policy_file(EXAMPLES / "policies.toml")
    assert [(p.number, p.action) for p in policies] == [
        ("+4799990001", Action.VOICEMAIL),
        ("+4799990002", Action.FORWARD),
        ("+4799990003", Action.ANSWER),
        ("+4799990004", Action.REJECT),
        ("*", Action.REJECT),
    ]
    assert policies[1].route is Route.LOOP and policies[1].target == "core"
    assert dict(policies[2].menu) == {
        "1": Action.VOICEMAIL,
        "2": Action.ANSWER,
        "0": Action.REJECT,
    }
    assert (policies[3].status, policies[4].status) == (603, 404)
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    loaded = CliRunner().invoke(cli, ["policy", "load", str(EXAMPLES / "policies.toml")])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 5 policies" in loaded.output


def test_rules_example_loads_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = load_rule_file(EXAMPLES / "rules.toml")
    assert [(r.number, r.name, r.action) for r in rules] == [
        ("+4799990001", "family", RuleAction.RING),
        ("+4799990001", "no anonymous calls", RuleAction.REJECT),
        ("+4799990001", "office hours", RuleAction.RING),
        ("+4799990001", "nights", RuleAction.DND),
        ("+4799990005", "", RuleAction.ANNOUNCE),
    ]
    family, anonymous, office, nights, _ = rules
    assert [s.targets for s in family.steps] == [("handset",), ("+4799990004",)]
    assert (anonymous.condition.hidden, anonymous.status) == (True, 433)
    assert office.steps[0].targets == ("handset", "sip:desk@192.0.2.10")
    window = nights.condition.window
    assert window is not None and window.zone == "Europe/Oslo" and len(window.days) == 7
    monkeypatch.setenv("TAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TAS_CONFIG", raising=False)
    imported = CliRunner().invoke(cli, ["rules", "import", str(EXAMPLES / "rules.toml")])
    assert imported.exit_code == 0, imported.output
    assert "imported 5 rule(s) for 2 number(s)" in imported.output
    exported = CliRunner().invoke(cli, ["rules", "export"])
    assert exported.exit_code == 0, exported.output
    (tmp_path / "back.toml").write_text(exported.output)
    assert load_rule_file(tmp_path / "back.toml") == rules


def test_greeting_folder_example() -> None:
    greetings = Greetings(EXAMPLES / "greetings")
    busy = greetings.greeting_for("+4799990001", "busy")
    assert busy == EXAMPLES / "greetings" / "4799990001" / "busy.wav"
    info = probe_wav(busy)
    assert (info.format, info.rate, info.channels, info.bits) == (1, GREETING_RATE, 1, 16)
    # No unavailable.wav and no default.wav in that folder: the shipped default greeting.
    assert greetings.greeting_for("+4799990001", "unavailable") == DEFAULT_GREETING
    assert greetings.greeting_for("+4799990009", "busy") == DEFAULT_GREETING


def test_readme_quick_start_and_docs_links() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)", quick, flags=re.MULTILINE)
    assert commands == ["make run", "make test"]
    assert ". .venv/bin/activate" in quick
    assert "## Next steps" in readme
    linked = set(re.findall(r"\]\(((?:docs|deploy)/[^)#]+)", readme))
    assert {"docs/runbook.md", "docs/file-formats.md"} <= linked
    for path in linked:
        assert (ROOT / path).exists(), path
