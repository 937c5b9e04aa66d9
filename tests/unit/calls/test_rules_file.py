"""The call-rule TOML format: errors name the file and the rule; dump_rules reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tas.calls.rules import RuleError, parse_rule
from tas.calls.rules_file import dump_rules, load_rule_file, parse_rules

ALICE = "+4799990000"


def test_dump_reads_back_with_steps_and_awkward_strings() -> None:
    rules = [
        parse_rule(
            {
                "number": ALICE,
                "name": 'say "hi" \\ \u00e6',
                "action": "ring",
                "callers": ["+47"],
                "hidden": False,
                "time_zone": "Europe/Oslo",
                "days": ["sat"],
                "from": "22:00",
                "until": "06:00",
                "steps": [{"targets": ["handset", "sip:x@192.0.2.1"], "timeout": 7.5}],
            }
        ),  # fmt: skip
        parse_rule({"number": ALICE, "action": "reject", "status": 603}),
    ]
    text = dump_rules(rules)
    assert text.count("[[rule]]") == 2 and text.count("[[rule.steps]]") == 1
    assert parse_rules(text) == rules
    assert dump_rules([]) == "" and parse_rules("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nnumber = 1\n", "r.toml: rule #1: number must be E.164"),
        (f'[[rule]]\nnumber = "{ALICE}"\naction = "dnd"\n[[rule]]\naction = "x"\n', "rule #2"),
        ("rule = 3\n", "expected [[rule]] tables"),
        ("[[policy]]\n", "unknown table(s): policy"),
        ("[[rule]\n", "r.toml: "),
    ],
)
def test_errors_name_the_file_and_the_rule(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_rule_file(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such file: .*nope.toml"):
        load_rule_file(tmp_path / "nope.toml")
